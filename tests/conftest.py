"""Fixtures: one migrated database per run (SQLite file, or the PostgreSQL URL in
TSUNAGI_TEST_DATABASE_URL), emptied before each test that uses it.

Chain: database_url -> engine -> session (services, no app) and app -> client.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from tsunagi.domain import accounts, intakes, municipality, sealed
from tsunagi.domain.consent import ConsentGiven
from tsunagi.domain.models import Base, Location
from tsunagi.web.db import make_engine, upgrade

# One data key for the run, in the environment so the live servers seal with it too.
os.environ.setdefault("TSUNAGI_DATA_KEYS", sealed.new_key())
sealed.use(sealed.parse_keys(os.environ["TSUNAGI_DATA_KEYS"]))

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile the catalogs so a just-edited .po is what the tests see."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
                    str(ROOT / "translations")], check=True, capture_output=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TSUNAGI_TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade(url)  # the schema comes from the migrations, as in production
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A shared rate-limit store: TSUNAGI_TEST_REDIS_URL, else a throwaway Debian
    redis-server on a unix socket for this run (script/test installs it)."""
    import shutil
    import time

    import redis

    if os.environ.get("TSUNAGI_TEST_REDIS_URL"):
        yield os.environ["TSUNAGI_TEST_REDIS_URL"]
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed; script/test installs Debian's redis-server")
    sock = tmp_path_factory.mktemp("redis") / "redis.sock"
    server = subprocess.Popen([exe, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(sock))
    deadline = time.monotonic() + 20
    while True:
        try:
            if client.ping():
                break
        except (redis.ConnectionError, FileNotFoundError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    client.close()
    yield f"redis+unix://{sock}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        # pysqlite opens transactions itself and breaks SAVEPOINT; let SQLAlchemy say BEGIN
        # (SQLAlchemy's documented recipe), so each test can run in a rolled-back transaction.
        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN")

    yield engine
    engine.dispose()


# The database's own keys (data key ids, hash pepper) stay: the servers have them cached.
KEPT = {"data_key", "data_secret"}


def empty_database(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT:
                conn.execute(table.delete())


def commits(request) -> bool:
    """Tests marked `commits` (several connections at once, e.g. threads) write for real
    into emptied tables; every other test runs inside one transaction rolled back at its end."""
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture
def connection(engine, request):
    """The test's one connection, in a transaction that is rolled back afterwards; the
    test's session and its apps work in savepoints inside it, so their commits stay there."""
    if commits(request):
        empty_database(engine)
        yield None
        empty_database(engine)  # the tests after it start from empty tables too
        return
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def session(engine, connection):
    if connection is None:
        with Session(engine, expire_on_commit=False) as s:
            yield s
        return
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo(session) -> municipality.MunicipalitySpec:
    spec = municipality.load_file(municipality.DEMO_FILE)
    municipality.apply(session, spec)
    session.commit()
    return spec


@pytest.fixture
def provider_users(session, demo) -> dict[str, str]:
    """One provider_staff user per demo provider, named after it; returns code -> API token."""
    tokens = {}
    for p in demo.providers:
        _user, token = accounts.create_user(session, p.code, PASSWORD, "provider_staff", p.code)
        tokens[p.code] = token
    session.commit()
    return tokens


@pytest.fixture
def make_app(database_url, request):
    """Build apps with the given settings, working in the test's transaction (see
    `connection`); their connection pools are closed afterwards."""
    from sqlalchemy.orm import sessionmaker

    from tsunagi import create_app

    made = []

    def make(config=None):
        # Kiosk pages open to any browser, as in the demo, unless a test asks for enrolment
        # (tests/kiosk/test_kiosk_enrolment.py).
        app = create_app({"DATABASE_URL": database_url, "KIOSK_ENROLMENT": False, **(config or {})})
        made.append(app.extensions["tsunagi.db"].kw["bind"])
        if not commits(request):
            app.extensions["tsunagi.db"] = sessionmaker(
                bind=request.getfixturevalue("connection"), join_transaction_mode="create_savepoint",
                expire_on_commit=False)
        return app

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def app(make_app, session, tmp_path):
    from tsunagi.web.extensions import limiter

    app = make_app({"TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    limiter.reset()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()




@pytest.fixture
def make_intake(session, demo):
    """Submit an intake through the service (a 65+ resident of minami at the hub)."""
    location = session.scalar(select(Location).where(Location.code == "hub-minami"))

    def make(share=True, answers=None, locale="ja", multi_agency=False):
        consent = ConsentGiven(text_id="consent-default", text_version=1, text_hash="0" * 64,
                               locale=locale, share_with_provider=share, channel="kiosk",
                               location_id=location.id, contact_methods=("phone",),
                               multi_agency_meeting=multi_agency)
        result = intakes.submit(
            session, form_id="intake-default", form_version=1, locale=locale, channel="kiosk",
            location=location,
            answers=answers or {"subject": "self", "age_band": "65_plus", "danger_now": "no", "area": "minami"},
            identifying={"name": "山田 花子", "phone": "090-1234-5678", "email": "", "free_text": None},
            consent=consent,
        )
        session.commit()
        return result

    return make


@pytest.fixture
def submitted(make_intake):
    return make_intake()


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd): `.port`, and `.received`, a list of
    (recipients, message text) in arrival order."""
    from aiosmtpd.controller import Controller

    from tests.browser.conftest import free_port

    class Handler:
        received: list[tuple[list[str], str]] = []

        async def handle_DATA(self, server, smtp_session, envelope):
            self.received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    handler = Handler()
    handler.received = []
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()
