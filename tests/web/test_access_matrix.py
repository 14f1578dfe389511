"""Every role × every provider-side route and API: each gets exactly what it should.

Roles: anonymous, a kiosk session, an outreach worker, staff of provider A (the intake is
routed to A), staff of provider B, A's lead, the municipality coordinator, the admin.
"""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.kiosk_helpers import Journey, csrf_token
from tsunagi.domain import accounts

ROLES = ("anonymous", "kiosk", "outreach", "a_staff", "b_staff", "a_lead", "coordinator", "admin")
ACCOUNTS = {
    "outreach": ("outreach_worker", None), "a_staff": ("provider_staff", "houkatsu-minami"),
    "b_staff": ("provider_staff", "houkatsu-kita"), "a_lead": ("provider_lead", "houkatsu-minami"),
    "coordinator": ("coordinator", None), "admin": ("admin", None),
}
L = "/provider/login"  # a redirect there means: sign in first
# route -> expected per role, in ROLES order. An int is a status; a str is a redirect target.
HTML = {
    ("GET", "/provider/"): [L, L, L, 200, 200, 200, 200, "/provider/users"],
    ("GET", "/provider/intakes/{id}"): [L, L, L, 200, 404, 200, 200, 403],
    ("GET", "/provider/board"): [L, L, L, 403, 403, 403, 200, 403],
    ("GET", "/provider/directory"): [L, L, L, 403, 403, 403, 200, 403],
    ("GET", "/provider/users"): [L, L, L, 403, 403, 200, 403, 200],
    ("GET", "/provider/outbox"): [L, L, L, 403, 403, 403, 200, 200],
    ("GET", "/provider/kiosks"): [L, L, L, 403, 403, 403, 200, 200],
    ("POST", "/provider/kiosks"): [L, L, L, 403, 403, 403, 422, 422],  # the form is empty: refused
    ("GET", "/provider/stats"): [L, L, L, 403, 403, 403, 200, 403],
    ("GET", "/provider/webhooks"): [L, L, L, 403, 403, 403, 403, 200],
    ("POST", "/provider/webhooks"): [L, L, L, 403, 403, 403, 403, 422],  # the admin's form is empty: refused
    ("POST", "/provider/webhooks/houkatsu-minami/remove"): [L, L, L, 403, 403, 403, 403, "/provider/webhooks"],
    ("GET", "/provider/stats?format=csv"): [L, L, L, 403, 403, 403, 200, 403],
    ("GET", "/provider/stats/report"): [L, L, L, 403, 403, 403, 200, 403],
    ("POST", "/provider/intakes/{id}/follow-up/revoke"): [L, L, L, "/provider/intakes/{id}", 404,
                                                          "/provider/intakes/{id}", "/provider/intakes/{id}", 403],
    ("POST", "/provider/users/{victim}/disable"): [L, L, L, 404, 404, "/provider/users", 404, "/provider/users"],
}
API = {
    ("GET", "/api/v1/inbox"): [401, 401, 403, 200, 200, 200, 200, 403],
    ("GET", "/api/v1/intakes/{id}"): [401, 401, 404, 200, 404, 200, 200, 404],
    ("GET", "/api/v1/locations"): [401, 401, 200, 403, 403, 403, 200, 200],
    ("POST", "/api/v1/intakes/{id}/transitions"): [401, 401, 404, 200, 404, 200, 403, 404],
}
# Whether the role ends up having accepted the intake through the HTML form.
ACCEPTS = dict(zip(ROLES, [False, False, False, True, False, True, False, False]))


@pytest.fixture
def world(app, session, make_intake):
    intake = make_intake().intake
    tokens = {}
    for role, (kind, provider) in ACCOUNTS.items():
        _user, tokens[role] = accounts.create_user(session, role, PASSWORD, kind, provider)
    victim, _ = accounts.create_user(session, "victim", PASSWORD, "provider_staff", "houkatsu-minami")
    session.commit()
    return intake, tokens, victim


def client_for(app, role):
    client = app.test_client()
    if role == "kiosk":
        Journey(client, locale="ja").start()
    elif role in ACCOUNTS or role == "victim":
        page = client.get("/provider/login")
        client.post("/provider/login", data={"username": role, "password": PASSWORD,
                                             "csrf_token": csrf_token(page.text)})
    return client


def outcome(response):
    if response.status_code in (301, 302, 303):
        return response.headers["Location"].split("?")[0]
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_what_it_should(app, session, world, role):
    intake, tokens, victim = world
    index = ROLES.index(role)
    client = client_for(app, role)
    csrf = csrf_token(client.get("/provider/login").text)
    leaks = []
    for (method, path), expected in HTML.items():
        url = path.format(id=intake.id, victim=victim.id)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf})
        want = expected[index]
        want = want.format(id=intake.id) if isinstance(want, str) else want
        assert outcome(response) == want, (role, method, url)
        if want != 200 and "山田" in response.text:
            leaks.append(url)
    accept = client.post(f"/provider/intakes/{intake.id}/transitions", data={"csrf_token": csrf, "action": "accept"})
    assert outcome(accept) in (L, 404, 403, f"/provider/intakes/{intake.id}")
    session.refresh(intake)
    assert (intake.status == "accepted") == ACCEPTS[role], role
    if intake.status == "accepted":  # put it back for the API checks
        intake.status = "received"
        session.commit()

    api = app.test_client()
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
    for (method, path), expected in API.items():
        url = path.format(id=intake.id)
        response = api.get(url, headers=headers) if method == "GET" else \
            api.post(url, headers=headers, json={"action": "accept"})
        assert response.status_code == expected[index], (role, method, url, response.get_data(as_text=True))
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            assert response.mimetype == "application/problem+json"
        if intake.id in body and not expected[index] == 200:
            leaks.append(url)
        if path == "/api/v1/inbox" and response.status_code == 200:
            assert (intake.id in body) == (role in ("a_staff", "a_lead", "coordinator")), role
        if "山田" in body and role not in ("a_staff", "a_lead", "coordinator"):
            leaks.append(url)
    assert leaks == []


def test_disabling_a_user_ends_their_session_and_token(app, session, world):
    intake, tokens, victim = world
    victim_client = client_for(app, "victim")
    assert victim_client.get("/provider/").status_code == 200
    lead = client_for(app, "a_lead")
    csrf = csrf_token(lead.get("/provider/users").text)
    assert lead.post(f"/provider/users/{victim.id}/disable", data={"csrf_token": csrf}).status_code == 302
    assert outcome(victim_client.get("/provider/")) == L
    page = victim_client.get("/provider/login")
    again = victim_client.post("/provider/login", data={"username": "victim", "password": PASSWORD,
                                                        "csrf_token": csrf_token(page.text)})
    assert again.status_code == 401
