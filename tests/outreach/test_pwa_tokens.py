"""Session tokens of the outreach app: sign in, use, expiry, sign out (service and API)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tsunagi.domain import accounts, session_tokens
from tsunagi.domain.models import SessionToken


@pytest.fixture
def worker(session, demo):
    user, _token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
    session.commit()
    return user


def sign_in(client, username="outreach-1", password=PASSWORD):
    return client.post("/api/v1/tokens", json={"username": username, "password": password})


def test_a_token_lives_until_it_expires_or_is_revoked(session, worker):
    now = datetime.now(timezone.utc)
    _row, token = session_tokens.issue(session, worker, timedelta(hours=1), now=now)
    session.commit()
    assert session_tokens.find(session, token, now=now + timedelta(minutes=59)) is not None
    assert session_tokens.find(session, token, now=now + timedelta(minutes=61)) is None
    assert session_tokens.find(session, token + "x") is None
    assert session_tokens.revoke(session, token) and not session_tokens.revoke(session, token)
    assert session_tokens.user_for_token(session, token) is None


def test_disabling_the_user_ends_the_token(session, worker):
    _row, token = session_tokens.issue(session, worker, timedelta(hours=1))
    accounts.disable(worker)
    session.commit()
    assert session_tokens.user_for_token(session, token) is None


def test_only_outreach_workers_get_session_tokens(session, demo):
    staff, _token = accounts.create_user(session, "staff-1", PASSWORD, "provider_staff", "kodomo")
    with pytest.raises(session_tokens.NotAllowed):
        session_tokens.issue(session, staff, timedelta(hours=1))


def test_purge_deletes_expired_and_revoked_tokens(session, worker):
    now = datetime.now(timezone.utc)
    session_tokens.issue(session, worker, timedelta(hours=1), now=now - timedelta(hours=2))
    _row, revoked = session_tokens.issue(session, worker, timedelta(hours=1))
    _row, live = session_tokens.issue(session, worker, timedelta(hours=1))
    session_tokens.revoke(session, revoked)
    session.commit()
    assert session_tokens.purge(session) == 2
    assert session_tokens.user_for_token(session, live) == worker


def test_sign_in_gives_a_token_that_submits_and_is_stored_hashed(client, session, worker):
    response = sign_in(client)
    assert response.status_code == 201, response.json
    token = response.json["token"]
    assert response.json["user"] == {"username": "outreach-1", "role": "outreach_worker"}
    expires = datetime.fromisoformat(response.json["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
    locations = client.get("/api/v1/locations", headers={"Authorization": f"Bearer {token}"})
    assert locations.status_code == 200 and [loc["kind"] for loc in locations.json] == ["outreach"]
    stored = session.scalars(select(SessionToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]


def test_sign_out_revokes_the_token_at_once(client, worker):
    token = sign_in(client).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/locations", headers=headers).status_code == 401
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 401


def test_an_accounts_permanent_token_is_not_revoked_by_sign_out(client, session, demo):
    _user, api_token = accounts.create_user(session, "outreach-2", PASSWORD, "outreach_worker")
    session.commit()
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 401
    assert client.get("/api/v1/locations", headers=headers).status_code == 200


@pytest.mark.parametrize(("payload", "status"), [
    ({"username": "outreach-1", "password": "wrong password, long"}, 401),
    ({"username": "nobody", "password": PASSWORD}, 401),
    ({"username": "outreach-1"}, 422),
    ({"username": 7, "password": PASSWORD}, 422),
    (["outreach-1", PASSWORD], 400),
])
def test_failed_sign_in_is_a_problem(client, worker, payload, status):
    response = client.post("/api/v1/tokens", json=payload)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert "token" not in response.json


def test_provider_staff_do_not_sign_in_to_the_outreach_app(client, provider_users):
    response = sign_in(client, "kodomo", PASSWORD)
    assert response.status_code == 403 and response.json["code"] == "role"


def test_repeated_failures_for_one_account_are_limited(client, worker):
    statuses = [sign_in(client, password="not the password").status_code for _ in range(7)]
    assert statuses[:6] == [401] * 6 and statuses[6] == 429
    assert sign_in(client).status_code == 429  # even the right password waits
