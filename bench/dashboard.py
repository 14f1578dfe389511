"""The coordinator's dashboard and its CSV at 10k and 1M intakes (goal: p95 <= 300 ms at 1M
and <= 2x the 10k figure), on SQLite or (--database-url) PostgreSQL.

For each size, in a database of its own: the migrations, the demo municipality (as `flask demo
setup` loads it), then the intakes of one fiscal year, streamed in batches: real triage
decisions (one per distinct set of answers), sealed answers and decisions, statuses,
outcomes, routing times and repeat contacts drawn at random, and the tallies counted by the
product's own `reports.facts` / `reports.add`. Lifecycle events are not stored: no dashboard
query reads them (their waits are in the tallies). Then, through the app as a signed-in
coordinator, the EXPLAIN of every query the page runs, then GET /provider/stats (the fiscal
year) and its CSV, `--rounds` times each, the sizes interleaved request by request.

    .venv/bin/python bench/dashboard.py [--sizes 10000,1000000] [--rounds 30]
    .venv/bin/python bench/dashboard.py --database-url postgresql+psycopg://...
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tsunagi import create_app  # noqa: E402
from tsunagi.domain import accounts, intakes, municipality, reports, sealed  # noqa: E402
from tsunagi.domain.models import Intake, Location, Provider  # noqa: E402
from tsunagi.domain.triage.answers import AGE_BANDS, CONCERNS, SUBJECTS  # noqa: E402
from tsunagi.domain.vocabulary import LOCALES, OUTCOMES  # noqa: E402
from tsunagi.web.db import make_engine, upgrade  # noqa: E402

# A throwaway database: a throwaway data key.
os.environ.setdefault("TSUNAGI_DATA_KEYS", sealed.new_key())
sealed.use(sealed.parse_keys(os.environ["TSUNAGI_DATA_KEYS"]))

PASSWORD = "bench password 1234"
BATCH = 5000
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def database_for(base: str | None, size: int) -> str:
    """A database of its own for each size: a file on SQLite; on PostgreSQL the database
    of `base` with the size appended, dropped and created again."""
    if not base:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / f'bench-{size}.sqlite3'}"
    url = make_url(base)
    name = f"{url.database}_{size}"
    engine = make_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def decisions(session: Session, rng: random.Random, count: int = 150) -> list[tuple[dict, object]]:
    """Distinct answers with the real triage's decision for each."""
    areas = ["kita", "minami", "unknown", None]
    found = []
    for _ in range(count):
        answers = {"subject": rng.choice(SUBJECTS), "age_band": rng.choice(AGE_BANDS), "danger_now":
                   rng.choices(["no", "yes", "unsure"], [90, 4, 6])[0],
                   "concerns": rng.sample(CONCERNS, rng.randint(1, 3))}
        area = rng.choice(areas)
        if area:
            answers["area"] = area
        parsed = intakes.parse_answers(session, answers)
        found.append((parsed, intakes.route(session, parsed, "ja")))
    return found


def seed(session: Session, size: int, rng: random.Random) -> None:
    now = datetime.now(timezone.utc)
    fy = reports.period("fy", reports.day_of(now))
    first = datetime.combine(fy.start, datetime.min.time(), tzinfo=reports.JST).astimezone(timezone.utc)
    span = (now - first).total_seconds()
    places = list(session.scalars(select(Location)))
    offices = {p.id: p for p in session.scalars(select(Provider))}
    made = decisions(session, rng)
    locales = list(LOCALES)
    # Repeat contacts: about 1.4 intakes per person.
    people = max(1, int(size / 1.4))
    seen: dict[str, set] = {scope: set() for scope in reports.PERSON_SCOPES}
    # Times in order, so the unique persons are counted as the product counts them.
    times = sorted(rng.random() * span for _ in range(size))
    started = time.perf_counter()
    for offset in range(0, size, BATCH):
        rows, counts = [], Counter()
        for seconds in times[offset:offset + BATCH]:
            created = first + timedelta(seconds=seconds)
            parsed, decision = rng.choice(made)
            place = rng.choice(places)
            shared = rng.random() < 0.9 and decision.provider_id is not None
            age_days = (now - created).days
            if not shared:
                status = "not_shared"
            elif age_days > 14:
                status = rng.choices(["closed", "interrupted", "in_support", "received"], [85, 4, 10, 1])[0]
            else:
                status = rng.choices(["received", "accepted", "contacted", "in_support", "closed"],
                                     [30, 25, 20, 15, 10])[0]
            outcome = rng.choice(OUTCOMES) if status == "closed" else None
            key = f"{rng.randrange(people):016x}" * 4 if shared and rng.random() < 0.95 else None
            locale = rng.choices(["ja", rng.choice(locales)], [80, 20])[0]
            channel = "outreach" if place.kind == "outreach" else "kiosk"
            routed = created + timedelta(seconds=rng.randint(0, 60))
            rows.append({
                "id": f"{offset:08x}{len(rows):04x}{rng.getrandbits(48):012x}", "created_at": created,
                "form_id": "intake-default", "form_version": 2, "locale": locale, "channel": channel,
                "location_id": place.id, "answers": parsed.as_record(), "area": parsed.area,
                "service": decision.service, "priority": decision.priority,
                "provider_id": decision.provider_id if shared else None, "decision": decision.to_record(),
                "rules_version": decision.rules_version, "status": status, "status_changed_at": routed,
                "contact_key": key, "outcome": outcome, "routed_at": routed,
            })
            day = reports.day_of(created)
            pairs = reports.facts(location_code=place.code, location_kind=place.kind, channel=channel, locale=locale,
                                  service=decision.service, priority=decision.priority, answers=parsed.as_record(),
                                  area=parsed.area, decision=decision.to_record(), status=status)
            pairs = [(k, outcome or reports.NONE) if k == "outcome" else (k, v) for k, v in pairs]
            for scope in reports.PERSON_SCOPES:
                mark = (reports.period(scope, day).start, key)
                if key is None or mark not in seen[scope]:
                    pairs.append((f"persons_{scope}", "new"))
                    seen[scope].add(mark)
            if status not in ("received", "not_shared"):
                pairs.append(("accept_wait", str(reports.wait_bucket(int(rng.expovariate(1 / 600))))))
                if status != "accepted":
                    pairs.append(("contact_wait", str(reports.wait_bucket(int(rng.expovariate(1 / 2400))))))
            if rng.random() < 0.03:
                pairs.append(("event", rng.choice(["returned", "transferred"])))
            waiting = reports.waiting_value(SimpleNamespace(**rows[-1]))
            if waiting is not None:
                pairs.append((reports.WAITING_TALLY, waiting))
            counts.update((day, k, v) for k, v in pairs)
        session.execute(insert(Intake), rows)
        reports.add(session, counts)
        session.commit()
        done = offset + len(rows)
        if done % 100_000 < BATCH or done == size:
            print(f"  seeded {done:>9,} intakes in {time.perf_counter() - started:6.1f} s", flush=True)
    assert offices  # the demo offices exist


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def signed_in(app):
    client = app.test_client()
    page = client.get("/provider/login")
    client.post("/provider/login", data={"username": "bench-coordinator", "password": PASSWORD,
                                         "csrf_token": CSRF.search(page.text).group(1)})
    return client


def measure(apps: dict, rounds: int) -> dict[int, dict[str, tuple[float, float]]]:
    """p50 and p95 of the page and the CSV for every size, the sizes interleaved request by
    request: a change in the machine's load falls on all of them alike."""
    clients = {size: signed_in(app) for size, app in apps.items()}
    times: dict = {(size, name): [] for size in apps for name in URLS}
    for size, client in clients.items():
        for url in URLS.values():
            for _ in range(3):  # warm up
                assert client.get(url).status_code == 200
    for _ in range(rounds):
        for name, url in URLS.items():
            for size, client in clients.items():
                start = time.perf_counter()
                response = client.get(url)
                times[(size, name)].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
    return {size: {name: (statistics.median(times[(size, name)]), percentile(times[(size, name)], 0.95))
                   for name in URLS} for size in apps}


URLS = {"page": "/provider/stats", "csv": "/provider/stats?format=csv"}


def explain(app, url: str) -> None:
    """The plan of every SELECT the dashboard runs."""
    engine = app.extensions["tsunagi.db"].kw["bind"]
    seen: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "report_tally" in statement or "FROM intake" in statement:
            seen.append((statement, parameters))

    client = signed_in(app)
    event.listen(engine, "before_cursor_execute", remember)
    client.get(url)
    event.remove(engine, "before_cursor_execute", remember)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        for statement, parameters in seen:
            print("  " + " ".join(statement.split())[:160])
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("     ", " | ".join(str(c) for c in row))


def arguments(doc: str) -> argparse.Namespace:
    """The options every bench that seeds sizes takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL: each size gets the database <name>_<size> next to it")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--rounds", type=int, default=30)
    return parser.parse_args()


def after_load(engine) -> None:
    """What autovacuum does after a bulk load on PostgreSQL (statistics, and the visibility
    map an index-only scan needs); SQLite's planner statistics. Then the engine is closed."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def report(results: dict[int, dict[str, tuple[float, float]]]) -> None:
    """p50 and p95 of each page at each size, then the ratio of the largest size's p95 to
    the smallest's (the goal's figure)."""
    names = list(next(iter(results.values())))
    width = max(len(n) for n in names)
    for size, found in results.items():
        for name, (p50, p95) in found.items():
            print(f"{size:>9,} {name:<{width}} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    sizes = sorted(results)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for name in names:
            print(f"{name:<{width}} p95 {large:,} / {small:,} = {results[large][name][1] / results[small][name][1]:.2f}")


def main() -> None:
    args = arguments(__doc__)
    apps = {}
    for size in sorted(int(s) for s in args.sizes.split(",")):
        url = database_for(args.database_url, size)
        print(f"{size:,} intakes on {url.split(':')[0]}")
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with Session(engine) as session:
            municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
            accounts.create_user(session, "bench-coordinator", PASSWORD, "coordinator")
            session.commit()
            seed(session, size, random.Random(size))
            session.commit()
            tallies = session.scalar(text("SELECT count(*) FROM report_tally"))
            months = session.scalar(text("SELECT count(*) FROM report_tally_month"))
        after_load(engine)
        print(f"  seeded in {time.perf_counter() - started:.0f} s; tally rows: {tallies:,} days, {months:,} months")
        apps[size] = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False})
        explain(apps[size], "/provider/stats")
    report(measure(apps, args.rounds))
    for app in apps.values():
        app.extensions["tsunagi.db"].kw["bind"].dispose()


if __name__ == "__main__":
    main()
