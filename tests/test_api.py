from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD  # noqa: F401  (fixtures share the module)

EIGHT_FIFTY = {"answers": {"subject": "family", "age_band": "40_64", "concerns": ["isolation"],
                           "household": ["elderly_65_plus"], "danger_now": "no"}, "area": "kita"}


def test_healthz(client, demo):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.mark.parametrize("payload", [
    EIGHT_FIFTY,
    {"answers": {"subject": "self", "age_band": "65_plus", "danger_now": "unsure"}, "area": "minami", "locale": "en"},
    {"answers": {"subject": "self", "age_band": "18_39", "concerns": ["money"], "danger_now": "no"}},
])
def test_cli_and_api_give_the_same_decision(client, runner, demo, payload):
    api = client.post("/api/v1/triage", json=payload)
    assert api.status_code == 200
    cli = runner.invoke(args=["triage", "explain"], input=json.dumps(payload))
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == api.json


def test_triage_decision_shape(client, demo):
    d = client.post("/api/v1/triage", json=EIGHT_FIFTY).json
    assert d["service"] == "takikan" and d["priority"] == "normal" and "8050" in d["signals"]
    assert d["provider"]["id"] == "takikan"
    assert {"code": "rule_8050", "text": "8050: 40-64歳・ひきこもり・高齢の家族と同居"} in d["reasons"]


@pytest.mark.parametrize("body", [
    None, [], {"answers": {}}, {"answers": {"subject": "self"}}, {"answers": "x"},
    {"answers": EIGHT_FIFTY["answers"], "locale": "xx"}, {"answers": EIGHT_FIFTY["answers"], "area": "mars"},
])
def test_bad_triage_input_is_a_clear_problem(client, demo, body):
    response = client.post("/api/v1/triage", json=body) if body is not None else \
        client.post("/api/v1/triage", data="not json", content_type="application/json")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"]


def test_cli_rejects_bad_input_with_a_message(runner, demo):
    result = runner.invoke(args=["triage", "explain"], input='{"answers": {"subject": "me"}}')
    assert result.exit_code != 0 and "subject" in result.output


def test_follow_up_unknown_expired_revoked_look_alike(client, session, submitted):
    from datetime import datetime, timezone

    from sqlalchemy import select

    from tsunagi.models import FollowUp

    unknown = client.post("/api/v1/follow-up", json={"token": "x" * 32})
    row = session.scalar(select(FollowUp))
    row.revoked_at = datetime.now(timezone.utc)
    session.commit()
    revoked = client.post("/api/v1/follow-up", json={"token": submitted.secrets.token})
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.json == revoked.json


def test_follow_up_code_with_a_typo_says_check_the_code(client, submitted):
    code = submitted.secrets.code
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    response = client.post("/api/v1/follow-up", json={"code": typo})
    assert response.status_code == 422 and response.json["code"] == "check_symbol"


def test_follow_up_shows_status_without_answers_or_contact(client, submitted):
    response = client.post("/api/v1/follow-up", json={"token": submitted.secrets.token})
    assert response.status_code == 200
    body = json.dumps(response.json, ensure_ascii=False)
    assert response.json["status"] == "received" and response.json["locale"] == "ja"
    assert "南部地域包括支援センター" in response.json["status_text"]
    for private in ("山田", "090-1234-5678", "65_plus", "answers"):
        assert private not in body


def test_follow_up_burst_of_wrong_codes_gets_429(client, submitted):
    codes = [client.post("/api/v1/follow-up", json={"token": f"wrong-{i}"}).status_code for i in range(8)]
    assert codes[:6] == [404] * 6 and codes[-1] == 429
    assert client.post("/api/v1/follow-up", json={"token": submitted.secrets.token}).status_code == 429


def test_openapi_document(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/triage" in doc["paths"] and "/api/v1/follow-up" in doc["paths"]


def test_api_errors_are_problem_json(client, demo):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
