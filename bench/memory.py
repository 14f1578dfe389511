"""Memory: each gunicorn worker's RSS at idle and after 10,000 submits, against a minimal app.

Starts two gunicorn servers on loopback with the same gunicorn.conf.py (WEB_CONCURRENCY and
GUNICORN_THREADS apply to both): tsunagi on a fresh SQLite demo database and
bench/minimal_app.py (one INSERT per request). Each worker is a child of its gunicorn
master; its RSS is VmRSS in /proc/<pid>/status, also shown as its two parts, RssAnon (the
heap) and RssFile (mapped files, shared with the page cache). For each server: RSS at idle (started, no
request yet), after `--warm` requests (templates compiled, caches filled), and after
`--requests` requests in all from `--connections` client threads: `POST /api/v1/intakes`
(outreach token, Idempotency-Key) against `POST /insert`. Prints each worker's figures,
the growth from idle and from warm, and whether the goal holds (growth from idle <= 10%).

    .venv/bin/python bench/memory.py [--requests 10000] [--warm 200] [--connections 8]

Read the growth; absolute RSS depends on the Python build and the libraries.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit import server_settings, side_by_side, submit_body  # noqa: E402


def gunicorn_master(port: int) -> int:
    """The pid of the process listening on `port` that is no other gunicorn's child: the master."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # LISTEN
            inodes.add(fields[9])
    owners = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    owners.add(int(proc.name))
                    break
        except OSError:
            continue
    parents = {pid: parent_of(pid) for pid in owners}
    masters = [pid for pid, parent in parents.items() if parent not in owners]
    if len(masters) != 1:
        raise SystemExit(f"no single gunicorn master on port {port}: {sorted(owners)}")
    return masters[0]


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def workers_of(master: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    return sorted(children)


def all_workers(port: int, timeout: float = 120) -> list[int]:
    """The server's workers once all of them have booted (gunicorn forks them one after the
    other, and one may answer before the next has finished its warm-up)."""
    wanted = int(re.search(r"workers=(\d+)", server_settings()).group(1))
    deadline = time.monotonic() + timeout
    while True:
        found = workers_of(gunicorn_master(port))
        if len(found) >= wanted or time.monotonic() > deadline:
            return settled(found, deadline)
        time.sleep(0.1)


def settled(pids: list[int], deadline: float) -> list[int]:
    """`pids` once each one's RSS has stayed the same for a second: a worker's warm-up
    (gunicorn's post_worker_init, before it accepts a connection) is over, so its idle RSS
    includes it."""
    last, steady_since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = [rss_kib(pid)["VmRSS"] for pid in pids]
        if now != last:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since >= 1.0:
            break
        time.sleep(0.1)
    return pids


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and its parts in KiB: RssAnon (the heap: private) and RssFile (mapped files:
    libraries and the furigana dictionary, shared with the page cache)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0])
    return fields


def drive(port: int, path: str, body: dict, headers, count: int, connections: int) -> tuple[Counter, float]:
    """`count` POSTs of `body` to `path` from `connections` threads; (statuses other than
    201 and how many of each, seconds)."""
    left = [count]
    failed: Counter = Counter()
    lock = threading.Lock()
    payload = json.dumps(body).encode()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            try:
                conn.request("POST", path, body=payload, headers={**headers(), "Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            if status != 201:
                with lock:
                    failed[status] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failed, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with side_by_side() as (token, tsunagi_port, minimal_port):
        body = submit_body(tsunagi_port)
        servers = {
            "tsunagi submit": (tsunagi_port, "/api/v1/intakes",
                               lambda: {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}),
            "minimal insert": (minimal_port, "/insert", dict),
        }
        print(f"# bench/memory.py: {args.requests} requests ({args.warm} of them warm-up), "
              f"{args.connections} connections, {server_settings()}")
        print(f"{'server':<16} {'worker':>7} {'RSS':<8} {'idle MiB':>9} {'warm MiB':>9} {'after MiB':>10} "
              f"{'growth idle':>12} {'growth warm':>12}")
        results = {}
        for name, (port, path, headers) in servers.items():
            workers = all_workers(port)
            idle = {pid: rss_kib(pid) for pid in workers}
            failed_warm, _ = drive(port, path, body, headers, args.warm, args.connections)
            warm = {pid: rss_kib(pid) for pid in workers}
            failed, seconds = drive(port, path, body, headers, args.requests - args.warm, args.connections)
            if workers_of(gunicorn_master(port)) != workers:
                raise SystemExit(f"{name}: a worker was replaced during the run")
            after = {pid: rss_kib(pid) for pid in workers}
            for pid in workers:
                for part in ("VmRSS", "RssAnon", "RssFile"):
                    a, b, c = idle[pid][part], warm[pid][part], after[pid][part]
                    print(f"{name:<16} {pid:>7} {part:<8} {a / 1024:>9.1f} {b / 1024:>9.1f} {c / 1024:>10.1f} "
                          f"{100 * (c / a - 1):>11.1f}% {100 * (c / b - 1):>11.1f}%")
            print(f"{name:<16} {args.requests} requests in {seconds:.0f} s (after warm-up), "
                  f"not 201: {dict(failed_warm + failed) or 'none'}")
            results[name] = [max(100 * (after[pid]["VmRSS"] / start[pid]["VmRSS"] - 1) for pid in workers)
                             for start in (idle, warm)]
        (growth, grown_warm), (base, base_warm) = results["tsunagi submit"], results["minimal insert"]
        print(f"largest VmRSS growth per worker from idle: tsunagi {growth:.1f}%, minimal {base:.1f}%  "
              f"(goal <= 10%: {'ok' if growth <= 10 else 'NOT MET'}); "
              f"from warm: tsunagi {grown_warm:.1f}%, minimal {base_warm:.1f}%")


if __name__ == "__main__":
    main()
