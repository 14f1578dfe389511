from __future__ import annotations

import json

import pytest

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

    from tsunagi.domain.models import FollowUp

    unknown = client.post("/api/v1/follow-up", json={"token": "x" * 32})
    row = session.scalar(select(FollowUp))
    row.revoked_at = datetime.now(timezone.utc)
    session.commit()
    revoked = client.post("/api/v1/follow-up", json={"token": submitted.secrets.token})
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.json == revoked.json


def test_follow_up_code_with_a_typo_says_check_the_code(client, submitted):
    """Every single wrong symbol, anywhere in the code, is answered "check the code", also
    when it happens to pass the check of codes issued before (1 in 37)."""
    code = submitted.secrets.code
    for i in range(len(code)):
        typo = code[:i] + ("0" if code[i] != "0" else "1") + code[i + 1:]
        # From another address each time: the per-client limit of failed lookups is tested elsewhere.
        response = client.post("/api/v1/follow-up", json={"code": typo}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert response.status_code == 422 and response.json["code"] == "check_symbol", (i, typo)


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


def test_triage_check_reports_per_case(runner, demo, tmp_path):
    from tsunagi.domain.municipality import DEMO_FILE

    cases = DEMO_FILE.parent / "demo-cases.yaml"
    result = runner.invoke(args=["triage", "check", str(cases)])
    assert result.exit_code == 0, result.output
    assert result.output.count("PASS") == 6 and "6 passed, 0 failed" in result.output

    wrong = tmp_path / "cases.yaml"
    wrong.write_text(
        "- name: elder in the north\n"
        "  answers: {subject: self, age_band: '65_plus', danger_now: 'no'}\n"
        "  area: kita\n"
        "  expect: {service: shogai, provider: houkatsu-kita}\n"
        "- name: typo\n"
        "  answers: {subject: me, age_band: '65_plus', danger_now: 'no'}\n"
        "  expect: {service: houkatsu}\n", encoding="utf-8")
    result = runner.invoke(args=["triage", "check", str(wrong)])
    assert result.exit_code == 1
    assert "FAIL  elder in the north: service: expected shogai, got houkatsu" in result.output
    assert "FAIL  typo: invalid answers" in result.output and "0 passed, 2 failed" in result.output


@pytest.mark.parametrize("answers", [
    {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"},
    {"subject": "family", "age_band": "40_64", "pregnant": "no", "concerns": ["isolation"],
     "household": ["elderly_65_plus"], "danger_now": "no", "area": "minami"},
    {"subject": "self", "age_band": "18_39", "pregnant": "yes", "concerns": ["money"], "danger_now": "unsure",
     "area": "kita"},
    {"subject": "self", "age_band": "18_39", "pregnant": "no", "concerns": ["violence"], "danger_now": "no",
     "area": "minami"},
])
def test_cli_api_and_kiosk_route_identically(client, runner, session, demo, answers):
    from sqlalchemy import select

    from tests.kiosk_helpers import Journey
    from tsunagi.domain.models import Intake

    payload = {"answers": {k: v for k, v in answers.items() if k != "area"}, "area": answers["area"], "locale": "en"}
    api = client.post("/api/v1/triage", json=payload).json
    cli = json.loads(runner.invoke(args=["triage", "explain"], input=json.dumps(payload)).output)
    Journey(client, locale="en").answer_all(answers)
    stored = session.scalar(select(Intake)).decision
    assert api == cli
    assert (stored["service"], stored["priority"], stored["rule"], stored["signals"]) == \
        (api["service"], api["priority"], api["rule"], api["signals"])
    assert [r["code"] for r in stored["reasons"]] == [r["code"] for r in api["reasons"]]


def test_municipality_preference_breaks_ties_between_providers(client, session, demo, tmp_path):
    import yaml

    from tsunagi.domain import municipality

    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    data["providers"].append({"code": "houkatsu-kita-2", "name": {"ja": "北部第二地域包括支援センター"},
                              "service": "houkatsu", "districts": ["kita"], "languages": ["ja"],
                              "phone": "03-5555-0111", "hours": {"ja": "平日"}, "preference": -1})
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    payload = {"answers": {"subject": "self", "age_band": "65_plus", "danger_now": "no"}, "area": "kita"}
    assert client.post("/api/v1/triage", json=payload).json["provider"]["id"] == "houkatsu-kita"
    municipality.apply(session, municipality.load_file(path))
    session.commit()
    assert client.post("/api/v1/triage", json=payload).json["provider"]["id"] == "houkatsu-kita-2"


def test_choson_where_the_municipality_has_no_welfare_office(client, session, demo, tmp_path):
    import yaml

    from tsunagi.domain import municipality

    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    data["has_welfare_office"] = False
    data["providers"].append({"code": "choson", "name": {"ja": "つなぎ町福祉相談窓口"}, "service": "choson",
                              "districts": "all", "languages": ["ja"], "phone": "03-5555-0601",
                              "hours": {"ja": "平日"}})
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    municipality.apply(session, municipality.load_file(path))
    session.commit()
    decision = client.post("/api/v1/triage", json={"answers": {"subject": "self", "age_band": "18_39",
                                                               "concerns": ["money"], "danger_now": "no"}}).json
    assert decision["service"] == "choson" and decision["provider"]["id"] == "choson"
    assert "no_welfare_office" in [r["code"] for r in decision["reasons"]]


def test_readyz_says_a_write_would_succeed(client, demo):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database_write": "ok", "rate_limits": "ok"}}


@pytest.mark.commits
def test_readyz_is_503_while_another_writer_holds_the_database(make_app, engine, demo):
    from sqlalchemy import text

    app = make_app({"TESTING": True, "SQLITE_BUSY_TIMEOUT_MS": 200})
    with engine.connect() as holder:
        holder.execute(text("UPDATE data_key SET kid = kid"))  # holds the write lock (row locks on PostgreSQL)
        response = app.test_client().get("/readyz")
        holder.rollback()
    assert response.status_code == 503 and response.json["checks"]["database_write"] == "failed"
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_names_an_unreachable_rate_limit_store(make_app, demo, redis_url, tmp_path):
    from tsunagi.web.extensions import limiter

    shared = make_app({"TESTING": True, "RATELIMIT_STORAGE_URI": redis_url})
    assert shared.test_client().get("/readyz").json["checks"]["rate_limits"] == "ok"
    gone = make_app({"TESTING": True, "RATELIMIT_STORAGE_URI": f"redis+unix://{tmp_path / 'none.sock'}"})
    response = gone.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["rate_limits"] == "unreachable"
    limiter.init_app(make_app({"TESTING": True}))  # later tests count in memory again
