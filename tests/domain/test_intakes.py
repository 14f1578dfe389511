"""Intake services without an app: consent gates what is stored and shared."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tsunagi.domain.consent import ConsentRequired, require_share
from tsunagi.domain.models import Intake, Provider
from tsunagi.domain.triage.answers import InvalidAnswers


def test_shared_intake_is_routed_with_its_decision(session, submitted):
    intake = submitted.intake
    provider = session.get(Provider, intake.provider_id)
    assert provider.code == "houkatsu-minami"
    assert intake.decision["rule"] == "single_domain"
    assert intake.decision["provider_choice"] == "area"
    assert intake.rules_version == intake.decision["rules_version"]
    assert intake.name == "山田 花子" and intake.contact == {"phone": "090-1234-5678"}
    c = intake.consent
    assert (c.text_id, c.text_version, c.locale, c.channel, c.mode) == ("consent-default", 1, "ja", "kiosk", "self")
    assert len(c.text_hash) == 64 and c.contact_methods == ["phone"]
    assert [e.to_status for e in intake.events] == ["received"]


def test_without_consent_nothing_identifying_is_stored(session, make_intake):
    result = make_intake(share=False)
    row = session.execute(
        text("SELECT name, contact, free_text, provider_id, status FROM intake WHERE id = :id"),
        {"id": result.intake.id},
    ).one()
    assert tuple(row) == (None, None, None, None, "not_shared")
    # the resident is still shown where to go
    assert result.decision.provider_id is not None
    with pytest.raises(ConsentRequired):
        require_share(result.intake)


def test_invalid_answers_store_nothing(session, make_intake):
    with pytest.raises(InvalidAnswers):
        make_intake(answers={"subject": "self"})
    session.rollback()
    assert session.scalars(select(Intake)).all() == []
