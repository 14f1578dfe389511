"""Generated garbage at every route and form, as every kind of visitor: never a 5xx, and
nothing stored (on SQLite and on PostgreSQL: script/test runs this file on both).

Every rule of the app's URL map is probed with each of its methods, by an anonymous
browser, a kiosk in the middle of a journey, a signed-in office, the coordinator, the
admin and an outreach app's bearer token. Path parameters are real values (a location, a
locale, an intake id, a step) or generated text; the query, the form body and the JSON
body are generated around the field names the product reads, with NUL, control
characters, long values and deep nesting among them. CSRF is off in this app so that the
garbage reaches the forms' own validation (CSRF refusals are tested elsewhere).
Hypothesis runs derandomized: the same examples each run, so a failure reproduces.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tsunagi.domain import accounts
from tsunagi.domain.models import Intake, IntakeEvent, ResidentMessage

EXAMPLES = 25
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FIELDS = (
    "csrf_token", "share", "multi_agency_meeting", "contact_methods", "contact_time", "action", "reason",
    "outcome", "note", "return_reason", "to_provider", "to_service", "confirm", "username", "password",
    "code", "q", "text", "message", "answers", "locale", "furigana", "after", "status", "subject",
    "age_band", "concerns", "danger_now", "area", "name", "phone", "email", "free_text", "token", "role",
    "provider", "period", "lang", "next", "form_id", "form_version", "channel", "location", "consent",
)
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["", "\x00", "yes", "no", "ja", "../../etc/passwd", "<script>", "' OR 1=1 --",
                     "９９９", "-1", "0", "1e309", "null", "x" * 5000, "\ufeff", "ＡＢＣ", "%00", "{}", "[]"]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | TEXT, inner, max_size=5),
    max_leaves=12,
)


@pytest.fixture
def visitors(app, session, demo, provider_users, make_intake):
    """One client per kind of visitor, and real values for path parameters."""
    app.config["WTF_CSRF_ENABLED"] = False
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    accounts.create_user(session, "root", PASSWORD, "admin")
    _worker, token = accounts.create_user(session, "walker", PASSWORD, "outreach_worker")
    session.commit()
    intake = make_intake().intake
    clients = {"anonymous": app.test_client()}
    kiosk = app.test_client()
    kiosk.get("/k/lib-chuo/ja/")
    kiosk.post("/k/lib-chuo/ja/start")
    clients["kiosk"] = kiosk
    for name, user in (("office", "houkatsu-minami"), ("coordinator", "coord"), ("admin", "root")):
        client = app.test_client()
        signed_in = client.post("/provider/login", data={"username": user, "password": PASSWORD})
        assert signed_in.status_code == 302, (name, signed_in.status_code)
        clients[name] = client
    headers = {"outreach": {"Authorization": f"Bearer {token}"},
               "office-api": {"Authorization": f"Bearer {provider_users['houkatsu-minami']}"}}
    real = ["lib-chuo", "hub-minami", "outreach", "ja", "en", "vi", "ja@easy", intake.id, "welcome",
            "about", "review", "consent", "receipt", "intake-default", "1", "houkatsu-minami"]
    return clients, headers, real


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Intake, IntakeEvent, ResidentMessage))


def test_garbage_at_every_route_never_gets_a_5xx_and_stores_nothing(app, session, visitors):
    clients, headers, real = visitors
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    assert len(rules) > 40  # the whole app, not a part of it
    before = _counts(session)
    seen: list[str] = []

    def prober(rule, methods):
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def probe(data):
            method = data.draw(st.sampled_from(methods), "method")
            who = data.draw(st.sampled_from([*clients, *headers]), "who")
            client = clients.get(who) or clients["anonymous"]
            values = {arg: data.draw(st.sampled_from(real) | TEXT.filter(bool), arg) for arg in sorted(rule.arguments)}
            path = rule.rule
            for arg, value in values.items():
                path = path.replace(f"<{arg}>", quote(value, safe="")).replace(f"<path:{arg}>", quote(value, safe=""))
                path = path.replace(f"<int:{arg}>", quote(value, safe=""))
            query = data.draw(st.dictionaries(st.sampled_from(FIELDS) | TEXT, TEXT, max_size=3), "query")
            kwargs: dict = {"query_string": query, "headers": headers.get(who, {})}
            if method != "GET":
                kind = data.draw(st.sampled_from(["form", "json", "raw"]), "body")
                if kind == "form":
                    kwargs["data"] = data.draw(st.dictionaries(st.sampled_from(FIELDS) | TEXT, TEXT, max_size=6), "form")
                elif kind == "json":
                    kwargs["data"] = json.dumps(data.draw(JSON, "json"))
                    kwargs["content_type"] = "application/json"
                else:
                    kwargs["data"] = data.draw(st.binary(max_size=64), "raw")
                    kwargs["content_type"] = data.draw(st.sampled_from(
                        ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]))
            response = client.open(path, method=method, **kwargs)
            assert response.status_code < 500, (method, path, who, kwargs, response.status_code, response.text[:300])

        return probe

    for rule in rules:
        prober(rule, [m for m in METHODS if m in (rule.methods or ())] or ["GET"])()
        seen.append(rule.rule)

    assert len(seen) == len(rules)
    assert _counts(session) == before
