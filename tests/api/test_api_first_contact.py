"""The API side of "every yes, send reaches someone": first contact when the meeting is
declined, messages nobody would read, contact choices, typed input, and intakes taken
offline under an older form or consent text."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.api.test_api_intakes import body, consent_version, post, worker  # noqa: F401 (fixture)
from tsunagi.domain.models import Consent, Intake, Provider

# A Vietnamese mother: a baby and money worries (child + poverty: the multi-agency team).
MOTHER = {"subject": "self", "age_band": "18_39", "pregnant": "no", "concerns": ["child_rearing", "money"],
          "household": ["child_under_18"], "danger_now": "no", "area": "minami"}


def team_body(client, answers, meeting: bool, locale="vi", methods=("phone",)):
    payload = body(client, locale=locale)
    payload["answers"] = answers
    payload["consent"]["scopes"].update(multi_agency_meeting=meeting, contact_methods=list(methods))
    return payload


@pytest.mark.parametrize(("answers", "first"), [
    (MOTHER, "kodomo"),
    ({"subject": "family", "age_band": "40_64", "concerns": ["isolation"], "household": ["elderly_65_plus"],
      "danger_now": "no", "area": "kita"}, "houkatsu-kita"),
    ({"subject": "self", "age_band": "18_39", "concerns": ["housing", "disability"], "danger_now": "yes",
      "area": "kita"}, "shogai"),
])
def test_declining_the_meeting_sends_to_one_first_contact_office(client, session, worker, answers, first):  # noqa: F811
    _user, headers = worker
    declined = post(client, headers, team_body(client, answers, meeting=False))
    assert declined.status_code == 201, declined.json
    assert declined.json["shared"] is True
    assert declined.json["decision"]["provider"]["id"] == first
    codes = [r["code"] for r in declined.json["decision"]["reasons"]]
    assert "first_contact_no_meeting" in codes
    intake = session.get(Intake, declined.json["intake_id"])
    assert session.get(Provider, intake.provider_id).code == first and intake.status == "received"
    assert intake.name == "鈴木 一郎"  # shared: the office can call back
    agreed = post(client, headers, team_body(client, answers, meeting=True))
    assert agreed.json["decision"]["service"] == "takikan" and agreed.json["decision"]["provider"]["id"] == "takikan"


def test_a_message_nobody_would_read_is_refused_with_where_to_go(client, session, worker):  # noqa: F811
    _user, headers = worker
    payload = body(client)
    payload["consent"]["scopes"] = {"share_with_provider": False}
    made = post(client, headers, payload)
    assert made.status_code == 201 and made.json["shared"] is False
    code = made.json["follow_up"]["short_code"]
    status = client.post("/api/v1/follow-up", json={"code": code})
    assert status.json["can_message"] is False
    refused = client.post("/api/v1/follow-up/messages", json={"code": code, "body": "hello?"})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "not_shared" and refused.json["provider"]["phone"]
    assert refused.json["status_text"]


def test_after_a_withdrawal_the_status_says_so(client, session, worker):  # noqa: F811
    _user, headers = worker
    made = post(client, headers, body(client, locale="en"))
    code = made.json["follow_up"]["short_code"]
    client.post("/api/v1/follow-up/withdraw", json={"code": code})
    status = client.post("/api/v1/follow-up", json={"code": code})
    assert status.json["consent_withdrawn"] is True and "withdrew your consent" in status.json["status_text"]
    assert client.post("/api/v1/follow-up/messages", json={"code": code, "body": "x"}).status_code == 409


@pytest.mark.parametrize(("methods", "contact", "problem"), [
    (["phone", "none"], {"name": "A", "phone": "090-1234-5678"}, "together"),
    (["phone"], {"name": "A"}, "phone number"),
    (["sms"], {"name": "A", "email": "a@example.jp"}, "phone number"),
    (["email"], {"name": "A", "phone": "090-1234-5678"}, "email address"),
])
def test_contradictory_or_incomplete_contact_choices_are_refused(client, session, worker, methods, contact, problem):  # noqa: F811
    _user, headers = worker
    payload = body(client)
    payload["contact"] = contact
    payload["consent"]["scopes"]["contact_methods"] = methods
    response = post(client, headers, payload)
    assert response.status_code == 422 and problem in response.json["detail"]
    assert session.scalar(select(Intake)) is None


def test_full_width_input_is_taken_as_typed(client, session, worker):  # noqa: F811
    _user, headers = worker
    payload = body(client)
    payload["contact"] = {"name": "ｽｽﾞｷ", "phone": "０９０－１２３４－５６７８"}
    made = post(client, headers, payload)
    assert made.status_code == 201, made.json
    intake = session.get(Intake, made.json["intake_id"])
    assert intake.contact == {"phone": "090-1234-5678"} and intake.name == "スズキ"
    wide = made.json["follow_up"]["short_code"].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert client.post("/api/v1/follow-up", json={"code": wide.replace("-", "－")}).status_code == 200


def test_an_unknown_area_routes_to_an_office_for_the_whole_city(client, session, worker):  # noqa: F811
    _user, headers = worker
    payload = body(client)
    payload["answers"] = {"subject": "someone_else", "age_band": "unknown", "pregnant": "unknown",
                          "concerns": ["money"], "danger_now": "no", "area": "unknown"}
    made = post(client, headers, payload)
    assert made.status_code == 201, made.json
    intake = session.get(Intake, made.json["intake_id"])
    assert intake.area is None and intake.answers["pregnant"] == "unknown"
    assert made.json["decision"]["provider"]["id"] == "jiritsu"


def test_an_intake_taken_offline_is_accepted_after_form_and_consent_changed(
        make_app, client, session, worker, tmp_path, monkeypatch):  # noqa: F811
    """Queued under form version 2 and today's consent text; sent after the municipality
    bumped the form to 3 and the consent text changed: accepted, and records which."""
    _user, headers = worker
    old = team_body(client, MOTHER, meeting=False, locale="vi")  # GET of the form spec: the text is kept
    old_hash = old["consent"]["version"]
    old["form_version"] = 2

    from forms import spec as forms_spec

    # The municipality bumped the form without copying version 2 to archive/: the server
    # still knows it, because it served it.
    forms = tmp_path / "forms"
    forms.mkdir()
    text = (forms_spec.FORMS_DIR / "intake-default.yaml").read_text(encoding="utf-8")
    (forms / "intake-default.yaml").write_text(text.replace("version: 2\n", "version: 3\n", 1), encoding="utf-8")
    current = forms_spec.load_consent()
    bumped = current.model_copy(update={"version": current.version + 1,
                                        "paragraphs": current.paragraphs[:-1]})
    monkeypatch.setattr("api.intakes.load_consent", lambda *a: bumped)
    monkeypatch.setattr("api.views.load_consent", lambda *a: bumped)
    later = make_app({"TESTING": True, "FORMS_DIR": str(forms)}).test_client()
    assert consent_version(later, "vi") != old_hash
    assert later.get("/api/v1/forms/intake-default?locale=vi").json["version"] == 3

    sent = post(later, headers, old)
    assert sent.status_code == 201, sent.json
    intake = session.get(Intake, sent.json["intake_id"])
    consent = session.scalar(select(Consent).where(Consent.intake_id == intake.id))
    assert intake.form_version == 2 and intake.provider_id is not None
    assert (consent.text_hash, consent.text_version) == (old_hash, current.version)
    # A text this server never showed is still refused.
    never = dict(old, consent={**old["consent"], "version": "f" * 64})
    refused = post(later, headers, never)
    assert refused.status_code == 422 and refused.json["code"] == "consent_version"
    assert post(later, headers, dict(old, form_version=7)).status_code == 422
