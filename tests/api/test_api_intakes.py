"""POST /api/v1/intakes from the outreach PWA: consent evidence per mode, idempotency."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tsunagi.domain import accounts
from tsunagi.domain.models import Consent, Intake


@pytest.fixture
def worker(session, demo):
    user, token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
    session.commit()
    return user, {"Authorization": f"Bearer {token}"}


def consent_version(client, locale="ja"):
    return client.get(f"/api/v1/forms/intake-default?locale={locale}").json["consent"]["version"]


def body(client, mode="self", locale="ja", **consent):
    return {
        "form_id": "intake-default", "locale": locale, "channel": "outreach", "location": "outreach",
        "answers": {"subject": "family", "age_band": "65_plus", "concerns": ["elder_care"],
                    "danger_now": "no", "area": "kita"},
        "contact": {"name": "鈴木 一郎", "phone": "080-2222-3333"},
        "consent": {"version": consent_version(client, locale), "mode": mode,
                    "scopes": {"share_with_provider": True, "multi_agency_meeting": False,
                               "contact_methods": ["phone", "visit"]}, **consent},
    }


def post(client, headers, payload, key=None):
    return client.post("/api/v1/intakes", json=payload,
                       headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def test_form_spec_carries_labels_and_the_consent_version(client, demo):
    spec = client.get("/api/v1/forms/intake-default?locale=en").json
    assert spec["version"] == 2 and spec["steps"][0]["questions"][0]["label"] == "Who is this consultation about?"
    area = next(q for s in spec["steps"] for q in s["questions"] if q["id"] == "area")
    assert {"value": "kita", "label": "North district"} in area["choices"]
    ja = client.get("/api/v1/forms/intake-default?locale=ja").json
    assert ja["consent"]["version"] != spec["consent"]["version"] and len(ja["consent"]["version"]) == 64
    assert "配慮が必要な個人情報" in ja["consent"]["text"]


@pytest.mark.parametrize(("mode", "extra", "relationship", "witnessed"), [
    ("self", {}, None, False),
    ("verbal", {}, None, True),
    ("proxy", {"relationship": "娘"}, "娘", True),
])
def test_outreach_consent_records_the_full_evidence(client, session, worker, mode, extra, relationship, witnessed):
    user, headers = worker
    response = post(client, headers, body(client, mode, contact_time="平日の午後", **extra))
    assert response.status_code == 201, response.json
    assert response.json["decision"]["provider"]["id"] == "houkatsu-kita"
    assert response.json["follow_up"]["qr_svg_url"].startswith("data:image/svg+xml;base64,")
    c = session.scalar(select(Consent))
    assert (c.channel, c.mode, c.locale, c.text_id, c.text_version) == ("outreach", mode, "ja", "consent-default", 4)
    assert c.text_hash == consent_version(client) and c.location_id is not None and c.created_at is not None
    assert (c.share_with_provider, c.multi_agency_meeting, c.contact_methods) == (True, False, ["phone", "visit"])
    assert c.contact_time == "平日の午後" and c.proxy_relationship == relationship
    assert (c.witness_id == user.id) is witnessed


def test_proxy_consent_needs_the_relationship(client, worker):
    _user, headers = worker
    response = post(client, headers, body(client, "proxy"))
    assert response.status_code == 422 and "relationship" in response.json["detail"]


def test_stale_consent_text_is_refused(client, worker):
    _user, headers = worker
    payload = body(client)
    payload["consent"]["version"] = "0" * 64
    response = post(client, headers, payload)
    assert response.status_code == 422 and response.json["code"] == "consent_version"


def test_idempotency_semantics(client, session, worker):
    _user, headers = worker
    payload = body(client)
    missing = client.post("/api/v1/intakes", json=payload, headers=headers)
    assert missing.status_code == 400 and missing.mimetype == "application/problem+json"
    key = str(uuid.uuid4())
    first = post(client, headers, payload, key)
    again = post(client, headers, payload, key)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json and again.headers["Idempotent-Replayed"] == "true"
    other = dict(payload, answers={**payload["answers"], "area": "minami"})
    assert post(client, headers, other, key).status_code == 422
    assert session.scalar(select(func.count()).select_from(Intake)) == 1


def claim_as_an_earlier_version(session, user, key: str, payload: dict):
    """The claim an earlier version committed before processing a request (its state
    `in_flight`), as a server of that version leaves it during a rolling upgrade."""
    from tsunagi.domain import idempotency
    from tsunagi.domain.models import IdempotencyRecord

    session.add(IdempotencyRecord(key_hash=idempotency._key_hash(user.id, key), user_id=user.id,
                                  request_hash=idempotency.request_hash(payload), state="in_flight"))
    session.commit()
    return session.scalar(select(IdempotencyRecord))


def test_submit_writes_its_key_with_the_intake_in_one_commit(app, client, session, worker):
    """Nothing is committed before the intake: the key's record and the intake commit
    together, so a request that dies leaves no claim behind."""
    from sqlalchemy import event

    from tsunagi.domain.models import IdempotencyRecord

    _user, headers = worker
    payload = body(client)
    commits = []
    # The app's connection: the test's own (its commits are savepoints released) or an engine.
    bind = app.extensions["tsunagi.db"].kw["bind"]
    counted = ("commit", "release_savepoint")
    for name in counted:
        event.listen(bind, name, lambda *_a: commits.append(1))
    response = post(client, headers, payload)
    assert response.status_code == 201
    assert len(commits) == 1
    record = session.scalar(select(IdempotencyRecord))
    assert record.state == "done" and session.get(Intake, response.json["intake_id"]) is not None


def test_in_flight_key_is_409(client, session, worker):
    user, headers = worker
    payload = body(client)
    key = str(uuid.uuid4())
    claim_as_an_earlier_version(session, user, key, payload)
    response = post(client, headers, payload, key)
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"  # may still be running


def test_a_key_whose_request_died_says_the_real_wait(client, session, worker):
    """An earlier version's claim whose worker died 30 s ago: the key is taken over 45 s
    after it was claimed (gunicorn ends any request after 30 s), and Retry-After says so
    instead of "1"."""
    from datetime import datetime, timedelta, timezone

    user, headers = worker
    payload = body(client)
    key = str(uuid.uuid4())
    record = claim_as_an_earlier_version(session, user, key, payload)
    record.updated_at = datetime.now(timezone.utc) - timedelta(seconds=30)
    session.commit()
    response = post(client, headers, payload, key)
    assert response.status_code == 409 and 13 <= int(response.headers["Retry-After"]) <= 15
    record.updated_at = datetime.now(timezone.utc) - timedelta(minutes=3)
    session.commit()
    assert post(client, headers, payload, key).status_code == 201  # taken over


@pytest.mark.commits
def test_twenty_concurrent_requests_with_one_key_make_one_intake(app, session, worker):
    _user, headers = worker
    client = app.test_client()
    payload = body(client)
    key = str(uuid.uuid4())
    statuses, ids = [], []
    barrier = threading.Barrier(20)

    def send():
        c = app.test_client()
        barrier.wait()
        r = post(c, headers, payload, key)
        statuses.append(r.status_code)
        if r.status_code == 201:
            ids.append(r.json["intake_id"])

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.scalar(select(func.count()).select_from(Intake)) == 1
    assert set(statuses) <= {201, 409, 503} and statuses.count(201) >= 1
    assert len(set(ids)) == 1


def test_the_stored_response_does_not_reveal_the_follow_up_secrets(client, session, worker):
    from tsunagi.domain.models import IdempotencyRecord

    _user, headers = worker
    response = post(client, headers, body(client))
    record = session.scalar(select(IdempotencyRecord))
    code = response.json["follow_up"]["short_code"]
    token = response.json["follow_up"]["url"].split("#")[1]
    assert code.encode() not in record.response_body and token.encode() not in record.response_body


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p["answers"].update(age_band="old"), "answers.age_band"),
    (lambda p: p.update(channel="kiosk"), "location"),
    (lambda p: p.update(location="lib-chuo"), "location"),
    (lambda p: p["contact"].update(phone="call me"), "contact.phone"),
    (lambda p: p.update(colour="red"), "colour"),
    (lambda p: p["consent"]["scopes"].update(contact_methods=["pigeon"]), "consent.scopes.contact_methods.0"),
])
def test_bad_submissions_get_clear_errors_and_store_nothing(client, session, worker, change, field):
    _user, headers = worker
    payload = body(client)
    change(payload)
    response = post(client, headers, payload)
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert session.scalar(select(func.count()).select_from(Intake)) == 0


def test_only_outreach_workers_submit(client, session, worker, provider_users):
    payload = body(client)
    for headers in ({}, {"Authorization": f"Bearer {provider_users['kodomo']}"}):
        assert post(client, headers, payload).status_code in (401, 403)


def test_oversized_requests_are_413(client, worker):
    _user, headers = worker
    payload = body(client)
    payload["contact"]["free_text"] = "x" * 400_000
    response = post(client, headers, payload)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_maintenance_purge_deletes_week_old_idempotency_records_only(app, client, session, worker):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from tsunagi.domain.models import IdempotencyRecord

    _user, headers = worker
    for key in ("old-key-0123456789", "new-key-0123456789"):
        response = client.post("/api/v1/intakes", json=body(client), headers={**headers, "Idempotency-Key": key})
        assert response.status_code == 201
    session.execute(update(IdempotencyRecord).where(IdempotencyRecord.created_at.is_not(None))
                    .values(created_at=datetime.now(timezone.utc) - timedelta(days=8)))
    session.commit()
    fresh = client.post("/api/v1/intakes", json=body(client), headers={**headers, "Idempotency-Key": "third-key-0123456789"})
    assert fresh.status_code == 201
    result = app.test_cli_runner().invoke(args=["maintenance", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 2 idempotency records" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
