"""The inbox at 10k and 1M intakes (issue 18, goal P3: p95 <= 50 ms at 1M and <= 1.5x the 10k
figure; the counts <= 300 ms), on SQLite or (--database-url) PostgreSQL.

For each size, in a database of its own: the intakes of one fiscal year seeded in batches by
bench/dashboard.py's `seed` (the demo municipality, real triage decisions, statuses, routing
times, repeat contacts, the tallies), then a few intakes of the busiest office given the
keyed hash of one phone number (what staff search for). One staff member of the busiest
office and the coordinator sign in; through the app, for every page measured: the SQL
statements one request runs and the plan (EXPLAIN) of each SELECT, then `--rounds` requests
of each, the sizes interleaved request by request (a change in the machine's load falls on
all of them alike), p50 and p95, and the ratio of the largest size to the smallest.

Pages: the inbox HTML first page (staff), the same filtered by status, its second page
(the keyset `after` of the first), the inbox API first page and second page (bearer token),
the search by phone number (POST, staff), the coordinator's inbox filtered by status (HTML,
and the API with the coordinator's token), the coordinator's board, and the counts CSV.

    .venv/bin/python bench/inbox_at_scale.py [--sizes 10000,1000000] [--rounds 30]
    .venv/bin/python bench/inbox_at_scale.py --sizes 10000,100000 --rounds 20      # a quick run
    createdb -h /tmp/pgmine -p 55490 -U postgres tsunagi_p3
    .venv/bin/python bench/inbox_at_scale.py --database-url \
        "postgresql+psycopg://postgres@/tsunagi_p3?host=/tmp/pgmine&port=55490"
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dashboard import CSRF, PASSWORD, after_load, arguments, database_for, percentile, report, seed  # noqa: E402
from tsunagi import create_app  # noqa: E402
from tsunagi.domain import accounts, intakes, municipality  # noqa: E402
from tsunagi.domain.models import Intake, Provider  # noqa: E402
from tsunagi.web.db import make_engine, upgrade  # noqa: E402

PHONE = "090-1234-5678"
STAFF = "bench-staff"
COORDINATOR = "bench-coordinator"
# name -> (who, method, url); "{after}" is the `next` of the first page at that size.
PAGES = {
    "html": ("staff", "GET", "/provider/"),
    "html_status": ("staff", "GET", "/provider/?status=received"),
    "html_page2": ("staff", "GET", "/provider/?after={after}"),
    "api": ("token", "GET", "/api/v1/inbox"),
    "api_page2": ("token", "GET", "/api/v1/inbox?after={after}"),
    "search": ("staff", "POST", "/provider/search"),
    "coord_status": ("coordinator", "GET", "/provider/?status=received"),
    "coord_api_status": ("coordinator_token", "GET", "/api/v1/inbox?status=closed"),
    "board": ("coordinator", "GET", "/provider/board"),
    "counts": ("coordinator", "GET", "/provider/stats?format=csv"),
}


def sign_in(app, username: str):
    client = app.test_client()
    page = client.get("/provider/login")
    response = client.post("/provider/login", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": CSRF.search(page.text).group(1)})
    assert response.status_code == 302, response.status_code
    return client


class Size:
    """One size's app, its signed-in clients and what the requests need."""

    def __init__(self, url: str, tokens: dict[str, str]):
        self.app = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False})
        self.engine = self.app.extensions["tsunagi.db"].kw["bind"]
        self.clients = {"staff": sign_in(self.app, STAFF), "coordinator": sign_in(self.app, COORDINATOR),
                        "token": self.app.test_client(), "coordinator_token": self.app.test_client()}
        self.headers = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
        first = self.clients["token"].get("/api/v1/inbox", headers=self.headers["token"]).get_json()
        self.after = first["next"] or ""
        self.csrf = CSRF.search(self.clients["staff"].get("/provider/").text).group(1)

    def request(self, name: str):
        who, method, url = PAGES[name]
        client = self.clients[who]
        url = url.format(after=self.after)
        if method == "POST":
            return client.post(url, data={"q": PHONE, "csrf_token": self.csrf})
        return client.get(url, headers=self.headers.get(who))


def statements(size: Size, name: str) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(size.engine, "before_cursor_execute", remember)
    try:
        response = size.request(name)
    finally:
        event.remove(size.engine, "before_cursor_execute", remember)
    assert response.status_code == 200, (name, response.status_code)
    return seen, len(response.data)


def explain(size: Size, name: str) -> None:
    """The statements one request runs, and the plan of each SELECT on the intakes."""
    seen, length = statements(size, name)
    selects = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
    print(f"  {name}: {len(seen)} statements ({len(selects)} SELECT), {length:,} bytes")
    prefix = "EXPLAIN QUERY PLAN " if size.engine.dialect.name == "sqlite" else "EXPLAIN "
    done = set()
    with size.engine.connect() as conn:
        for statement, parameters in selects:
            if "intake" not in statement and "report_tally" not in statement or statement in done:
                continue
            done.add(statement)
            print("    " + " ".join(statement.split())[:220])
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("       ", " | ".join(str(c) for c in row))


def measure(sizes: dict[int, Size], rounds: int) -> dict:
    times: dict = {(n, name): [] for n in sizes for name in PAGES}
    for size in sizes.values():
        for name in PAGES:
            for _ in range(3):  # warm up
                assert size.request(name).status_code == 200, name
    for _ in range(rounds):
        for name in PAGES:
            for n, size in sizes.items():
                start = time.perf_counter()
                response = size.request(name)
                times[(n, name)].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (name, response.status_code)
    return {n: {name: (statistics.median(times[(n, name)]), percentile(times[(n, name)], 0.95))
                for name in PAGES} for n in sizes}


def prepare(url: str, size: int) -> dict[str, str]:
    """Seed `size` intakes; the staff of the busiest office; returns the API tokens of the
    staff ("token") and of the coordinator ("coordinator_token")."""
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
        _user, coordinator_token = accounts.create_user(session, COORDINATOR, PASSWORD, "coordinator")
        session.commit()
        seed(session, size, random.Random(size))
        session.commit()
        busiest, count = session.execute(
            select(Intake.provider_id, func.count()).where(Intake.provider_id.is_not(None))
            .group_by(Intake.provider_id).order_by(func.count().desc()).limit(1)).one()
        code = session.get(Provider, busiest).code
        _user, token = accounts.create_user(session, STAFF, PASSWORD, "provider_staff", code)
        # A resident who called several times: what staff search for.
        key = intakes.contact_key(session, {"phone": PHONE})
        ids = list(session.scalars(select(Intake.id).where(Intake.provider_id == busiest).limit(3)))
        session.execute(update(Intake).where(Intake.id.in_(ids)).values(contact_key=key))
        session.commit()
    after_load(engine)
    print(f"  seeded in {time.perf_counter() - started:.0f} s; staff of {code} ({count:,} intakes)", flush=True)
    return {"token": token, "coordinator_token": coordinator_token}


def main() -> None:
    args = arguments(__doc__)
    sizes: dict[int, Size] = {}
    for n in sorted(int(s) for s in args.sizes.split(",")):
        url = database_for(args.database_url, n)
        print(f"{n:,} intakes on {url.split(':')[0]}", flush=True)
        sizes[n] = Size(url, prepare(url, n))
    for n, size in sizes.items():
        print(f"{n:,} intakes: statements and plans")
        for name in PAGES:
            explain(size, name)
    report(measure(sizes, args.rounds))
    for size in sizes.values():
        size.engine.dispose()


if __name__ == "__main__":
    main()
