"""Continued contact from the outreach app (issue 14; 実施要綱 L1461-1532): an outreach worker
records contacts with someone who has not consented yet, under the app's opaque reference,
with nothing identifying; another team sees none of them; a resend is stored once; the
person's intake taken with the reference brings the contacts into the case's contact log,
which the office then reads; contacts no intake took up are deleted by retention."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.api.test_api_intakes import body as intake_body
from tests.api.test_openapi import document, schema  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD
from tsunagi.domain import accounts, retention
from tsunagi.domain.models import AuditEvent, ContactEntry, Intake, Location
from tsunagi.domain.vocabulary import JST

URL = "/api/v1/outreach/contacts"


def today() -> str:
    return datetime.now(JST).date().isoformat()


def days_from_today(n: int) -> str:
    return (datetime.now(JST).date() + timedelta(days=n)).isoformat()


@pytest.fixture
def worker(session, demo) -> dict:
    _user, token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def other_team(session, demo) -> dict:
    """A second outreach team and a worker of it."""
    municipality_id = session.scalar(select(Location.municipality_id).where(Location.code == "outreach"))
    session.add(Location(municipality_id=municipality_id, code="outreach-2", kind="outreach",
                         name={"ja": "第二アウトリーチチーム"}, district="minami"))
    _user, token = accounts.create_user(session, "outreach-2", PASSWORD, "outreach_worker")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def ref() -> str:
    return secrets.token_hex(16)


def contact(person: str, location: str = "outreach", **extra) -> dict:
    return {"person": person, "location": location, "kind": "visit", "result": "not_reached",
            "contacted_on": days_from_today(-2), **extra}


def post(client, headers, payload, key=None):
    return client.post(URL, json=payload, headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def listed(client, headers, person, location="outreach"):
    return client.get(URL, query_string={"person": person, "location": location}, headers=headers)


def test_a_worker_records_and_lists_contacts_for_a_person(client, session, worker):
    person = ref()
    first = post(client, worker, contact(person))
    assert first.status_code == 201, first.json
    assert first.json["person"] == person and first.json["location"] == "outreach"
    second = post(client, worker, contact(person, kind="call", result="reached", contacted_on=today(),
                                          next_contact_on=days_from_today(7)))
    assert second.status_code == 201, second.json
    post(client, worker, contact(ref()))  # someone else

    response = listed(client, worker, person)
    assert response.status_code == 200
    rows = response.json["contacts"]
    assert [(r["kind"], r["result"]) for r in rows] == [("call", "reached"), ("visit", "not_reached")]
    assert rows[0]["contacted_on"] == today() and rows[0]["next_contact_on"] == days_from_today(7)
    stored = session.scalars(select(ContactEntry).where(ContactEntry.person_ref == person)).all()
    assert len(stored) == 2 and all(e.intake_id is None and e.note is None for e in stored)
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "outreach_contacts_read")) == 1


@pytest.mark.parametrize("extra", [{"note": "駅前のベンチにいた"}, {"name": "山田 太郎"},
                                   {"phone": "090-1234-5678"}, {"intake_id": "x" * 32}])
def test_nothing_identifying_is_taken(client, session, worker, extra):
    response = post(client, worker, contact(ref(), **extra))
    assert response.status_code == 422, response.json
    assert list(extra)[0] in response.json["errors"]
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"person": "山田太郎"}, "person"), ({"person": "ABCDEF" * 6}, "person"),
    ({"kind": "sms"}, "kind"), ({"location": "hub-minami"}, "location"), ({"location": "nowhere"}, "location"),
])
def test_a_wrong_reference_kind_or_location_is_refused(client, session, worker, change, field):
    response = post(client, worker, {**contact(ref()), **change})
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 0


def test_dates_are_checked(client, worker):
    future = post(client, worker, contact(ref(), contacted_on=days_from_today(2)))
    assert future.status_code == 422 and future.json["code"] == "contact_date_required"
    before = post(client, worker, contact(ref(), next_contact_on=days_from_today(-5)))
    assert before.status_code == 422 and before.json["code"] == "next_contact_in_past"


def test_only_outreach_workers_record_or_list(client, worker, provider_users):
    office = {"Authorization": f"Bearer {provider_users['houkatsu-kita']}"}
    person = ref()
    assert post(client, office, contact(person)).status_code == 403
    assert listed(client, office, person).status_code == 403
    assert client.get(URL, query_string={"person": person, "location": "outreach"}).status_code == 401


def test_another_team_sees_nothing(client, worker, other_team):
    person = ref()
    assert post(client, worker, contact(person)).status_code == 201
    assert listed(client, other_team, person, "outreach-2").json["contacts"] == []
    # Its own contacts with the same reference stay its own.
    assert post(client, other_team, contact(person, "outreach-2")).status_code == 201
    assert len(listed(client, worker, person).json["contacts"]) == 1


def test_a_resend_with_the_same_key_is_stored_once(client, session, worker):
    person, key = ref(), str(uuid.uuid4())
    first = post(client, worker, contact(person), key)
    again = post(client, worker, contact(person), key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 1
    other = post(client, worker, contact(person, kind="call"), key)
    assert other.status_code == 422 and other.json["code"] == "idempotency_mismatch"
    assert post(client, worker, contact(person), "short").status_code == 400


def test_the_intake_with_the_reference_brings_the_contacts_to_the_office(client, session, worker, other_team,
                                                                          provider_users):
    person = ref()
    for payload in (contact(person), contact(person, kind="call", result="reached", contacted_on=today())):
        assert post(client, worker, payload).status_code == 201
    assert post(client, other_team, contact(person, "outreach-2")).status_code == 201  # another team's: stays

    submit = client.post("/api/v1/intakes", json={**intake_body(client, "verbal"), "person": person},
                         headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert submit.status_code == 201, submit.json
    intake = session.get(Intake, submit.json["intake_id"])
    assert intake.provider is not None

    office = {"Authorization": f"Bearer {provider_users[intake.provider.code]}"}
    log = client.get(f"/api/v1/intakes/{intake.id}/contacts", headers=office)
    assert log.status_code == 200
    assert [(c["kind"], c["result"]) for c in log.json["contacts"]] == [("call", "reached"), ("visit", "not_reached")]
    # Whose they were: the outreach team's place, not an office.
    assert {(c["office"], c["location"]) for c in log.json["contacts"]} == {(None, intake.location.code)}
    # Joined the case: no longer listed under the reference, which is forgotten.
    assert listed(client, worker, person).json["contacts"] == []
    assert len(listed(client, other_team, person, "outreach-2").json["contacts"]) == 1
    # Before consent a not-reached contact is no failed attempt of the case.
    assert intake.failed_contacts == 0


def test_a_malformed_person_on_the_intake_is_refused(client, session, worker):
    submit = client.post("/api/v1/intakes", json={**intake_body(client, "verbal"), "person": "山田"},
                         headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert submit.status_code == 422 and "person" in submit.json["errors"]
    assert session.scalar(select(func.count()).select_from(Intake)) == 0


def test_retention_deletes_contacts_no_intake_took_up(client, session, worker):
    person = ref()
    assert post(client, worker, contact(person)).status_code == 201
    submit = client.post("/api/v1/intakes", json={**intake_body(client, "verbal"), "person": person},
                         headers={**worker, "Idempotency-Key": str(uuid.uuid4())})
    assert submit.status_code == 201
    assert post(client, worker, contact(ref())).status_code == 201  # never consented
    later = datetime.now(timezone.utc) + timedelta(days=31)
    counted = retention.purge(session, erase_after=timedelta(days=30), draft_ttl=timedelta(days=1), now=later,
                              dry_run=True)
    assert counted.outreach_contacts == 1
    done = retention.purge(session, erase_after=timedelta(days=30), draft_ttl=timedelta(days=1), now=later,
                           commit_each_batch=False)
    assert done.outreach_contacts == 1
    left = session.scalars(select(ContactEntry)).all()
    assert [e.intake_id for e in left] == [submit.json["intake_id"]]


def test_the_responses_match_the_openapi_document(client, worker, schema, document):  # noqa: F811
    person = ref()
    created = post(client, worker, contact(person, next_contact_on=today()))
    schema[URL]["POST"].validate_response(created)
    schema[URL]["GET"].validate_response(listed(client, worker, person))
    schema[URL]["POST"].validate_response(post(client, worker, contact(person, note="x")))
    properties = document["components"]["schemas"]["OutreachContactRequest"]["properties"]
    assert "note" not in properties and properties["location"]["enum"] == ["outreach"]
    assert "person" in document["components"]["schemas"]["IntakeRequest"]["properties"]
