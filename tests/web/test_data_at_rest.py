"""Personal data at rest: what a resident typed is nowhere in the database as plaintext,
and the data keys stop start-up when they cannot open it."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import inspect, select, text

from tests.kiosk_helpers import Journey
from tsunagi.domain import sealed
from tsunagi.domain.models import Base, DataKey, Intake
from tsunagi.web.config import ConfigError

ANSWERS = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"}
NAME = "Zephyrine Okonkwo-Tanabe"
PHONE = "080-7777-3141"
FREE_TEXT = "my knees are made of glass since Tuesday"
CONTACT_TIME = "only after quarter past seven"
MESSAGE = "the stairs at the station are the problem"


@pytest.fixture
def restore_ring():
    before = sealed.ring()
    yield
    sealed.use(before)


def every_stored_text(engine) -> str:
    """Every value of every table, as the database hands it out."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def found_on_disk(engine, texts: list[str]) -> list[str]:
    """Which of `texts` (UTF-8 or UTF-16) are in the SQLite file, its write-ahead log or its
    shared-memory index, as bytes on disk. Read by another process: closing a descriptor of
    the database file here would drop this process's SQLite locks on it (POSIX locks)."""
    script = (
        "import json, sys\n"
        "path, texts = sys.argv[1], json.loads(sys.argv[2])\n"
        "data = b''\n"
        "for suffix in ('', '-wal', '-shm'):\n"
        "    try:\n"
        "        data += open(path + suffix, 'rb').read()\n"
        "    except FileNotFoundError:\n"
        "        pass\n"
        "assert data, 'nothing to search'\n"
        "print(json.dumps([t for t in texts if t.encode() in data or t.encode('utf-16-le') in data]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, engine.url.database, json.dumps(texts)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.commits
def test_a_journey_leaves_no_plaintext_in_the_database(app, client, session, demo, engine):
    receipt = Journey(client).answer_all(
        ANSWERS, {"name": NAME, "phone": PHONE, "free_text": FREE_TEXT},
        consent={"share": "yes", "multi_agency_meeting": "yes", "contact_methods": ["phone"],
                 "contact_time": CONTACT_TIME})
    assert receipt.status_code == 200
    code = re.search(r'<span class="code">([^<]+)</span>', receipt.text).group(1)
    sent = client.post("/api/v1/follow-up/messages", json={"code": code, "body": MESSAGE})
    assert sent.status_code in (200, 201), sent.text

    intake = session.scalar(select(Intake).order_by(Intake.created_at.desc()))
    assert intake.name == NAME and intake.free_text == FREE_TEXT  # the app reads them back
    secrets_typed = [NAME, PHONE, PHONE.replace("-", ""), FREE_TEXT, CONTACT_TIME, MESSAGE, "knees", "Okonkwo"]
    stored = every_stored_text(engine)
    assert [s for s in secrets_typed if s in stored] == []
    if engine.dialect.name == "sqlite":
        assert found_on_disk(engine, secrets_typed) == []
        assert found_on_disk(engine, ["intake_event"]) == ["intake_event"]  # the search can find


def test_start_up_needs_data_keys_outside_the_demo(make_app, monkeypatch):
    monkeypatch.delenv("TSUNAGI_DATA_KEYS")
    with pytest.raises(ConfigError, match="TSUNAGI_DATA_KEYS is empty"):
        make_app({"SECRET_KEY": "x" * 32})
    with pytest.raises(ConfigError, match="key 1 is not the URL-safe base64 of 32 bytes"):
        make_app({"SECRET_KEY": "x" * 32, "DATA_KEYS": "hunter2"})


def test_a_key_file_is_read(make_app, monkeypatch, tmp_path, restore_ring):
    key_file = tmp_path / "keys"
    key_file.write_text(os.environ["TSUNAGI_DATA_KEYS"] + "\n")
    expected = sealed.parse_keys(os.environ["TSUNAGI_DATA_KEYS"]).ids
    monkeypatch.delenv("TSUNAGI_DATA_KEYS")
    sealed.use(sealed.parse_keys(sealed.new_key()))
    make_app({"TESTING": True, "DATA_KEYS_FILE": str(key_file)})
    assert sealed.ring().ids == expected
    with pytest.raises(ConfigError, match="No such file"):
        make_app({"TESTING": True, "DATA_KEYS_FILE": str(tmp_path / "missing")})


def test_the_demo_makes_its_own_key_file_once(make_app, monkeypatch, tmp_path, restore_ring):
    monkeypatch.delenv("TSUNAGI_DATA_KEYS")
    monkeypatch.setenv("TSUNAGI_INSTANCE_PATH", str(tmp_path))
    fresh = {"DEMO": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    make_app(fresh)
    key_file = tmp_path / "data-keys"
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = sealed.ring().primary
    make_app(fresh)
    assert sealed.ring().primary == first == sealed.parse_keys(key_file.read_text()).primary


@pytest.fixture
def new_key(make_app, restore_ring):
    """A second data key; afterwards the database is rotated back to the run's key, which
    the servers of later tests hold (the key ids and the pepper outlive emptied tables)."""
    new = sealed.new_key()
    yield new
    back = make_app({"TESTING": True, "DATA_KEYS": f"{os.environ['TSUNAGI_DATA_KEYS']},{new}"})
    result = back.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output


@pytest.mark.commits
def test_rotation_then_the_new_key_alone(make_app, session, make_intake, new_key):
    made = make_intake(share=True).intake
    old = os.environ["TSUNAGI_DATA_KEYS"]
    old_id = sealed.ring().primary
    new = new_key

    # A wrong key stops start-up and names the key the data needs.
    with pytest.raises(sealed.DataKeyError, match=f"sealed with data key {old_id}, which TSUNAGI_DATA_KEYS does not"):
        make_app({"TESTING": True, "DATA_KEYS": new})

    app = make_app({"TESTING": True, "DATA_KEYS": f"{new},{old}"})
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    new_id = sealed.ring().primary
    assert f"re-sealed with key {new_id}" in result.output and "intake: 1 re-sealed, 0 left" in result.output

    with session.bind.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sealed.Sealed):
                    values = conn.execute(text(f"SELECT {column.name} FROM {table.name} WHERE {column.name} IS NOT NULL"))
                    assert all(v.startswith(new_id + ":") for (v,) in values), (table.name, column.name)
    assert set(session.scalars(select(DataKey.kid))) == {new_id}

    only_new = make_app({"TESTING": True, "DATA_KEYS": new})
    status = only_new.test_cli_runner().invoke(args=["keys", "status"])
    assert "intake: 0 rows not sealed" in status.output
    session.expire_all()
    assert session.get(Intake, made.id).name == made.name
    # The old key alone no longer opens this database.
    with pytest.raises(sealed.DataKeyError, match=f"data key {new_id}"):
        make_app({"TESTING": True, "DATA_KEYS": old})
