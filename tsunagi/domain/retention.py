"""Retention: what is erased when, and what is kept for the statistics.

N days after a case ended (closed, interrupted, or never shared), its identifying fields
(name, contact, free text, contact time), its answers, the resident's messages and the
staff's notes are erased; what the statistics count stays (when, where, channel,
language, service, priority, status, outcome, area). Kiosk drafts abandoned without a
reset, expired idempotency records and session tokens, and outreach contacts with someone
who never consented (no intake joined them) older than the same N days are deleted. Takes a `Session`;
the caller commits (`flask retention purge` does, batch by batch).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tsunagi.domain import idempotency, session_tokens
from tsunagi.domain.models import Consent, ContactEntry, Intake, IntakeEvent, KioskDraft, ResidentMessage
from tsunagi.domain.worklist import ENDED

BATCH = 500


@dataclass
class Purged:
    intakes: int = 0
    messages: int = 0
    notes: int = 0
    kiosk_drafts: int = 0
    idempotency_records: int = 0
    session_tokens: int = 0
    outreach_contacts: int = 0
    details: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{self.intakes} ended intakes erased (identifying fields, answers, messages, notes)",
                f"{self.messages} resident messages deleted", f"{self.notes} staff notes erased",
                f"{self.kiosk_drafts} abandoned kiosk drafts deleted",
                f"{self.idempotency_records} idempotency records deleted",
                f"{self.session_tokens} session tokens deleted",
                f"{self.outreach_contacts} outreach contacts never joined to an intake deleted"]


def _due(erase_after: timedelta, now: datetime):
    return (Intake.status.in_(ENDED), Intake.status_changed_at < now - erase_after, Intake.erased_at.is_(None))


def purge(session: Session, *, erase_after: timedelta, draft_ttl: timedelta, now: datetime | None = None,
          dry_run: bool = False, commit_each_batch: bool = True) -> Purged:
    """Erase and delete what retention says; with `dry_run`, only count it."""
    now = now or datetime.now(timezone.utc)
    out = Purged()
    drafts = KioskDraft.updated_at < now - draft_ttl
    # Contacts before consent that no intake ever took up: nobody's case, kept as long as an ended one.
    unlinked = (ContactEntry.intake_id.is_(None), ContactEntry.created_at < now - erase_after)
    if dry_run:
        due = _due(erase_after, now)
        ids = select(Intake.id).where(*due)
        out.intakes = session.scalar(select(func.count()).where(*due).select_from(Intake))
        out.messages = session.scalar(select(func.count()).select_from(ResidentMessage)
                                      .where(ResidentMessage.intake_id.in_(ids)))
        out.notes = session.scalar(select(func.count()).select_from(IntakeEvent)
                                   .where(IntakeEvent.intake_id.in_(ids), IntakeEvent.reason.is_not(None)))
        out.notes += session.scalar(select(func.count()).select_from(ContactEntry)
                                    .where(ContactEntry.intake_id.in_(ids), ContactEntry.note.is_not(None)))
        out.kiosk_drafts = session.scalar(select(func.count()).select_from(KioskDraft).where(drafts))
        out.outreach_contacts = session.scalar(select(func.count()).select_from(ContactEntry).where(*unlinked))
        return out
    while True:
        ids = list(session.scalars(select(Intake.id).where(*_due(erase_after, now)).limit(BATCH)))
        if not ids:
            break
        out.messages += session.execute(delete(ResidentMessage).where(ResidentMessage.intake_id.in_(ids))).rowcount
        out.notes += session.execute(update(IntakeEvent).where(IntakeEvent.intake_id.in_(ids),
                                                               IntakeEvent.reason.is_not(None))
                                     .values(reason=None)).rowcount
        out.notes += session.execute(update(ContactEntry).where(ContactEntry.intake_id.in_(ids),
                                                                ContactEntry.note.is_not(None))
                                     .values(note=None)).rowcount
        session.execute(update(Consent).where(Consent.intake_id.in_(ids)).values(contact_time=None))
        out.intakes += session.execute(
            update(Intake).where(Intake.id.in_(ids))
            .values(name=None, contact=None, free_text=None, contact_key=None, answers={}, erased_at=now)).rowcount
        if commit_each_batch:
            session.commit()
    out.kiosk_drafts = session.execute(delete(KioskDraft).where(drafts)).rowcount or 0
    out.outreach_contacts = session.execute(delete(ContactEntry).where(*unlinked)).rowcount or 0
    out.idempotency_records = idempotency.purge(session, now)
    out.session_tokens = session_tokens.purge(session, now)
    return out
