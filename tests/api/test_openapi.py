"""The OpenAPI document against the implementation: every route is described, real
responses match it, and what a client can send never gives 500 (the cases schemathesis
found, kept as tests; script/schemathesis runs the full check against a live server)."""
from __future__ import annotations

import uuid

import pytest
import schemathesis

from tests.api.test_api_intakes import body as intake_body
from tests.conftest import PASSWORD
from tsunagi.domain import accounts

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def document(client, demo):
    return client.get("/api/openapi.json").json


@pytest.fixture
def schema(document):
    return schemathesis.openapi.from_dict(document)


@pytest.fixture
def worker(session, demo):
    _user, token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_every_api_route_is_described_with_its_methods(app, document):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            # One path may have a rule per method (GET and POST of .../offices).
            routes.setdefault(path, set()).update(set(rule.methods) & METHODS)
    described = {path: {m.upper() for m in item} for path, item in document["paths"].items()}
    assert described == routes


def test_the_document_carries_this_municipalitys_codes_and_consent_versions(client, document):
    schemas = document["components"]["schemas"]
    assert schemas["Area"]["anyOf"][0]["enum"] == ["kita", "minami", "unknown"]
    assert schemas["IntakeRequest"]["properties"]["location"]["enum"] == ["outreach"]
    versions = {v["properties"]["locale"]["const"]: v["properties"]["consent"]["properties"]["version"]["enum"]
                for v in schemas["IntakeRequest"]["oneOf"]}
    for locale, accepted in versions.items():
        spec = client.get(f"/api/v1/forms/intake-default?locale={locale}").json
        # The current text first, then the archived version 2 (offline intakes taken under it).
        assert spec["consent"]["version"] == accepted[0] and len(accepted) >= 2
    assert schemas["IntakeRequest"]["properties"]["form_version"]["anyOf"][0]["enum"] == [2, 1]


def test_real_responses_match_the_document(client, schema, worker, provider_users):
    def check(path: str, method: str, response):
        schema[path][method].validate_response(response)

    payload = intake_body(client)
    created = client.post("/api/v1/intakes", json=payload,
                          headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201
    check("/api/v1/intakes", "POST", created)
    check("/api/v1/triage", "POST", client.post("/api/v1/triage", json={"answers": payload["answers"]}))
    check("/api/v1/forms/{form_id}", "GET", client.get("/api/v1/forms/intake-default?locale=en"))
    check("/api/v1/locations", "GET", client.get("/api/v1/locations", headers=worker))
    code = created.json["follow_up"]["short_code"]
    check("/api/v1/follow-up", "POST", client.post("/api/v1/follow-up", json={"code": code}))
    check("/api/v1/follow-up/messages", "POST",
          client.post("/api/v1/follow-up/messages", json={"code": code, "body": "お願いします"}))
    provider = {"Authorization": f"Bearer {provider_users['houkatsu-kita']}"}
    check("/api/v1/inbox", "GET", client.get("/api/v1/inbox", headers=provider))
    intake_id = created.json["intake_id"]
    check("/api/v1/intakes/{intake_id}", "GET", client.get(f"/api/v1/intakes/{intake_id}", headers=provider))
    check("/api/v1/intakes/{intake_id}/transitions", "POST",
          client.post(f"/api/v1/intakes/{intake_id}/transitions", json={"action": "accept"}, headers=provider))
    check("/api/v1/intakes/{intake_id}/fhir", "GET", client.get(f"/api/v1/intakes/{intake_id}/fhir", headers=provider))
    check("/api/v1/directory", "GET", client.get("/api/v1/directory"))
    check("/api/v1/follow-up/withdraw", "POST", client.post("/api/v1/follow-up/withdraw", json={"code": code}))
    token = client.post("/api/v1/tokens", json={"username": "outreach-1", "password": PASSWORD})
    check("/api/v1/tokens", "POST", token)
    check("/api/v1/tokens/current", "DELETE", client.delete(
        "/api/v1/tokens/current", headers={"Authorization": f"Bearer {token.json['token']}"}))
    check("/api/v1/locations", "GET", client.get("/api/v1/locations"))


@pytest.mark.parametrize(("path", "payload"), [
    ("/api/v1/triage", {"answers": {"subject": "self", "age_band": "65_plus", "danger_now": "no"}, "locale": {}}),
    ("/api/v1/follow-up", {"token": "x" * 32, "locale": {}}),
    ("/api/v1/follow-up/messages", {"code": "", "locale": ["ja"], "body": "hi"}),
    ("/api/v1/follow-up/withdraw", {"token": "x", "locale": 1}),
])
def test_a_locale_that_is_not_a_string_is_422_not_500(client, demo, path, payload):
    response = client.post(path, json=payload)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("change", [
    lambda p: p["contact"].update(name="鈴木\x00一郎"),
    lambda p: p["consent"].update(contact_time="\x00"),
])
def test_nul_characters_are_refused_before_they_reach_the_database(client, worker, change):
    payload = intake_body(client)
    change(payload)
    response = client.post("/api/v1/intakes", json=payload, headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 400
    signin = client.post("/api/v1/tokens", json={"username": "outreach-1\x00", "password": PASSWORD})
    assert signin.status_code == 400


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p["consent"]["scopes"].update(share_with_provider="true"), "consent.scopes.share_with_provider"),
    (lambda p: p.update(form_version="1"), "form_version"),
    (lambda p: p["consent"].update(mode="proxy", relationship="x" * 65), "consent.relationship"),
])
def test_types_are_taken_as_the_document_says(client, worker, change, field):
    payload = intake_body(client)
    change(payload)
    response = client.post("/api/v1/intakes", json=payload, headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 422 and field in response.json["errors"], response.json


@pytest.mark.parametrize("key", ["short", "with spaces in the middle", "ü" * 20, "x" * 256])
def test_an_idempotency_key_outside_the_documented_pattern_is_400(client, worker, key):
    response = client.post("/api/v1/intakes", json=intake_body(client),
                           headers={**worker, "Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == 400 and response.json["code"] == "idempotency_key"
