"""The fault run: intakes submitted with client retries while gunicorn workers are killed.

Starts tsunagi under gunicorn on a fresh SQLite demo database (or TSUNAGI_DATABASE_URL),
submits `--intakes` intakes from `--clients` threads, each retrying with the same
Idempotency-Key until it gets its 201, while a killer SIGKILLs a random worker every
0.5-1 s and, half-way, SIGKILLs the master and starts a new one. Then it counts:

- lost: intakes whose client never got a 201 within `--give-up` seconds;
- duplicated: rows in the database beyond one per acknowledged intake;
- 5xx: server errors that the client's retries did not get past.

    .venv/bin/python bench/fault_run.py [--intakes 3000] [--clients 4]

Exit status 1 when anything was lost, duplicated or left failing. tests/web/test_fault_run.py
runs it small.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit import BODY, free_port, setup_tsunagi, start, wait_for  # noqa: E402


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intakes", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--give-up", type=float, default=120)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="tsunagi-fault-"))
    env, token, _ = setup_tsunagi(tmp)
    port = free_port()
    master = {"proc": start(env, "wsgi:app", port)}
    wait_for(port, "/healthz", master["proc"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/forms/intake-default?locale=ja")
    version = json.loads(conn.getresponse().read())["consent"]["version"]
    body = json.dumps({**BODY, "consent": {"version": version, "mode": "self", "scopes": {
        "share_with_provider": True, "multi_agency_meeting": False, "contact_methods": ["phone"]}}}).encode()

    acknowledged: dict[str, str] = {}
    lost, retried_5xx, final_5xx = [0], [0], [0]
    lock = threading.Lock()
    done = threading.Event()
    todo = list(range(args.intakes))

    def client() -> None:
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            key = str(uuid.uuid4())
            deadline = time.monotonic() + args.give_up
            last = None
            while time.monotonic() < deadline:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                    c.request("POST", "/api/v1/intakes", body=body, headers={
                        "Authorization": f"Bearer {token}", "Idempotency-Key": key,
                        "Content-Type": "application/json"})
                    response = c.getresponse()
                    data = response.read()
                    c.close()
                    last = response.status
                    if response.status == 201:
                        with lock:
                            acknowledged[key] = json.loads(data)["intake_id"]
                        break
                    if response.status >= 500:
                        with lock:
                            retried_5xx[0] += 1
                    wait = float(response.getheader("Retry-After") or 0.2)
                except (OSError, http.client.HTTPException):
                    last, wait = None, 0.2
                time.sleep(min(max(wait, 0.2), 5))
            else:
                with lock:
                    lost[0] += 1
                    if last is not None and last >= 500:
                        final_5xx[0] += 1

    def killer() -> None:
        restarted = False
        while not done.is_set():
            time.sleep(random.uniform(0.5, 1.0))
            with lock:
                half = len(acknowledged) >= args.intakes // 2
            if half and not restarted:
                restarted = True
                master["proc"].send_signal(signal.SIGKILL)
                master["proc"].wait()
                # The killed master's workers notice and leave; until then the port may be
                # taken, and a new master that cannot bind exits: start it until it serves.
                for attempt in range(10):
                    master["proc"] = start(env, "wsgi:app", port)
                    try:
                        wait_for(port, "/healthz", master["proc"])
                        break
                    except SystemExit:
                        print(f"restart {attempt + 1}: the new master exited; starting it again", flush=True)
                continue
            workers = children(master["proc"].pid)
            if workers:
                try:
                    os.kill(random.choice(workers), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    kill_thread = threading.Thread(target=killer)
    for t in threads:
        t.start()
    kill_thread.start()
    for t in threads:
        t.join()
    done.set()
    kill_thread.join()
    elapsed = time.monotonic() - started
    master["proc"].terminate()
    master["proc"].wait(timeout=30)

    from sqlalchemy import create_engine, func, select

    from tsunagi.domain.models import Intake
    engine = create_engine(env["TSUNAGI_DATABASE_URL"])
    with engine.connect() as db:
        rows = db.scalar(select(func.count()).select_from(Intake))
        stored = set(db.scalars(select(Intake.id)))
    engine.dispose()
    ids = set(acknowledged.values())
    missing = len(ids - stored)
    duplicated = rows - len(ids)
    print(f"# bench/fault_run.py: {args.intakes} intakes, {args.clients} clients, {elapsed:.0f} s, "
          f"workers SIGKILLed every 0.5-1 s, the master killed and restarted once")
    print(f"acknowledged {len(acknowledged)}, lost {lost[0] + missing}, duplicated {duplicated}, "
          f"5xx retried past {retried_5xx[0]}, 5xx left {final_5xx[0]}, rows {rows}")
    return 1 if (lost[0] or missing or duplicated or final_5xx[0]) else 0


if __name__ == "__main__":
    sys.exit(main())
