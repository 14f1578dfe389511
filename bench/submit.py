"""P1: the full intake submit against a one-row insert, side by side, same gunicorn settings.

Starts two gunicorn servers on loopback (gunicorn.conf.py for both; WEB_CONCURRENCY and
GUNICORN_THREADS apply to both): tsunagi on a fresh SQLite demo database, and
bench/minimal_app.py (Flask + SQLAlchemy + SQLite WAL, one INSERT per request). Then
`--rounds` interleaved rounds of `--seconds` each drive `--connections` client threads
against `POST /api/v1/intakes` (validation, consent, triage, routing, follow-up token and
QR, sealing, audit, notification outbox, commit) and against `POST /insert`. Prints
requests per second, p50 and p99 per round and the ratio tsunagi / minimal.

    .venv/bin/python bench/submit.py [--seconds 10] [--rounds 2] [--connections 16]

Read the ratio; absolute figures depend on the machine's load.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tsunagi.domain import sealed  # noqa: E402

BODY = {
    "form_id": "intake-default", "locale": "ja", "channel": "outreach", "location": "outreach",
    "answers": {"subject": "family", "age_band": "65_plus", "concerns": ["elder_care"], "danger_now": "no",
                "area": "kita"},
    "contact": {"name": "鈴木 一郎", "phone": "080-2222-3333"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"server on {port} exited: {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def start(env: dict, app: str, port: int) -> subprocess.Popen:
    env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port), "GUNICORN_ACCESS_LOG": "/dev/null"}
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", app],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def setup_tsunagi(tmp: Path) -> tuple[dict, str, int]:
    """A migrated demo database with one outreach worker; returns env, token, consent version."""
    env = {"TSUNAGI_INSTANCE_PATH": str(tmp), "TSUNAGI_DEMO": "1",
           "TSUNAGI_DATABASE_URL": f"sqlite:///{tmp / 'tsunagi.sqlite3'}",
           "TSUNAGI_DATA_KEYS": sealed.new_key(), "TSUNAGI_SECRET_KEY": uuid.uuid4().hex}
    flask = str(ROOT / ".venv" / "bin" / "flask")
    for args in (["db", "upgrade"], ["demo", "setup"], ["users", "create", "bench-worker", "--role", "outreach_worker"]):
        done = subprocess.run([flask, "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, **env},
                              capture_output=True, text=True, input="bench password 0123456789\n" * 2)
        if done.returncode:
            raise SystemExit(done.stderr)
    token = next(line.split()[-1] for line in done.stdout.splitlines() if "token" in line.lower())
    return env, token, 0


def server_settings() -> str:
    """Workers and threads as gunicorn.conf.py sets them in this environment."""
    saved = dict(os.environ)
    os.environ["TSUNAGI_DEMO"] = "1"
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return f"workers={conf['workers']} threads={conf['threads']}"


def submit_body(port: int) -> dict:
    """An intake body with the consent version the server at `port` gives for Japanese."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/v1/forms/intake-default?locale=ja")
    version = json.loads(conn.getresponse().read())["consent"]["version"]
    conn.close()
    return {**BODY, "consent": {"version": version, "mode": "self", "scopes": {
        "share_with_provider": True, "multi_agency_meeting": False, "contact_methods": ["phone"]}}}


def load(port: int, path: str, make_body, headers, connections: int, seconds: float,
         method: str = "POST", expect: int = 201) -> dict:
    """`connections` client threads sending `method` `path` for `seconds` (a body from
    `make_body` unless it is None); requests per second, p50 and p99 of those answered `expect`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            body = None if make_body is None else json.dumps(make_body()).encode()
            sent = {**headers(), "Content-Type": "application/json"} if body is not None else headers()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                response.read()
                ok = response.status == expect
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    n = len(latencies)
    return {"rps": n / seconds, "p50": 1000 * statistics.median(latencies) if n else float("nan"),
            "p99": 1000 * latencies[min(n - 1, int(n * 0.99))] if n else float("nan"), "errors": errors[0]}


@contextlib.contextmanager
def side_by_side() -> Iterator[tuple[str, int, int]]:
    """tsunagi on a fresh SQLite demo database and bench/minimal_app.py, both under
    gunicorn.conf.py on loopback; yields the outreach worker's token and both ports, and
    stops both servers after."""
    tmp = Path(tempfile.mkdtemp(prefix="tsunagi-bench-"))
    env, token, _ = setup_tsunagi(tmp)
    tsunagi_port, minimal_port = free_port(), free_port()
    servers = [start(env, "wsgi:app", tsunagi_port),
               start({"MINIMAL_DATABASE_URL": f"sqlite:///{tmp / 'minimal.sqlite3'}", "TSUNAGI_DEMO": "1"},
                     "bench.minimal_app:app", minimal_port)]
    try:
        wait_for(tsunagi_port, "/healthz", servers[0])
        wait_for(minimal_port, "/", servers[1])
        yield token, tsunagi_port, minimal_port
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with side_by_side() as (token, tsunagi_port, minimal_port):
        body = submit_body(tsunagi_port)
        auth = {"Authorization": f"Bearer {token}"}
        print(f"# bench/submit.py: {args.connections} connections, {args.rounds} x {args.seconds:g} s rounds, "
              f"{server_settings()}")
        print(f"{'round':<6} {'what':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        ratios = []
        for r in range(1, args.rounds + 1):
            full = load(tsunagi_port, "/api/v1/intakes", lambda: body,
                        lambda: {**auth, "Idempotency-Key": str(uuid.uuid4())}, args.connections, args.seconds)
            base = load(minimal_port, "/insert", lambda: body, lambda: {}, args.connections, args.seconds)
            for name, fig in (("submit", full), ("minimal", base)):
                print(f"{r:<6} {name:<10} {fig['rps']:>8.1f} {fig['p50']:>8.1f} {fig['p99']:>8.1f} {fig['errors']:>7}")
            ratios.append(full["rps"] / base["rps"] if base["rps"] else float("nan"))
        print(f"ratio submit / minimal (req/s): {', '.join(f'{x:.2f}' for x in ratios)}  (goal >= 0.5)")


if __name__ == "__main__":
    main()
