"""The scheduled jobs `flask jobs run` runs: notification digests, overdue reminders,
webhook deliveries and retries, mail the server could not take, the daily retention purge.

Each job runs once per its interval across every runner (tsunagi.domain.jobs holds the
lock), so a municipality may start the runner on each app server. Run from a service or
cron entry: `flask --app wsgi jobs run` (a loop) or `flask --app wsgi jobs run --once`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app
from sqlalchemy import select

from tsunagi.domain import jobs, notifications, retention, webhooks
from tsunagi.domain.models import OutboxMessage
from tsunagi.domain.vocabulary import PROVIDER_LOCALE
from tsunagi.web.context import overdue_policy, send_notifications, staff_links
from tsunagi.web.extensions import db
from tsunagi.web.i18n import gettext_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: Callable[[dict], timedelta]  # from the settings
    run: Callable[[datetime], str]  # returns what it did, one line for the log ("" for nothing)


def _digest(now: datetime) -> str:
    messages = notifications.digest(db.session, staff_links(), gettext_in(PROVIDER_LOCALE))
    db.session.commit()
    send_notifications(db.session, messages)
    return f"{len(messages)} digest messages" if messages else ""


def _overdue(now: datetime) -> str:
    escalate = timedelta(hours=int(current_app.config["OVERDUE_ESCALATE_HOURS"]))
    messages = notifications.overdue_reminders(db.session, overdue_policy(), staff_links(),
                                               gettext_in(PROVIDER_LOCALE), escalate_after=escalate, now=now)
    db.session.commit()
    send_notifications(db.session, messages)
    return f"{len(messages)} overdue reminders" if messages else ""


def webhook_settings() -> webhooks.Settings:
    config = current_app.config
    return webhooks.Settings(max_attempts=int(config["WEBHOOK_MAX_ATTEMPTS"]),
                             retry_seconds=int(config["WEBHOOK_RETRY_SECONDS"]),
                             timeout_seconds=int(config["WEBHOOK_TIMEOUT_SECONDS"]))


def _webhooks(now: datetime) -> str:
    delivered, failed = webhooks.deliver_due(db.session, webhook_settings(), now)
    return f"{delivered} webhook deliveries, {failed} failed" if delivered or failed else ""


def _unsent_mail(now: datetime) -> str:
    """Mail the server refused before: tried again for a day. A message is left alone for
    five minutes first, while the request that wrote it sends it itself."""
    if not current_app.config["SMTP_HOST"]:
        return ""  # nothing to send through
    messages = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < now - timedelta(minutes=5),
        OutboxMessage.created_at > now - timedelta(days=1)).order_by(OutboxMessage.id).limit(200)))
    send_notifications(db.session, messages)
    return f"{sum(m.sent_at is not None for m in messages)} of {len(messages)} unsent messages sent" if messages else ""


def retention_run(dry_run: bool = False, now: datetime | None = None) -> retention.Purged:
    """`flask retention purge`, as the command and the daily job run it."""
    config = current_app.config
    done = retention.purge(db.session, erase_after=timedelta(days=int(config["RETENTION_DAYS_AFTER_END"])),
                           draft_ttl=timedelta(minutes=int(config["KIOSK_DRAFT_TTL_MINUTES"])),
                           dry_run=dry_run, now=now)
    if not dry_run:
        db.session.commit()
    return done


def _retention(now: datetime) -> str:
    lines = retention_run(now=now).lines()
    days = int(current_app.config["WEBHOOK_LOG_DAYS"])
    lines.append(f"{webhooks.purge(db.session, now - timedelta(days=days))} webhook deliveries older than {days} days deleted")
    db.session.commit()
    return "; ".join(lines)


def _tick(config) -> timedelta:
    return timedelta(seconds=int(config["JOBS_TICK_SECONDS"]))


JOBS = (
    Job("digest", lambda c: timedelta(minutes=int(c["NOTIFY_DIGEST_MINUTES"])), _digest),
    Job("overdue", lambda c: timedelta(minutes=int(c["OVERDUE_REMINDER_MINUTES"])), _overdue),
    Job("webhooks", _tick, _webhooks),
    Job("unsent_mail", lambda c: timedelta(minutes=5), _unsent_mail),
    Job("retention", lambda c: timedelta(days=1), _retention),
)


NOTHING = "nothing to do"


def run_once(app: Flask, holder: str, now: datetime | None = None) -> list[tuple[str, str]]:
    """One pass: every job that is due and not held by another runner, claimed, run and
    released. Returns (job, what it did) for the jobs this runner ran. A job that fails
    is logged and keeps its lease until it runs out (the next pass tries again then)."""
    ran = []
    config = app.config
    lease = timedelta(minutes=int(config["JOBS_LEASE_MINUTES"]))
    base = (config["BASE_URL"] or "http://localhost").rstrip("/")
    for job in JOBS:
        at = now or datetime.now(timezone.utc)
        # A request context on the base URL, so notifications link to the inbox.
        with app.test_request_context("/", base_url=base):
            if not jobs.claim(db.session, job.name, every=job.every(config), lease=lease, now=at, holder=holder):
                continue
            try:
                ran.append((job.name, job.run(at) or NOTHING))
            except Exception:
                db.session.rollback()
                logger.exception("job %s failed", job.name)
                ran.append((job.name, "failed"))
                continue
            finally:
                db.session.close()  # the next job reads the database afresh
            jobs.release(db.session, job.name, holder)
    return ran


def run_forever(app: Flask, holder: str, stop: threading.Event, report: Callable[[str], None]) -> None:
    """Passes every JOBS_TICK_SECONDS until `stop` is set (SIGTERM, Ctrl-C)."""
    tick = int(app.config["JOBS_TICK_SECONDS"])
    while not stop.is_set():
        for name, what in run_once(app, holder):
            if what != NOTHING:
                report(f"{name}: {what}")
        stop.wait(tick)
