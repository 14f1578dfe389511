"""gunicorn settings for tsunagi. Run migrations (`flask --app wsgi db upgrade`) before
starting: script/server does."""
import ctypes
import ctypes.util
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per worker: a request waiting for the SQLite write lock (up to
# SQLITE_BUSY_TIMEOUT_MS, 5 s) sleeps in its thread. With 2 threads, two submits waiting on
# a writer held elsewhere (the jobs runner, a CLI command) stopped every read of their
# worker for seconds (kiosk GET p99 2.5 s with a 4 s lock held, bench/stall.py). 6 leave
# reads free threads while writes wait (no read that writes nothing took over 0.2 s); 4 let one
# worker fill up. CPU work stays bounded by the GIL and the cores; more threads mean more
# writers contending for SQLite's lock at once (at 8, bench/submit.py's p99 rose 2-3x
# under 16 connections; see docs/performance.md, P4).
threads = int(os.environ.get("GUNICORN_THREADS", "6"))
# A request never runs longer: tsunagi.domain.idempotency.STALE_AFTER (45 s) relies on it.
timeout = 30
# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and a
# worker's threads each grew one: after 10,000 submits a worker's RSS was 10.2% above idle,
# with 2 arenas 8.6% (bench/memory.py, docs/performance.md, Memory). Set in the master, so
# every worker's threads share two; MALLOC_ARENA_MAX in the environment still decides.
if "MALLOC_ARENA_MAX" not in os.environ:
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: its allocator has no such setting
        pass
# gunicorn's threaded worker, answering its own refusals (limits below, malformed
# requests) in problem+json like the app does.
worker_class = "tsunagi.web.gunicorn_worker.ProblemThreadWorker"
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The app is built once in the master and forked: a worker that is killed is back in
# milliseconds instead of re-importing everything (seconds on a loaded 2-core machine).
# The factory closes its start-up connections, so no worker inherits one.
preload_app = True


def when_ready(server):
    """The master warms the preloaded app before forking the workers: every worker starts
    with its templates compiled, catalogs and dictionary loaded (tsunagi.web.warm)."""
    from tsunagi.web.warm import warm_master

    warm_master(server.app.wsgi())


def post_worker_init(worker):
    from tsunagi.web.warm import warm_worker

    warm_worker(worker.wsgi)


# Several workers each keep their own in-memory rate limits: an attacker would get
# `workers` times the allowance. Outside the demo, several workers need a shared store.
_limits = os.environ.get("TSUNAGI_RATELIMIT_STORAGE_URI", "memory://")
if workers > 1 and _limits.startswith("memory") and os.environ.get("TSUNAGI_DEMO") != "1":
    raise SystemExit(
        f"gunicorn.conf.py: {workers} workers with in-memory rate limits would multiply every limit; "
        "set TSUNAGI_RATELIMIT_STORAGE_URI=redis://HOST:6379 (a shared Redis), or WEB_CONCURRENCY=1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# No referrer or user agent in the access log: request line, status and size are enough.
# URLs carry no personal data by design (the follow-up token lives in the fragment).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
