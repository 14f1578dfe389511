"""The gunicorn worker: gunicorn's threaded worker, whose own error answers (a request line
or header over `limit_request_*`, a malformed request) are problem+json like the app's,
not gunicorn's HTML page. Named in gunicorn.conf.py (`worker_class`).

gunicorn answers such requests before the app sees them, so the path may be unknown (an
over-long request line is not read to its end): every one of them gets problem+json. The
detail is the reason only: the offending line is not echoed back.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, _flag) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data


def problem_response(raw: bytes) -> bytes:
    """gunicorn's HTML error response `raw`, as the same status in problem+json."""
    status_line = raw.split(b"\r\n", 1)[0].decode("latin1")
    _http, status, reason = (status_line.split(" ", 2) + [""])[:3]
    body = json.dumps({"type": "about:blank", "title": reason or "Bad Request", "status": int(status),
                       "detail": f"the server refused the request before reading it: {reason.lower()}"}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    return head + body


class ProblemThreadWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        if captured.data:
            try:
                util.write_nonblock(client, problem_response(captured.data))
            except Exception:  # noqa: BLE001 - the client went away, as gunicorn itself tolerates
                self.log.debug("Failed to send error message.")
