"""A resident's follow-up lookup answers while another connection holds SQLite's write
lock: its audit row is written by the process's writer thread once the lock is free, with
the time of the read. Nothing of the lookup is lost."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.outreach.test_pwa_api import intake_body, sqlite_app  # noqa: F401 (a fixture)
from tsunagi.domain.models import AuditEvent
from tsunagi.web.db import wait_for_deferred_writes


@pytest.fixture
def locked_app(sqlite_app):  # noqa: F811 (the imported fixture)
    """The outreach tests' app on its own SQLite file (also when the suite runs on
    PostgreSQL: the lock under test is SQLite's), with one intake submitted."""
    app, path, engine, headers = sqlite_app
    client = app.test_client()
    made = client.post("/api/v1/intakes", json=intake_body(client),
                       headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert made.status_code == 201, made.json
    return app, path, engine, made.json


def lookups(engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "follow_up_lookup")))


def test_the_lookup_answers_while_the_lock_is_held_and_is_audited_after(locked_app):
    app, path, engine, made = locked_app
    client = app.test_client()
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        asked = datetime.now(timezone.utc)
        answer = client.post("/api/v1/follow-up", json={"code": made["follow_up"]["short_code"], "locale": "en"})
        # Answered with the lock still held: the lookup did not need it (a wait would have
        # ended in 503 after the busy timeout).
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.json["status"] == "received"
        missed = client.post("/api/v1/follow-up", json={"code": "0000-0000-000000"})
        assert missed.status_code in (404, 422)
        assert lookups(engine) == []  # not yet: the lock is still held
    finally:
        holder.execute("COMMIT")
        holder.close()
    wait_for_deferred_writes(timeout=30)  # the writer thread, once the lock is free
    rows = lookups(engine)
    assert sorted(r.intake_id or "" for r in rows) == sorted(["", made["intake_id"]])
    for row in rows:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
        assert asked.replace(microsecond=0) <= at.replace(microsecond=0) <= datetime.now(timezone.utc)


def test_without_a_lock_the_row_is_written_before_the_answer(locked_app):
    app, _path, engine, made = locked_app
    answer = app.test_client().post("/api/v1/follow-up", json={"code": made["follow_up"]["short_code"]})
    assert answer.status_code == 200
    assert len(lookups(engine)) == 1  # written in the request, before the answer
