"""Retention: ended cases lose their personal data after N days; the statistics stay."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from tsunagi.domain import retention
from tsunagi.domain.models import Consent, ContactEntry, Intake, IntakeEvent, KioskDraft, ResidentMessage

YEAR = timedelta(days=365)
HOUR = timedelta(hours=1)


def ended(session, intake, status="closed", ago=timedelta(days=400)):
    session.execute(update(Intake).where(Intake.id == intake.id)
                    .values(status=status, outcome="supported" if status == "closed" else None,
                            status_changed_at=datetime.now(timezone.utc) - ago))
    session.commit()


def test_an_ended_case_is_erased_after_the_period_and_counted_first(session, make_intake):
    old = make_intake(share=True).intake
    recent = make_intake(share=True).intake
    still_open = make_intake(share=True).intake
    session.add(ResidentMessage(intake_id=old.id, body="my neighbour is 山田"))
    session.add(IntakeEvent(intake_id=old.id, to_status="closed", reason="visited 山田 at home"))
    session.add(ContactEntry(intake_id=old.id, contacted_on=date(2025, 1, 6), kind="visit", result="reached",
                             note="山田さん宅を訪問"))
    session.commit()
    ended(session, old)
    ended(session, recent, ago=timedelta(days=10))
    session.execute(update(Intake).where(Intake.id == still_open.id)
                    .values(status_changed_at=datetime.now(timezone.utc) - 2 * YEAR))
    session.commit()

    counted = retention.purge(session, erase_after=YEAR, draft_ttl=HOUR, dry_run=True)
    assert (counted.intakes, counted.messages, counted.notes) == (1, 1, 2)
    session.expire_all()
    assert session.get(Intake, old.id).name == "山田 花子"  # a dry run changes nothing

    done = retention.purge(session, erase_after=YEAR, draft_ttl=HOUR)
    session.commit()
    assert (done.intakes, done.messages, done.notes) == (1, 1, 2)
    session.expire_all()
    erased = session.get(Intake, old.id)
    assert (erased.name, erased.contact, erased.free_text, erased.contact_key, erased.answers) == (None, None, None, None, {})
    assert erased.erased_at is not None
    assert (erased.service, erased.status, erased.outcome, erased.area, erased.channel) == \
        (old.service, "closed", "supported", old.area, old.channel)  # what the statistics count
    assert session.scalar(select(Consent.contact_time).where(Consent.intake_id == old.id)) is None
    assert session.scalars(select(ResidentMessage).where(ResidentMessage.intake_id == old.id)).all() == []
    assert all(e.reason is None for e in session.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == old.id)))
    contact = session.scalar(select(ContactEntry).where(ContactEntry.intake_id == old.id))
    assert contact.note is None and contact.kind == "visit"  # the fact of the visit stays, not the words
    for kept in (recent, still_open):
        assert session.get(Intake, kept.id).name == "山田 花子"
    assert retention.purge(session, erase_after=YEAR, draft_ttl=HOUR).intakes == 0


def test_abandoned_kiosk_drafts_go_and_fresh_ones_stay(session, make_intake):
    location = make_intake().intake.location_id
    session.add_all([KioskDraft(key_hash="a" * 64, location_id=location, answers={"subject": "self"}),
                     KioskDraft(key_hash="b" * 64, location_id=location, answers={"subject": "self"})])
    session.commit()
    session.execute(update(KioskDraft).where(KioskDraft.key_hash == "a" * 64)
                    .values(updated_at=datetime.now(timezone.utc) - 2 * HOUR))
    session.commit()
    assert retention.purge(session, erase_after=YEAR, draft_ttl=HOUR, dry_run=True).kiosk_drafts == 1
    assert retention.purge(session, erase_after=YEAR, draft_ttl=HOUR).kiosk_drafts == 1
    assert [d.key_hash for d in session.scalars(select(KioskDraft))] == ["b" * 64]


def test_cli_dry_run_prints_counts_and_changes_nothing(runner, session, make_intake):
    intake = make_intake(share=True).intake
    ended(session, intake, status="interrupted", ago=6 * YEAR)
    result = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would be: 1 ended intakes erased" in result.output and "dry run" in result.output
    session.expire_all()
    assert session.get(Intake, intake.id).name == "山田 花子"
    result = runner.invoke(args=["retention", "purge"])
    assert "1 ended intakes erased" in result.output
    session.expire_all()
    assert session.get(Intake, intake.id).name is None
