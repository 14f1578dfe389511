"""What an attacker or a broken device sends is answered 400/404/422, never 500, and
nothing is stored: deep nesting, lone surrogates and NUL bytes, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.api.test_api_intakes import body, post, worker  # noqa: F401 (fixture)
from tests.kiosk_helpers import Journey
from tsunagi.domain.models import Intake

DEEP = "[" * 100_000 + "]" * 100_000
ENDPOINTS = ["/api/v1/follow-up", "/api/v1/follow-up/messages", "/api/v1/follow-up/withdraw", "/api/v1/triage",
             "/api/v1/tokens", "/api/v1/intakes"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("raw", [DEEP, '{"a": ' * 5000 + "1" + "}" * 5000, '{"token": "\\ud800"}',
                                 '{"code": "\\ud800abc"}', '{"answers": {"\\ud800": "x"}}', '{"token": "a\\u0000b"}'])
def test_hostile_json_is_refused_not_a_500(client, session, worker, path, raw):  # noqa: F811
    _user, headers = worker
    response = client.post(path, data=raw, content_type="application/json",
                           headers={**headers, "Idempotency-Key": "k" * 20})
    assert response.status_code < 500, (path, response.status_code, response.data[:200])
    assert response.mimetype == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(Intake)) == 0


def test_surrogates_and_nul_inside_an_intake_are_refused(client, session, worker):  # noqa: F811
    _user, headers = worker
    for contact in ({"name": "\ud800"}, {"name": "a\x00b"}, {"free_text": "x\udfff"}):
        payload = body(client)
        payload["contact"] = contact
        raw = __import__("json").dumps(payload)  # escapes the surrogate as \\ud800
        response = client.post("/api/v1/intakes", data=raw, content_type="application/json",
                               headers={**headers, "Idempotency-Key": "s" * 20 + str(len(raw))})
        assert response.status_code == 400, response.json
    assert session.scalar(select(func.count()).select_from(Intake)) == 0


def test_a_nul_typed_at_the_kiosk_is_dropped_and_the_resident_goes_on(client, session, demo):
    answers = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"}
    receipt = Journey(client).answer_all(answers, {"name": "Ana\x00 Lima", "free_text": "he\x00llo"})
    assert receipt.status_code == 200
    intake = session.scalar(select(Intake))
    assert intake.name == "Ana Lima" and intake.free_text == "hello"


def test_a_nul_in_the_sign_in_name_is_not_a_500(client, session, provider_users):
    from tests.inbox.test_inbox import login

    assert login(client, "houkatsu-kita\x00").status_code < 500


def test_two_idempotency_keys_are_refused_not_joined(client, session, worker):  # noqa: F811
    """Two Idempotency-Key headers reach the app joined by ", " (gunicorn and Werkzeug
    alike): that is not one key."""
    _user, headers = worker
    joined = "a" * 20 + ", " + "b" * 20
    response = client.post("/api/v1/intakes", json=body(client), headers={**headers, "Idempotency-Key": joined})
    assert response.status_code == 400 and response.json["code"] == "idempotency_key"
    assert session.scalar(select(func.count()).select_from(Intake)) == 0


def test_triage_on_a_database_never_migrated_says_what_to_do(tmp_path):
    from tsunagi import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["triage", "explain"], input='{"answers": {}}')
    assert result.exit_code == 1 and "flask --app wsgi db upgrade" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("query", ["after=", "status=", "after=a%2Fb", "status=gone"])
def test_an_empty_or_wrong_page_parameter_is_400(client, provider_users, query):
    response = client.get(f"/api/v1/inbox?{query}", headers={"Authorization": f"Bearer {provider_users['shogai']}"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
