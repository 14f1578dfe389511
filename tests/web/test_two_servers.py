"""Two app servers (separate gunicorn processes on separate ports) on one database and one
Redis: a session, a rate limit, an idempotent replay and a kiosk draft hold across them."""
from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, empty_database
from tests.kiosk_helpers import csrf_token


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies shared across both servers (they are one site behind a load balancer)."""

    def __init__(self, address: str = "127.0.0.1"):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, url: str, data: dict | None = None, json_body: dict | None = None,
                headers: dict | None = None) -> tuple[int, dict, str]:
        body, head = None, dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            head["Content-Type"] = "application/json"
        try:
            with self.opener.open(urllib.request.Request(url, data=body, headers=head), timeout=20) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()


def start(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([Path(sys.executable).parent / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                cwd=ROOT, env={**env, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def servers(database_url, engine, redis_url, tmp_path_factory):
    from tests.browser.conftest import free_port, wait_healthy

    empty_database(engine)
    instance = tmp_path_factory.mktemp("instance")
    env = {**os.environ, "TSUNAGI_DATABASE_URL": database_url, "TSUNAGI_DEMO": "1",
           "TSUNAGI_INSTANCE_PATH": str(instance), "TSUNAGI_RATELIMIT_STORAGE_URI": redis_url, "HOST": "127.0.0.1"}
    flask = Path(sys.executable).parent / "flask"
    for args in (["db", "upgrade"], ["demo", "setup"]):
        subprocess.run([flask, "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    ports = [free_port(), free_port()]
    procs = [start(env, port, instance / f"server-{port}.log") for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for url, proc, port in zip(urls, procs, ports):
        wait_healthy(url, proc, instance / f"server-{port}.log")
    credentials = {row["username"]: row for row in json.loads((instance / "demo-credentials.json").read_text())}
    yield urls, credentials
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=20)
    empty_database(engine)


def sign_in(browser: Browser, url: str, username: str, password: str) -> int:
    _status, _headers, page = browser.request(f"{url}/provider/login")
    status, _headers, _page = browser.request(f"{url}/provider/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(page)})
    return status


def staff(credentials) -> dict:
    return next(row for row in credentials.values() if row.get("role") == "provider_staff")


def test_a_session_from_one_server_opens_the_other(servers):
    (a, b), credentials = servers
    user = staff(credentials)
    browser = Browser()
    assert sign_in(browser, a, user["username"], user["password"]) == 302
    assert browser.request(f"{b}/provider/")[0] == 200
    assert Browser().request(f"{b}/provider/")[0] == 302  # without the cookie: sign in


def test_failed_sign_ins_count_across_servers(servers):
    (a, b), credentials = servers
    user = staff(credentials)
    attacker = Browser()
    codes = [sign_in(attacker, a if i % 2 else b, user["username"], f"guess {i}") for i in range(6)]
    assert codes == [401] * 6
    # The seventh try, on either server, is refused: the limit lives in the shared Redis.
    assert sign_in(attacker, a, user["username"], user["password"]) == 429
    assert sign_in(attacker, b, user["username"], user["password"]) == 429


def test_an_idempotent_submit_replays_on_the_other_server(servers):
    (a, b), credentials = servers
    worker = next(row for row in credentials.values() if row.get("role") == "outreach_worker")
    client = Browser()
    status, _h, body = client.request(f"{a}/api/v1/tokens", json_body={"username": worker["username"],
                                                                       "password": worker["password"]})
    assert status == 201, body
    auth = {"Authorization": f"Bearer {json.loads(body)['token']}", "Idempotency-Key": str(uuid.uuid4())}
    version = json.loads(client.request(f"{a}/api/v1/forms/intake-default?locale=ja")[2])["consent"]["version"]
    intake = {"form_id": "intake-default", "locale": "ja", "channel": "outreach", "location": "outreach",
              "answers": {"subject": "self", "age_band": "65_plus", "danger_now": "no", "area": "kita"},
              "contact": {"name": "二台 花子", "phone": "090-1111-2222"},
              "consent": {"version": version, "mode": "self", "scopes": {
                  "share_with_provider": True, "multi_agency_meeting": False, "contact_methods": ["phone"]}}}
    first = client.request(f"{a}/api/v1/intakes", json_body=intake, headers=auth)
    again = client.request(f"{b}/api/v1/intakes", json_body=intake, headers=auth)
    assert first[0] == 201 and again[0] == 201
    assert again[1].get("Idempotent-Replayed") == "true"
    assert json.loads(again[2])["intake_id"] == json.loads(first[2])["intake_id"]


def test_a_kiosk_draft_continues_on_the_other_server(servers):
    (a, b), _credentials = servers
    resident = Browser()
    _s, _h, page = resident.request(f"{a}/k/lib-chuo/en/")
    status, headers, _body = resident.request(f"{a}/k/lib-chuo/en/start", data={"csrf_token": csrf_token(page)})
    assert status == 302
    step = urllib.parse.urljoin(a, headers["Location"]).replace(a, b)
    status, _h, page = resident.request(step)
    assert status == 200 and 'name="csrf_token"' in page  # the same step, not a fresh start
    fresh = Browser().request(step)
    assert fresh[0] == 302  # a browser without the draft's cookie starts over


@pytest.mark.parametrize(("env", "refused"), [
    ({"WEB_CONCURRENCY": "2"}, True),
    ({"WEB_CONCURRENCY": "1"}, False),
    ({"WEB_CONCURRENCY": "2", "TSUNAGI_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}, False),
    ({"WEB_CONCURRENCY": "2", "TSUNAGI_DEMO": "1"}, False),
])
def test_several_workers_need_a_shared_limit_store_outside_the_demo(env, refused):
    clean = {k: v for k, v in os.environ.items() if k not in ("TSUNAGI_DEMO", "TSUNAGI_RATELIMIT_STORAGE_URI")}
    done = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('gunicorn.conf.py')"],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True)
    assert (done.returncode != 0) == refused
    if refused:
        assert "TSUNAGI_RATELIMIT_STORAGE_URI=redis://" in done.stderr


@pytest.mark.parametrize(("raw", "status"), [
    (b"GET /api/v1/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    (b"GET /api/v1/forms/intake-default HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n", 400),
    (b"GET /api/v1/forms/intake-default HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
])
def test_what_gunicorn_itself_refuses_is_problem_json(servers, raw, status):
    import socket

    (a, _b), _credentials = servers
    port = int(a.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/problem+json" in head
    problem = json.loads(body)
    assert problem["status"] == status and "aaaa" not in body.decode()
