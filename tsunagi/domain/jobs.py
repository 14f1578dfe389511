"""Scheduled work and its lock: each job runs once per interval, however many runners.

A job is a row of `job_lock`. A runner claims it with one conditional UPDATE (the job is
due and nobody holds a live lease), which the database applies to one runner only, on
SQLite and PostgreSQL alike; the claim moves `due_at` one interval on at once, so a
second runner in the same interval finds nothing due even after the first has finished.
A runner that dies mid-job holds the lease only until `locked_until`. Takes a `Session`;
`claim` and `release` commit (the lock must be visible to other runners at once).
"""
from __future__ import annotations

import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from tsunagi.domain.models import JobLock, insert_or_ignore


def holder_name() -> str:
    """This runner's name in the lock rows: host and a random part (no secret)."""
    return f"{socket.gethostname()[:40]}:{secrets.token_hex(4)}"


def claim(session: Session, name: str, *, every: timedelta, lease: timedelta, now: datetime, holder: str) -> bool:
    """Take job `name` when it is due and not held; True when this runner should run it."""
    insert_or_ignore(session, JobLock, name=name, due_at=now)
    taken = session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.due_at <= now,
               or_(JobLock.locked_until.is_(None), JobLock.locked_until < now))
        .values(holder=holder, locked_until=now + lease, due_at=now + every, last_run_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return taken == 1


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease back (only this runner's own)."""
    session.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
                    .values(locked_until=None).execution_options(synchronize_session=False))
    session.commit()
