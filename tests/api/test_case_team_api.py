"""Several offices on one case through the provider API: the offices on a case, the
resident's later agreement to the 重層的支援会議, meetings, contacts, the team's hand-back
and the cases an office passed on. Another office gets the same 404 as an unknown id on
every one of them; each read and write is audited; bad bodies are 4xx problems."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

import api.provider
from tests.api.test_openapi import document, schema  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD
from tsunagi.domain import accounts
from tsunagi.domain.models import AuditEvent, ContactEntry, IntakeEvent
from tsunagi.domain.vocabulary import JST

COMPOUND = {"subject": "self", "age_band": "65_plus", "concerns": ["money"], "danger_now": "no", "area": "minami"}
LEAD = "houkatsu-minami"  # where make_intake() routes a 65+ resident of minami


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def today() -> str:
    return datetime.now(JST).date().isoformat()


def days_from_today(n: int) -> str:
    return (datetime.now(JST).date() + timedelta(days=n)).isoformat()


def meeting(kind="support_meeting", decision="plan", **extra) -> dict:
    return {"kind": kind, "decision": decision, "held_on": days_from_today(-1), **extra}


def contact(**extra) -> dict:
    return {"kind": "call", "result": "reached", "contacted_on": today(), **extra}


# Every endpoint that takes an intake id: (method, path after /api/v1/intakes/<id>, body).
ENDPOINTS = [
    ("get", "", None),
    ("get", "/offices", None),
    ("post", "/offices", {"office": "shogai"}),
    ("delete", "/offices/shogai", None),
    ("post", "/meeting-consent", {"mode": "verbal"}),
    ("post", "/meetings", meeting()),
    ("get", "/contacts", None),
    ("post", "/contacts", contact()),
    ("post", "/transitions", {"action": "accept"}),
]


def call(client, method: str, path: str, token: str, body=None):
    kwargs = {"headers": auth(token)}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(path, **kwargs)


@pytest.fixture
def coordinator(session, demo) -> str:
    _user, token = accounts.create_user(session, "coordinator-1", PASSWORD, "coordinator")
    session.commit()
    return token


def audited(session, action: str, intake_id: str | None) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.intake_id == intake_id))


@pytest.mark.parametrize(("method", "suffix", "body"), ENDPOINTS)
def test_an_office_not_on_the_case_gets_the_404_of_an_unknown_id(client, session, provider_users, make_intake,
                                                                 method, suffix, body):
    intake = make_intake(multi_agency=True).intake
    events = session.scalar(select(func.count()).select_from(IntakeEvent))
    theirs = call(client, method, f"/api/v1/intakes/{intake.id}{suffix}", provider_users["kodomo"], body)
    unknown = call(client, method, f"/api/v1/intakes/{'0' * 32}{suffix}", provider_users["kodomo"], body)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.mimetype == "application/problem+json" and theirs.json == unknown.json
    assert audited(session, "intake_read_denied", intake.id) == 1  # the refused read is audited
    assert session.scalar(select(func.count()).select_from(IntakeEvent)) == events  # nothing was done
    # The lead office itself gets past the lookup on each of them (shogai is not on the case:
    # that 404 says so, with its code).
    mine = call(client, method, f"/api/v1/intakes/{intake.id}{suffix}", provider_users[LEAD], body)
    assert mine.status_code != 404 or mine.json["code"] == "not_on_case"


def test_a_cooperating_office_reads_the_case_only_while_the_consent_covers_it(client, session, provider_users,
                                                                              make_intake, schema):  # noqa: F811
    made = make_intake(multi_agency=False)  # shared with the lead, not with the 重層的支援会議
    intake, lead, shogai = made.intake, provider_users[LEAD], provider_users["shogai"]
    base = f"/api/v1/intakes/{intake.id}"

    named = client.post(f"{base}/offices", json={"office": "shogai", "note": "障害の相談も"}, headers=auth(lead))
    assert named.status_code == 201, named.json
    schema["/api/v1/intakes/{intake_id}/offices"]["POST"].validate_response(named)
    assert named.json["offices"] == [
        {"code": LEAD, "role": "lead", "service": "houkatsu", "name": named.json["offices"][0]["name"]},
        {"code": "shogai", "role": "cooperating", "service": "shogai", "name": named.json["offices"][1]["name"]}]
    assert named.json["shares_with_cooperating"] is False
    assert audited(session, "intake_office_added", intake.id) == 1
    assert client.get(f"{base}/offices", headers=auth(lead)).json == named.json

    # Named, but the resident has not agreed to the meeting: the office sees nothing yet.
    for suffix in ("", "/offices", "/contacts"):
        assert client.get(f"{base}{suffix}", headers=auth(shogai)).status_code == 404
    assert client.post(f"{base}/meeting-consent", json={"mode": "verbal"}, headers=auth(shogai)).status_code == 404

    agreed = client.post(f"{base}/meeting-consent", json={"mode": "verbal"}, headers=auth(lead))
    assert agreed.status_code == 200 and agreed.json == {"multi_agency_meeting": True, "recorded": True}
    schema["/api/v1/intakes/{intake_id}/meeting-consent"]["POST"].validate_response(agreed)
    assert audited(session, "intake_meeting_consent", intake.id) == 1
    again = client.post(f"{base}/meeting-consent", json={"mode": "verbal"}, headers=auth(lead))
    assert again.status_code == 200 and again.json["recorded"] is False

    read = client.get(base, headers=auth(shogai))
    assert read.status_code == 200 and read.json["resident"]["name"] == "山田 花子"
    assert audited(session, "intake_read", intake.id) == 1
    offices = client.get(f"{base}/offices", headers=auth(shogai))
    assert offices.status_code == 200 and offices.json["shares_with_cooperating"] is True
    schema["/api/v1/intakes/{intake_id}/offices"]["GET"].validate_response(offices)
    assert audited(session, "intake_offices_read", intake.id) == 2  # the lead once, shogai once
    # A cooperating office reads and logs contacts; it neither acts nor records the consent.
    refused = client.post(f"{base}/transitions", json={"action": "accept"}, headers=auth(shogai))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    refused = client.post(f"{base}/meeting-consent", json={"mode": "verbal"}, headers=auth(shogai))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    refused = client.post(f"{base}/offices", json={"office": "kodomo"}, headers=auth(shogai))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    assert client.get(base, headers=auth(provider_users["kodomo"])).status_code == 404  # not on the case

    # The resident withdraws: the cooperating office loses the case, the lead keeps it erased.
    withdrawn = client.post("/api/v1/follow-up/withdraw", json={"code": made.secrets.code})
    assert withdrawn.status_code == 200
    for suffix in ("", "/offices", "/contacts"):
        assert client.get(f"{base}{suffix}", headers=auth(shogai)).status_code == 404
    kept = client.get(base, headers=auth(lead))
    assert kept.status_code == 200 and kept.json["resident"] is None
    assert client.get(f"{base}/offices", headers=auth(lead)).json["shares_with_cooperating"] is False
    refused = client.post(f"{base}/offices", json={"office": "kodomo"}, headers=auth(lead))
    assert refused.status_code == 403 and refused.json["code"] == "consent_required"


def test_a_cooperating_office_leaves_the_case(client, session, provider_users, make_intake, coordinator):
    intake = make_intake(multi_agency=True).intake
    base = f"/api/v1/intakes/{intake.id}"
    for code in ("shogai", "kodomo"):
        assert client.post(f"{base}/offices", json={"office": code}, headers=auth(coordinator)).status_code == 201
    # Only the lead, the coordinator or the office itself ends it.
    refused = client.delete(f"{base}/offices/kodomo", headers=auth(provider_users["shogai"]))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    left = client.delete(f"{base}/offices/shogai", headers=auth(provider_users["shogai"]))
    assert left.status_code == 204 and left.data == b""
    assert audited(session, "intake_office_ended", intake.id) == 1
    assert client.get(base, headers=auth(provider_users["shogai"])).status_code == 404  # it left
    assert client.delete(f"{base}/offices/kodomo", headers=auth(provider_users[LEAD])).status_code == 204
    offices = client.get(f"{base}/offices", headers=auth(coordinator)).json["offices"]
    assert [(o["code"], o["role"]) for o in offices] == [(LEAD, "lead")]
    for code in ("kodomo", "nope", LEAD, "NOT-A-CODE", "x" * 40, "%E3%81%82", "%C0"):
        gone = client.delete(f"{base}/offices/{code}", headers=auth(provider_users[LEAD]))
        assert gone.status_code == 404 and gone.json["code"] == "not_on_case", code
    nul = client.delete(f"{base}/offices/a%00b", headers=auth(provider_users[LEAD]))
    assert nul.status_code == 400  # refused before any view, like every path with U+0000


def test_naming_offices_is_refused_with_a_code(client, session, provider_users, make_intake):
    intake = make_intake(multi_agency=True).intake
    base, lead = f"/api/v1/intakes/{intake.id}/offices", auth(provider_users[LEAD])
    assert client.post(base, json={"office": "kodomo"}, headers=lead).status_code == 201
    events = session.scalar(select(func.count()).select_from(IntakeEvent))
    for body, status, code in (({"office": "kodomo"}, 409, "already_on_case"),
                               ({"office": LEAD}, 409, "same_provider"),
                               ({"office": "nope"}, 422, "unknown_provider")):
        refused = client.post(base, json=body, headers=lead)
        assert refused.status_code == status and refused.json["code"] == code, body
        assert refused.mimetype == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(IntakeEvent)) == events


def test_the_team_hands_the_case_back_and_stays_on_it_as_a_cooperating_office(client, session, provider_users,
                                                                               make_intake, schema):  # noqa: F811
    intake = make_intake(answers=COMPOUND, multi_agency=True).intake
    team, lead = provider_users["takikan"], provider_users[LEAD]
    base = f"/api/v1/intakes/{intake.id}"
    assert client.get(base, headers=auth(team)).json["provider"] == "takikan"  # routed to the team
    assert client.get(base, headers=auth(lead)).status_code == 404  # not the lead's yet
    assert client.post(f"{base}/transitions", json={"action": "accept"}, headers=auth(team)).status_code == 200
    for body in ({"action": "hand_back"}, {"action": "hand_back", "to_provider": "takikan"},
                 {"action": "hand_back", "to_provider": "nope"}):
        refused = client.post(f"{base}/transitions", json=body, headers=auth(team))
        assert refused.status_code == 422 and refused.json["code"] in ("unknown_provider", "same_provider"), body

    handed = client.post(f"{base}/transitions", headers=auth(team),
                         json={"action": "hand_back", "to_provider": LEAD, "reason": "プランに基づき"})
    assert handed.status_code == 200, handed.json
    schema["/api/v1/intakes/{intake_id}/transitions"]["POST"].validate_response(handed)
    assert handed.json["provider"] == LEAD and handed.json["status"] == "accepted"
    assert audited(session, "intake_hand_back", intake.id) == 1

    read = client.get(base, headers=auth(team))  # the team reads it as a cooperating office
    assert read.status_code == 200 and read.json["provider"] == LEAD
    schema["/api/v1/intakes/{intake_id}"]["GET"].validate_response(read)
    event = read.json["events"][-1]
    assert (event["action"], event["details"], event["note"]) == ("hand_back", {"to": LEAD}, "プランに基づき")
    assert isinstance(event["reason"], str) and event["reason"]
    offices = client.get(f"{base}/offices", headers=auth(lead)).json["offices"]
    assert [(o["code"], o["role"]) for o in offices] == [(LEAD, "lead"), ("takikan", "cooperating")]
    # The team acts no more; it still logs its contacts.
    for body in ({"action": "close", "outcome": "connected"}, {"action": "hand_back", "to_provider": "jiritsu"}):
        refused = client.post(f"{base}/transitions", json=body, headers=auth(team))
        assert refused.status_code == 403 and refused.json["code"] == "forbidden", body
    logged = client.post(f"{base}/contacts", json=contact(kind="visit"), headers=auth(team))
    assert logged.status_code == 201 and logged.json["office"] == "takikan"

    closed = client.post(f"{base}/transitions", json={"action": "close", "outcome": "connected"}, headers=auth(lead))
    assert closed.status_code == 200
    close_event = client.get(base, headers=auth(lead)).json["events"][-1]
    assert close_event["details"] == {"outcome": "connected", "lead": LEAD}

    # While the team is on the case it reads the case itself; once it leaves, its list of
    # cases passed on shows where the case went and how it ended.
    listed = client.get("/api/v1/passed-on", headers=auth(team))
    assert listed.status_code == 200 and intake.id not in [r["id"] for r in listed.json["intakes"]]
    assert client.delete(f"{base}/offices/takikan", headers=auth(team)).status_code == 204
    assert client.get(base, headers=auth(team)).status_code == 404
    passed = client.get("/api/v1/passed-on", headers=auth(team))
    assert passed.status_code == 200
    schema["/api/v1/passed-on"]["GET"].validate_response(passed)
    row = next(r for r in passed.json["intakes"] if r["id"] == intake.id)
    assert {k: row[k] for k in ("office", "status", "outcome")} == {"office": LEAD, "status": "closed",
                                                                   "outcome": "connected"}
    assert set(row) == {"id", "office", "status", "outcome", "passed_on_at"}  # nothing about the resident
    assert row["passed_on_at"]
    assert audited(session, "passed_on_list", None) == 2
    # The new lead passed nothing on.
    assert intake.id not in [r["id"] for r in client.get("/api/v1/passed-on", headers=auth(lead)).json["intakes"]]


def test_meetings_are_case_events_with_their_day_and_kind(client, session, provider_users, make_intake,
                                                          coordinator, schema):  # noqa: F811
    intake = make_intake(multi_agency=False).intake
    base, lead = f"/api/v1/intakes/{intake.id}", auth(provider_users[LEAD])
    # The 重層的支援会議 needs the resident's consent to it; the 支援会議 does not.
    refused = client.post(f"{base}/meetings", json=meeting(kind="multi_agency_meeting"), headers=lead)
    assert refused.status_code == 403 and refused.json["code"] == "consent_required"
    recorded = client.post(f"{base}/meetings", json=meeting(decision="replan", note=" 役割分担 "), headers=lead)
    assert recorded.status_code == 201, recorded.json
    schema["/api/v1/intakes/{intake_id}/meetings"]["POST"].validate_response(recorded)
    expected = {"kind": "support_meeting", "decision": "replan", "held_on": days_from_today(-1)}
    assert recorded.json["action"] == "meeting" and recorded.json["details"] == expected
    assert recorded.json["note"] == "役割分担"
    assert audited(session, "intake_meeting", intake.id) == 1
    event = client.get(base, headers=lead).json["events"][-1]
    assert (event["action"], event["details"], event["note"]) == ("meeting", expected, "役割分担")
    # The coordinator records them too; an office not on the case does not (404).
    assert client.post(f"{base}/meetings", json=meeting(decision="closure"), headers=auth(coordinator)).status_code == 201
    client.post(f"{base}/meeting-consent", json={"mode": "verbal"}, headers=lead)
    agreed = client.post(f"{base}/meetings", json=meeting(kind="multi_agency_meeting", held_on=today()), headers=lead)
    assert agreed.status_code == 201 and agreed.json["details"]["kind"] == "multi_agency_meeting"


def test_contacts_round_trip_and_a_failed_one_counts(client, session, provider_users, make_intake, coordinator,
                                                     schema):  # noqa: F811
    intake = make_intake(multi_agency=True).intake
    base, lead = f"/api/v1/intakes/{intake.id}", auth(provider_users[LEAD])
    assert client.post(f"{base}/transitions", json={"action": "accept"}, headers=lead).status_code == 200
    first = client.post(f"{base}/contacts", headers=lead,
                        json=contact(result="not_reached", contacted_on=days_from_today(-2),
                                     next_contact_on=days_from_today(3), note="留守電なし"))
    assert first.status_code == 201, first.json
    schema["/api/v1/intakes/{intake_id}/contacts"]["POST"].validate_response(first)
    assert first.json == {"id": first.json["id"], "contacted_on": days_from_today(-2), "kind": "call",
                          "result": "not_reached", "note": "留守電なし", "next_contact_on": days_from_today(3),
                          "office": LEAD, "location": None}
    second = client.post(f"{base}/contacts", json=contact(kind="visit", next_contact_on=None), headers=lead)
    assert second.status_code == 201 and second.json["next_contact_on"] is None
    assert audited(session, "intake_contact", intake.id) == 2

    listed = client.get(f"{base}/contacts", headers=lead)
    assert listed.status_code == 200
    schema["/api/v1/intakes/{intake_id}/contacts"]["GET"].validate_response(listed)
    assert listed.json["contacts"] == [second.json, first.json]  # newest first
    assert audited(session, "intake_contacts_read", intake.id) == 1
    assert client.get(base, headers=lead).json["failed_contacts"] == 1  # not reached: a failed attempt
    # The coordinator reads the log but keeps none.
    assert client.get(f"{base}/contacts", headers=auth(coordinator)).json == listed.json
    refused = client.post(f"{base}/contacts", json=contact(), headers=auth(coordinator))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"


@pytest.mark.parametrize(("suffix", "body", "field"), [
    ("/offices", {}, "office"),
    ("/offices", {"office": 1}, "office"),
    ("/offices", {"office": ["shogai"]}, "office"),
    ("/offices", {"office": "shogai", "note": 5}, "note"),
    ("/offices", {"office": "shogai", "unknown": "x"}, "unknown"),
    ("/offices", {"office": "shogai", "note": "x" * 2001}, "note"),
    ("/meeting-consent", {}, "mode"),
    ("/meeting-consent", {"mode": "shouted"}, "mode"),
    ("/meeting-consent", {"mode": None}, "mode"),
    ("/meeting-consent", {"agreed": True}, "agreed"),
    ("/meetings", {"kind": "support_meeting", "decision": "plan"}, "held_on"),
    ("/meetings", {**meeting(), "kind": "party"}, "kind"),
    ("/meetings", {**meeting(), "decision": True}, "decision"),
    ("/meetings", {**meeting(), "held_on": 20240101}, "held_on"),
    ("/meetings", {**meeting(), "held_on": "1/2/2024"}, "held_on"),
    ("/meetings", {**meeting(), "at": "noon"}, "at"),
    ("/contacts", {"kind": "call", "result": "reached"}, "contacted_on"),
    ("/contacts", {**contact(), "kind": "fax"}, "kind"),
    ("/contacts", {**contact(), "result": "maybe"}, "result"),
    ("/contacts", {**contact(), "next_contact_on": "soon"}, "next_contact_on"),
    ("/contacts", {**contact(), "note": {"text": "x"}}, "note"),
    ("/contacts", {**contact(), "office": "kodomo"}, "office"),
])
def test_a_wrong_body_is_a_422_naming_the_field(client, session, provider_users, make_intake, suffix, body, field):
    intake = make_intake(multi_agency=True).intake
    events = session.scalar(select(func.count()).select_from(IntakeEvent))
    response = client.post(f"/api/v1/intakes/{intake.id}{suffix}", json=body, headers=auth(provider_users[LEAD]))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert any(key.split(".")[0] == field for key in response.json["errors"]), response.json
    assert session.scalar(select(func.count()).select_from(IntakeEvent)) == events
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 0


@pytest.mark.parametrize(("suffix", "body", "code"), [
    ("/meetings", meeting(held_on=days_from_today(2)), "meeting_date_required"),
    ("/meetings", meeting(held_on="2024-02-30"), "meeting_date_required"),
    ("/meetings", meeting(held_on="1999-12-31"), "meeting_date_required"),
    ("/contacts", contact(contacted_on=days_from_today(1)), "contact_date_required"),
    ("/contacts", contact(next_contact_on=days_from_today(-1)), "next_contact_in_past"),
    ("/contacts", contact(next_contact_on="2024-13-01"), "next_contact_in_past"),
])
def test_a_day_the_domain_refuses_is_a_422_with_its_code(client, provider_users, make_intake, suffix, body, code):
    intake = make_intake(multi_agency=True).intake
    response = client.post(f"/api/v1/intakes/{intake.id}{suffix}", json=body, headers=auth(provider_users[LEAD]))
    assert response.status_code == 422 and response.json["code"] == code, response.json


@pytest.mark.parametrize("suffix", ["/offices", "/meeting-consent", "/meetings", "/contacts"])
@pytest.mark.parametrize("raw", ["not json", "[]", '"x"', "null", "[" * 10_000 + "]" * 10_000,
                                 '{"office": "a\\u0000b", "note": "\\ud800"}', '{"note": "\\ud800"}'])
def test_a_body_that_is_not_a_json_object_is_a_400(client, provider_users, make_intake, suffix, raw):
    intake = make_intake(multi_agency=True).intake
    response = client.post(f"/api/v1/intakes/{intake.id}{suffix}", data=raw, content_type="application/json",
                           headers=auth(provider_users[LEAD]))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_the_new_endpoints_need_a_bearer_token(client, provider_users, make_intake):
    intake = make_intake().intake
    for method, suffix, body in ENDPOINTS[1:-1]:
        response = call(client, method, f"/api/v1/intakes/{intake.id}{suffix}", "nope", body)
        assert response.status_code == 401 and "WWW-Authenticate" in response.headers, suffix
    assert client.get("/api/v1/passed-on").status_code == 401


def test_passed_on_pages_with_a_cursor_and_is_an_offices_list(client, provider_users, make_intake, coordinator,
                                                               monkeypatch):
    lead = auth(provider_users[LEAD])
    passed = []
    for _ in range(3):
        intake = make_intake().intake
        moved = client.post(f"/api/v1/intakes/{intake.id}/transitions", headers=lead,
                            json={"action": "transfer", "to_provider": "shogai", "reason": "障害の相談"})
        assert moved.status_code == 200, moved.json
        passed.append(intake.id)
    kept = make_intake().intake  # still the lead's: not passed on
    monkeypatch.setattr(api.provider, "PASSED_ON_PAGE", 2)
    first = client.get("/api/v1/passed-on", headers=lead).json
    assert len(first["intakes"]) == 2 and first["next"] == first["intakes"][-1]["id"]
    second = client.get(f"/api/v1/passed-on?after={first['next']}", headers=lead).json
    assert len(second["intakes"]) == 1 and second["next"] is None
    ids = [r["id"] for r in first["intakes"] + second["intakes"]]
    assert sorted(ids) == sorted(passed) and len(set(ids)) == 3
    assert {(r["office"], r["status"], r["outcome"]) for r in first["intakes"]} == {("shogai", "transferred", None)}
    for after in ("", "nope!", kept.id, "0" * 32, "x" * 33):
        bad = client.get("/api/v1/passed-on", query_string={"after": after}, headers=lead)
        assert bad.status_code == 400 and bad.json["code"] == "cursor", after
    refused = client.get("/api/v1/passed-on", headers=auth(coordinator))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
