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


def test_probable_duplicates_are_the_same_contact_within_the_window(session, make_intake):
    """Flagged among the reader's intakes: the same phone number within the window, on
    either side and at its very edge, never the intake itself, never another number."""
    from datetime import timedelta

    from sqlalchemy import select

    from tsunagi.domain.intakes import duplicates_among
    from tsunagi.domain.models import Intake

    made = [make_intake().intake for _ in range(4)]
    other = make_intake().intake
    other.contact_key = "another number"
    start = made[0].created_at
    for intake, days in zip(made, (0, 30, 60, 61)):
        intake.created_at = start + timedelta(days=days)
    other.created_at = start
    session.commit()
    found = duplicates_among(session, select(Intake), made + [other], days=30)
    first, month, two_months, later = (i.id for i in made)
    assert found[first] == [month]
    assert found[month] == [first, two_months]  # 30 days each way: the edges count
    assert found[two_months] == [month, later]
    assert found[later] == [two_months]
    assert found[other.id] == []
    # Only among what the reader may read.
    assert duplicates_among(session, select(Intake).where(Intake.id != month), [made[0]], days=30)[first] == []
