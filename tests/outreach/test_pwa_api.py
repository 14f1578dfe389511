"""What the outreach app relies on when the server is busy: a database held by another
writer answers 503 with Retry-After, never 500, and the queued intake goes through later."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tsunagi import create_app
from tsunagi.domain import accounts, municipality
from tsunagi.domain.models import Intake
from tsunagi.web.db import make_engine, upgrade


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own SQLite file with a 50 ms busy timeout (also when the suite runs on
    PostgreSQL: the lock under test is SQLite's)."""
    path = tmp_path / "locked.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
        _user, token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
        session.commit()
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SQLITE_BUSY_TIMEOUT_MS": 50})
    yield app, path, engine, {"Authorization": f"Bearer {token}"}
    app.extensions["tsunagi.db"].kw["bind"].dispose()
    engine.dispose()


def intake_body(client) -> dict:
    version = client.get("/api/v1/forms/intake-default?locale=ja").json["consent"]["version"]
    return {"form_id": "intake-default", "locale": "ja", "channel": "outreach", "location": "outreach",
            "answers": {"subject": "self", "age_band": "40_64", "concerns": ["money"], "danger_now": "no",
                        "area": "kita"},
            "consent": {"version": version, "mode": "verbal",
                        "scopes": {"share_with_provider": True, "contact_methods": ["visit"]}}}


def test_a_held_write_lock_is_503_with_retry_after_and_the_retry_succeeds(sqlite_app):
    app, path, engine, headers = sqlite_app
    client = app.test_client()
    payload = intake_body(client)
    headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
    try:
        busy = client.post("/api/v1/intakes", json=payload, headers=headers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy.status_code == 503, busy.get_data(as_text=True)
    assert busy.mimetype == "application/problem+json" and busy.json["status"] == 503
    assert int(busy.headers["Retry-After"]) > 0
    retried = client.post("/api/v1/intakes", json=payload, headers=headers)
    assert retried.status_code == 201, retried.json
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Intake)) == 1
