from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tsunagi import create_app
from tsunagi.web.config import ConfigError


def test_secret_key_is_required_outside_demo_and_tests(monkeypatch, database_url):
    monkeypatch.delenv("TSUNAGI_SECRET_KEY", raising=False)
    monkeypatch.delenv("TSUNAGI_DEMO", raising=False)
    with pytest.raises(ConfigError, match="TSUNAGI_SECRET_KEY"):
        create_app({"DATABASE_URL": database_url})  # fails before any engine exists


def test_settings_come_from_the_environment(monkeypatch, database_url, make_app):
    monkeypatch.setenv("TSUNAGI_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("TSUNAGI_BASE_URL", "https://soudan.example.jp")
    monkeypatch.setenv("TSUNAGI_DATABASE_URL", database_url)
    app = make_app()
    assert app.config["SECRET_KEY"] == "k" * 64
    assert app.config["BASE_URL"] == "https://soudan.example.jp"


def test_demo_generates_and_keeps_one_key(monkeypatch, tmp_path, make_app):
    monkeypatch.delenv("TSUNAGI_SECRET_KEY", raising=False)
    monkeypatch.setenv("TSUNAGI_INSTANCE_PATH", str(tmp_path))
    first = make_app({"DEMO": True}).config["SECRET_KEY"]
    second = make_app({"DEMO": True}).config["SECRET_KEY"]
    assert first == second and len(first) == 64


def test_demo_setup_writes_credentials_only_in_demo_mode(runner, app, session):
    refused = runner.invoke(args=["demo", "setup"])
    assert refused.exit_code != 0 and "demo mode" in refused.output
    app.config["DEMO"] = True
    result = runner.invoke(args=["demo", "setup"])
    assert result.exit_code == 0, result.output

    creds = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())
    roles = {c["role"] for c in creds}
    assert {"provider_staff", "coordinator", "admin", "outreach_worker"} <= roles
    assert all(len(c["password"]) >= 12 and c["api_token"] for c in creds)


def test_users_create(runner, demo):
    result = runner.invoke(args=["users", "create", "sato", "--role", "provider_staff", "--provider",
                                 "shogai"], input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["users", "create", "kato", "--role", "provider_staff", "--provider",
                              "nowhere"], input="a long enough password\na long enough password\n")
    assert bad.exit_code != 0 and "unknown provider" in bad.output


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tsunagi.domain.models import Base

    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_provider_system_account_has_a_token_only(runner, demo, app):
    result = runner.invoke(args=["users", "create", "kodomo-system", "--role", "provider_system",
                                 "--provider", "kodomo"])
    assert result.exit_code == 0, result.output
    token = result.output.rsplit(": ", 1)[1].strip()
    response = app.test_client().get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json == {"intakes": [], "next": None}


def test_nul_bytes_in_paths_and_queries_are_400(client, demo):
    for url in ("/api/v1/intakes/abc%00def", "/provider/intakes/%00", "/provider/stats?from=%00", "/k/lib%00/"):
        response = client.get(url)
        assert response.status_code == 400, url


def test_demo_setup_runs_again_after_intakes_exist(runner, app, session, make_intake):
    app.config["DEMO"] = True
    assert runner.invoke(args=["demo", "setup"]).exit_code == 0
    from tsunagi.domain.models import User

    outreach = session.scalar(select(User).where(User.username == "outreach"))
    intake = make_intake().intake
    intake.consent.witness_id = outreach.id
    session.commit()
    again = runner.invoke(args=["demo", "setup"])
    assert again.exit_code == 0, again.output
    creds = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())
    response = app.test_client().get("/api/v1/locations", headers={
        "Authorization": f"Bearer {next(c['api_token'] for c in creds if c['username'] == 'outreach')}"})
    assert response.status_code == 200


def test_served_over_https_the_cookie_is_secure_and_hsts_is_sent(make_app, session, demo):
    from tests.kiosk_helpers import enrol

    app = make_app({"TESTING": True, "BASE_URL": "https://soudan.example.jp"})
    client = app.test_client()
    https = {"base_url": "https://soudan.example.jp", "headers": {"Referer": "https://soudan.example.jp/k/enrol"}}
    device = enrol(client, session, **https).headers["Set-Cookie"]
    assert device.startswith("__Host-tsunagi_kiosk=") and "Secure" in device and "Path=/" in device
    assert "HttpOnly" in device and "SameSite=Strict" in device and "Domain" not in device
    page = client.get("/k/lib-chuo/ja/", base_url="https://soudan.example.jp")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "camera=()" in page.headers["Permissions-Policy"]
    started = client.post("/k/lib-chuo/ja/start", base_url="https://soudan.example.jp",
                          headers={"Referer": "https://soudan.example.jp/k/lib-chuo/ja/"},
                          data={"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                        page.text).group(1)})
    cookie = started.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "HttpOnly" in cookie


def test_plain_http_sends_no_hsts_but_the_permissions_policy(client, demo):
    page = client.get("/k/lib-chuo/ja/")
    assert "Strict-Transport-Security" not in page.headers and "geolocation=()" in page.headers["Permissions-Policy"]


def test_behind_the_configured_proxy_the_client_address_is_the_forwarded_one(make_app, session, demo):
    """One proxy hop: its X-Forwarded-For names the client (audit, rate limits); without
    a configured proxy the header is a client's claim and is ignored."""
    from tsunagi.domain.models import AuditEvent

    for hops, expected in ((1, "203.0.113.7"), (0, "127.0.0.1")):
        app = make_app({"TESTING": True, "PROXY_HOPS": hops})
        app.test_client().post("/api/v1/follow-up", json={"code": "0000-0000-000000"},
                               headers={"X-Forwarded-For": "203.0.113.7"})
        row = session.scalar(select(AuditEvent).where(AuditEvent.action == "follow_up_lookup")
                             .order_by(AuditEvent.id.desc()))
        assert row.remote_addr == expected, hops


def test_behind_the_proxy_failed_lookups_are_limited_per_client(make_app, demo):
    app = make_app({"TESTING": True, "PROXY_HOPS": 1, "FOLLOW_UP_RATE_LIMIT": "3 per minute"})
    client = app.test_client()

    def lookup(address):
        return client.post("/api/v1/follow-up", json={"code": "0000-0000-000000"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [lookup("198.51.100.1") for _ in range(4)] == [404, 404, 404, 429]
    assert lookup("198.51.100.2") == 404  # another resident behind the same proxy is not locked out


@pytest.mark.parametrize("body", ["3.5", "[1, 2]", '{"username": "x"}', "not json"])
def test_a_page_refuses_a_json_body_as_a_bad_request(app, demo, body):
    """Found by tests/web/test_fuzz_routes.py: Flask-WTF read a JSON body as the form (a
    number or a list made it fail with 500). Pages take form data only."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    for path in ("/provider/login", "/k/lib-chuo/ja/start"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400 and response.mimetype == "text/html", (path, body)
