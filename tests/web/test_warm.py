"""The master's warm-up before gunicorn forks (tsunagi.web.warm): it fills the caches a
first request would, writes nothing but the write-once rows a first form request stores,
leaves no connection open for a worker to inherit, and stays quiet on a database not
migrated yet."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tsunagi import create_app
from tsunagi.domain import municipality
from tsunagi.domain.models import AuditEvent
from tsunagi.web.db import make_engine, upgrade
from tsunagi.web.warm import rehearse_submit, warm_master, warm_worker


def counts(engine) -> dict:
    with Session(engine) as session:
        tables = [r[0] for r in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        return {t: session.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables}


def demo_app(tmp_path):
    """A migrated database with the demo municipality (engine) and an app served from it."""
    url = f"sqlite:///{tmp_path / 'warm.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
        session.commit()
    return engine, create_app({"DATABASE_URL": url, "TESTING": True})


def test_warming_fills_caches_writes_nothing_and_keeps_no_connection(tmp_path, caplog):
    engine, app = demo_app(tmp_path)
    before = counts(engine)
    served = app.extensions["tsunagi.db"].kw["bind"]
    with caplog.at_level(logging.WARNING):
        warm_master(app)
        assert served.pool.checkedout() == 0 and served.pool.checkedin() == 0  # disposed: nothing to inherit
        compiled = len(served._compiled_cache)
        warm_worker(app)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(app.jinja_env.cache) > 10  # templates compiled before any request
    # The worker rehearsed a submit: its inserts (intake, consent, tallies, follow-up, the
    # office's webhook event) are compiled, and none of them was kept.
    assert len(served._compiled_cache) > compiled
    assert served.pool.checkedout() == 0
    after = counts(engine)
    # The only rows: the write-once records a first form request stores (the consent text
    # in every locale, the form version, the hash pepper if none was made yet); a second
    # warm-up adds none.
    assert {t for t, n in after.items() if n != before[t]} <= {"consent_text", "form_version", "data_secret"}
    warm_master(app)
    assert counts(engine) == after
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    engine.dispose()


def test_a_rehearsed_submit_keeps_nothing(tmp_path):
    engine, app = demo_app(tmp_path)
    assert rehearse_submit(app)  # once for the write-once rows (consent text, pepper)
    before = counts(engine)
    assert rehearse_submit(app)
    assert counts(engine) == before
    assert before["intake"] == 0 and before["report_tally"] == 0 and before["outbox_message"] == 0
    with Session(engine) as session:  # without an outreach location there is nothing to rehearse
        session.execute(text("UPDATE location SET active = 0 WHERE kind = 'outreach'"))
        session.commit()
    assert not rehearse_submit(app)
    engine.dispose()


def test_an_unmigrated_database_is_left_alone(tmp_path, caplog):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "TESTING": True})
    with caplog.at_level(logging.WARNING):
        warm_master(app)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_another_app_served_with_the_same_settings_is_not_touched():
    other = Flask("minimal")
    warm_master(other)
    warm_worker(other)
    assert other.jinja_env.cache is None or len(other.jinja_env.cache) == 0
