"""Consent is the gate for every share, and withdrawal works at once."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tests.inbox.test_inbox import login
from tsunagi.domain import accounts, lifecycle
from tsunagi.domain.consent import ConsentGiven
from tsunagi.domain.models import Consent, IntakeEvent, OutboxMessage, Provider


def test_withdrawal_from_the_follow_up_page_hides_identity_at_once(app, session, provider_users, make_intake):
    made = make_intake()
    intake = made.intake
    provider = app.test_client()
    login(provider, "houkatsu-minami")
    headers = {"Authorization": f"Bearer {provider_users['houkatsu-minami']}"}
    assert "山田 花子" in provider.get(f"/provider/intakes/{intake.id}").text
    assert app.test_client().post("/api/v1/follow-up/messages",
                                  json={"token": made.secrets.token, "body": "夜は電話に出られません"}).status_code == 201
    assert "夜は電話に出られません" in provider.get(f"/provider/intakes/{intake.id}").text

    resident = app.test_client()
    response = resident.post("/api/v1/follow-up/withdraw", json={"code": made.secrets.grouped_code.lower()})
    assert response.status_code == 200 and response.json["consent_withdrawn"] is True

    page = provider.get(f"/provider/intakes/{intake.id}").text
    assert "山田 花子" not in page and "090-1234-5678" not in page and "夜は電話に出られません" not in page
    assert "同意が撤回された" in page
    api = app.test_client().get(f"/api/v1/intakes/{intake.id}", headers=headers).json
    assert api["resident"] is None and api["consent"]["withdrawn"] is True
    row = session.execute(text("SELECT name, contact, free_text, contact_key FROM intake WHERE id = :id"),
                          {"id": intake.id}).one()
    assert tuple(row) == (None, None, None, None)
    consent = session.scalar(select(Consent).where(Consent.intake_id == intake.id))
    assert consent.withdrawn_via == "follow_up" and consent.withdrawn_at is not None
    # nothing more is shared, and messages can no longer be sent
    session.expire_all()
    staff = session.scalar(select(accounts.User).where(accounts.User.username == "houkatsu-minami"))
    with pytest.raises(lifecycle.ConsentRequired):
        lifecycle.transition(session, session.merge(intake), "transfer", staff, reason="x", to_provider="kodomo")
    assert resident.post("/api/v1/follow-up/messages",
                         json={"token": made.secrets.token, "body": "hello"}).status_code == 409


def test_a_provider_records_a_withdrawal_asked_by_phone(app, session, provider_users, make_intake):
    intake = make_intake().intake
    client = app.test_client()
    login(client, "houkatsu-minami")
    from tests.kiosk_helpers import csrf_token

    csrf = csrf_token(client.get(f"/provider/intakes/{intake.id}").text)
    client.post(f"/provider/intakes/{intake.id}/consent/withdraw", data={"csrf_token": csrf})
    consent = session.scalar(select(Consent).where(Consent.intake_id == intake.id))
    session.refresh(consent)
    assert consent.withdrawn_via == "provider" and consent.withdrawn_by_id is not None
    events = session.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id)).all()
    assert any(e.action == "consent_withdrawn" and e.details == {"via": "provider"} for e in events)


def test_routing_to_the_team_needs_the_multi_agency_scope(session, make_intake):
    """8050 goes to the team with the meeting agreed; without it, to the first contact
    (houkatsu for 8050) with the reason that says why: a "yes, send" is never dropped."""
    eight_fifty = {"subject": "family", "age_band": "40_64", "concerns": ["isolation"],
                   "household": ["elderly_65_plus"], "danger_now": "no", "area": "kita"}
    declined = make_intake(answers=eight_fifty, multi_agency=False)
    provider = session.get(Provider, declined.intake.provider_id)
    assert declined.intake.status == "received" and declined.intake.name == "山田 花子"
    assert declined.intake.service == "houkatsu" and provider.code == "houkatsu-kita"
    assert declined.intake.decision["rule"] == "8050"
    assert declined.intake.decision["reasons"][-2] == {"code": "first_contact_no_meeting",
                                                       "params": {"service": "houkatsu"}}
    agreed = make_intake(answers=eight_fifty, multi_agency=True)
    assert agreed.intake.service == "takikan" and agreed.intake.name == "山田 花子"
    assert session.get(Provider, agreed.intake.provider_id).service == "takikan"
    not_shared = make_intake(answers=eight_fifty, share=False)
    assert not_shared.intake.provider_id is None and not_shared.intake.status == "not_shared"


def test_no_consent_no_notification(session, app, make_intake):
    with app.test_request_context():
        from tsunagi.web.context import notify_after_submit

        accounts.create_user(session, "m", "a long enough password", "provider_staff", "houkatsu-minami",
                             email="m@example.jp")
        notify_after_submit(session, make_intake(share=False).intake)
    assert session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize(("mode", "kwargs", "problem"), [
    ("proxy", {"witness_id": 1}, "relationship"),
    ("verbal", {}, "witnessed"),
    ("telepathy", {}, "mode"),
])
def test_consent_evidence_is_complete_or_refused(mode, kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        ConsentGiven(text_id="c", text_version=1, text_hash="0" * 64, locale="ja", share_with_provider=True,
                     channel="outreach", location_id=1, mode=mode, **kwargs)


def test_start_up_fails_when_the_consent_text_is_untranslated(monkeypatch, database_url):
    from tsunagi import create_app
    from tsunagi.web import i18n

    monkeypatch.setattr(i18n, "LOCALES", {**i18n.LOCALES, "sw": "Kiswahili"})  # no catalog
    with pytest.raises(i18n.MissingTranslations, match="sw: 8 missing"):
        create_app({"TESTING": True, "DATABASE_URL": database_url})
