"""P4: reads while another connection holds the SQLite write lock, against the same reads with none.

Starts tsunagi under gunicorn.conf.py (WEB_CONCURRENCY and GUNICORN_THREADS apply) on a
fresh SQLite demo database, signs an office's staff in (instance/demo-credentials.json)
and submits one intake for a real follow-up token. Then `--rounds` rounds of two phases of
`--seconds` each, the same load in both:
- `--readers` client threads for each read, each sending it again `--pause` seconds after
  its answer: the kiosk's first screen (`/k/lib-chuo/ja/`), the follow-up page (`/f`), the
  follow-up lookup (`POST /api/v1/follow-up` with the token) and the inbox (`/provider/`);
- `--submitters` client threads, each sending `POST /api/v1/intakes` (outreach token,
  Idempotency-Key) every `--submit-every` seconds; a 503 is retried with the same key
  after its Retry-After, as the outreach app does;
- "calm": nothing else; "locked": a separate sqlite3 connection on the same file runs
  `BEGIN IMMEDIATE`, holds the write lock `--hold` seconds, commits, waits `--gap`
  seconds, and again, for the whole phase.
Prints p50, p99 and the slowest answer of each read per phase, the submits' answers, and
the ratio locked / calm of each read's p99 (goal: locked p99 <= 50 ms).

    .venv/bin/python bench/stall.py [--seconds 12] [--rounds 2] [--readers 1] [--submitters 4]

Read the ratios; absolute figures depend on the machine's load.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit import free_port, server_settings, setup_tsunagi, start, submit_body, wait_for  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
READS = ("kiosk /k/lib-chuo/ja/", "follow-up page /f", "follow-up API", "inbox /provider/")


@contextlib.contextmanager
def tsunagi_server() -> Iterator[tuple[int, Path, str, dict]]:
    """tsunagi on a fresh SQLite demo database; yields its port, the database file, the
    outreach worker's API token and the demo credentials, and stops the server after."""
    tmp = Path(tempfile.mkdtemp(prefix="tsunagi-stall-"))
    env, token, _ = setup_tsunagi(tmp)
    port = free_port()
    server = start(env, "wsgi:app", port)
    try:
        wait_for(port, "/healthz", server)
        credentials = json.loads((tmp / "demo-credentials.json").read_text())
        yield port, tmp / "tsunagi.sqlite3", token, credentials
    finally:
        server.terminate()
        server.wait(timeout=30)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def sign_in(port: int, username: str, password: str) -> str:
    """The Cookie header of a signed-in staff session."""
    status, headers, page = request(port, "GET", "/provider/login")
    cookie = headers.get("set-cookie", "").split(";")[0]
    match = CSRF.search(page.decode())
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": match.group(1) or match.group(2)}).encode()
    status, headers, _ = request(port, "POST", "/provider/login", form,
                                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    if status != 302:
        raise SystemExit(f"sign-in answered {status}")
    return headers["set-cookie"].split(";")[0]


def hold_lock(database: Path, hold: float, gap: float, stop: threading.Event, held: list) -> None:
    """Another connection on the same file: BEGIN IMMEDIATE, hold `hold` s, COMMIT, wait `gap` s."""
    conn = sqlite3.connect(database, timeout=60, isolation_level=None)
    try:
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            stop.wait(hold)
            conn.execute("COMMIT")
            held.append(time.monotonic() - started)
            stop.wait(gap)
    finally:
        conn.close()


def phase(port: int, targets: list, submit: dict, auth: str, args, database: Path | None) -> dict:
    """One phase: readers, submitters and (with `database`) the lock holder."""
    stop = threading.Event()
    latencies: dict[str, list[float]] = {name: [] for name in READS}
    failures: dict[str, int] = {name: 0 for name in READS}
    submits = {"201": 0, "503": 0, "other": 0, "waits": []}
    held: list[float] = []
    lock = threading.Lock()

    def reader(target: tuple):
        name, method, path, body, headers, expect = target
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expect
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies[name].append(elapsed)
                else:
                    failures[name] += 1
            stop.wait(args.pause)

    def submitter(offset: int):
        stop.wait(offset * args.submit_every / max(1, args.submitters))
        body = json.dumps(submit).encode()
        while not stop.is_set():
            key = str(uuid.uuid4())
            started = time.perf_counter()
            while True:
                try:
                    status, headers, _ = request(port, "POST", "/api/v1/intakes", body, {
                        "Authorization": f"Bearer {auth}", "Idempotency-Key": key,
                        "Content-Type": "application/json"})
                except (OSError, http.client.HTTPException):
                    status, headers = 0, {}
                with lock:
                    submits[str(status) if status in (201, 503) else "other"] += 1
                if status != 503 or stop.is_set():
                    break
                stop.wait(float(headers.get("retry-after", "1")))
            if status == 201:
                with lock:
                    submits["waits"].append(time.perf_counter() - started)
            stop.wait(args.submit_every)

    threads = [threading.Thread(target=reader, args=(t,)) for t in targets for _ in range(args.readers)]
    threads += [threading.Thread(target=submitter, args=(n,)) for n in range(args.submitters)]
    if database is not None:
        threads.append(threading.Thread(target=hold_lock, args=(database, args.hold, args.gap, stop, held)))
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    figures = {}
    for name, values in latencies.items():
        values.sort()
        n = len(values)
        figures[name] = {"n": n, "failed": failures[name],
                         "p50": 1000 * statistics.median(values) if n else float("nan"),
                         "p99": 1000 * values[min(n - 1, int(n * 0.99))] if n else float("nan"),
                         "max": 1000 * values[-1] if n else float("nan")}
    waits = sorted(submits.pop("waits"))
    submits["max wait s"] = f"{waits[-1]:.1f}" if waits else "-"
    return {"reads": figures, "submits": submits, "held": held}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--readers", type=int, default=1, help="client threads per read")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between one reader's requests")
    parser.add_argument("--submitters", type=int, default=4)
    parser.add_argument("--submit-every", type=float, default=1.0)
    parser.add_argument("--hold", type=float, default=4.0)
    parser.add_argument("--gap", type=float, default=0.5)
    args = parser.parse_args()
    with tsunagi_server() as (port, database, token, credentials):
        staff = next(row for row in credentials if row["role"] == "provider_staff")
        cookie = sign_in(port, staff["username"], staff["password"])
        submit = submit_body(port)
        status, _, created = request(port, "POST", "/api/v1/intakes", json.dumps(submit).encode(), {
            "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json"})
        if status != 201:
            raise SystemExit(f"the first submit answered {status}: {created[:300]!r}")
        follow_up = json.loads(created)["follow_up"]["url"].split("#", 1)[1]
        lookup = json.dumps({"token": follow_up, "locale": "ja"}).encode()
        targets = [
            (READS[0], "GET", "/k/lib-chuo/ja/", None, {}, 200),
            (READS[1], "GET", "/f", None, {}, 200),
            (READS[2], "POST", "/api/v1/follow-up", lookup, {"Content-Type": "application/json"}, 200),
            (READS[3], "GET", "/provider/", None, {"Cookie": cookie}, 200),
        ]
        print(f"# bench/stall.py: {args.readers} reader(s) per read ({args.pause:g} s apart), {args.submitters} submitters "
              f"(one each {args.submit_every:g} s), lock held {args.hold:g} s with {args.gap:g} s gaps, "
              f"{args.rounds} x 2 x {args.seconds:g} s, "
              f"{server_settings()}")
        print(f"{'round':<6} {'phase':<7} {'what':<22} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'failed':>7}")
        ratios: dict[str, list[float]] = {name: [] for name in READS}
        locked_p99: dict[str, list[float]] = {name: [] for name in READS}
        for r in range(1, args.rounds + 1):
            calm = phase(port, targets, submit, token, args, None)
            locked = phase(port, targets, submit, token, args, database)
            for label, result in (("calm", calm), ("locked", locked)):
                for name, fig in result["reads"].items():
                    print(f"{r:<6} {label:<7} {name:<22} {fig['n']:>5} {fig['p50']:>8.1f} {fig['p99']:>8.1f} "
                          f"{fig['max']:>8.1f} {fig['failed']:>7}")
                held = ", ".join(f"{x:.1f}" for x in result["held"]) or "-"
                print(f"{r:<6} {label:<7} submits: {result['submits']}; lock held (s): {held}")
            for name in READS:
                base, busy = calm["reads"][name]["p99"], locked["reads"][name]["p99"]
                ratios[name].append(busy / base if base else float("nan"))
                locked_p99[name].append(busy)
        for name in READS:
            verdict = "ok" if max(locked_p99[name]) <= 50 else "NOT MET"
            print(f"ratio {name} p99 locked / calm: {', '.join(f'{x:.2f}' for x in ratios[name])}; "
                  f"locked p99 {', '.join(f'{x:.0f}' for x in locked_p99[name])} ms  (goal <= 50 ms: {verdict})")


if __name__ == "__main__":
    main()
