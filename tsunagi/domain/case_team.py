"""Several offices on one case, the meetings that decide about it, and the contact log.

- The office an intake is routed to (`Intake.provider`) is its **lead office**. The lead, or
  the coordinator, names **cooperating offices** that work on the case beside it (実施要綱
  L589-596, L1210-1216). A cooperating office reads the case only while the resident's
  consent covers sharing among the offices of the 重層的支援会議 (the `multi_agency_meeting`
  scope, L559-569, L608-610); staff of the lead office record that scope when the resident
  agrees later, as a witnessed verbal consent.
- The multi-agency team hands a case back to a lead office (つなぎもどし, L618-632,
  L1234-1238): `lifecycle.transition(..., "hand_back")`. The team then stays on the case as a
  cooperating office; an office that becomes the lead stops being a cooperating one.
- Meeting decisions (plan, re-plan, end, interruption, L1429-1457) are case events with the
  meeting's date and kind; the 重層的支援会議 needs the resident's consent, the 支援会議
  (社会福祉法 106条の6) does not and is never something a resident is asked.
- Contacts (L1461-1532): when, how, how it went, the next planned contact. A contact that
  did not reach the person counts as a failed contact attempt, the number interruption needs.

Every function takes a `Session`; the caller commits.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from tsunagi.domain import reports
from tsunagi.domain.consent import ConsentRequired, may_share, require_share
from tsunagi.domain.models import (
    CaseOffice,
    Consent,
    ContactEntry,
    Intake,
    IntakeEvent,
    Location,
    Provider,
    User,
)
from tsunagi.domain.vocabulary import (
    CONTACT_KINDS,
    CONTACT_RESULTS,
    JST,
    MEETING_DECISIONS,
    MEETING_KINDS,
    PROVIDER_ROLES,
    TRANSITIONS,
)


class CaseTeamRefused(ValueError):
    """Refused like a lifecycle action: `code` is a key of vocabulary.REFUSALS."""

    def __init__(self, code: str, message: str, **params):
        self.code, self.params = code, params
        super().__init__(message)


# --- who is on the case -----------------------------------------------------------------

def shares_with_cooperating(intake: Intake) -> bool:
    """Whether the resident's consent lets cooperating offices read the case: shared, not
    withdrawn, and agreed to the 重層的支援会議, where the offices share out the roles."""
    return may_share(intake) and bool(intake.consent.multi_agency_meeting)


def cooperating(session: Session, intake: Intake) -> list[CaseOffice]:
    """The case's cooperating offices now (not ended), in the order they were named."""
    return list(session.scalars(select(CaseOffice).where(CaseOffice.intake_id == intake.id,
                                                         CaseOffice.ended_at.is_(None))
                                .order_by(CaseOffice.id)))


def is_cooperating(session: Session, intake: Intake, provider_id: int | None) -> bool:
    if provider_id is None or provider_id == intake.provider_id:
        return False
    return session.scalar(select(CaseOffice.id).where(CaseOffice.intake_id == intake.id,
                                                      CaseOffice.provider_id == provider_id,
                                                      CaseOffice.ended_at.is_(None))) is not None


def reads_as_cooperating(session: Session, user: User, intake: Intake) -> bool:
    """Whether `user`'s office reads `intake` as a cooperating office now."""
    return (user.role in PROVIDER_ROLES and shares_with_cooperating(intake)
            and is_cooperating(session, intake, user.provider_id))


def cooperating_ids(provider_id: int) -> Select:
    """SQL: the ids of the intakes that have `provider_id` as a cooperating office while
    the consent lets it read them, read from the case offices (a few rows per office), not
    by testing every intake."""
    return (select(CaseOffice.intake_id).join(Consent, Consent.intake_id == CaseOffice.intake_id)
            .where(CaseOffice.provider_id == provider_id, CaseOffice.ended_at.is_(None),
                   Consent.share_with_provider.is_(True), Consent.withdrawn_at.is_(None),
                   Consent.multi_agency_meeting.is_(True)))


def cooperating_clause(provider_id: int):
    """SQL: the intake has `provider_id` as a cooperating office and the consent lets it read."""
    return Intake.id.in_(cooperating_ids(provider_id))


def _may_name_offices(user: User, intake: Intake) -> bool:
    if user.role == "coordinator":
        return intake.provider_id is not None
    return user.role in PROVIDER_ROLES and user.provider_id is not None and user.provider_id == intake.provider_id


def _event(session: Session, intake: Intake, actor: User | None, action: str, details: dict,
           note: str | None = None, now: datetime | None = None) -> IntakeEvent:
    event = IntakeEvent(intake_id=intake.id, at=now or datetime.now(timezone.utc),
                        actor_id=actor.id if actor else None, from_status=intake.status,
                        to_status=intake.status, provider_id=intake.provider_id, action=action,
                        details=details, reason=(note or "").strip() or None)
    session.add(event)
    return event


def add_office(session: Session, intake: Intake, actor: User, provider_code: str | None,
               note: str | None = None) -> CaseOffice:
    """Name a cooperating office (the lead office's staff or the coordinator). It reads the
    case once the consent allows (`shares_with_cooperating`), not before.

    :raise CaseTeamRefused: not the actor's to do, no such open office, the lead itself or
        already on the case.
    :raise ConsentRequired: the resident has not agreed to share the case at all.
    """
    if not _may_name_offices(actor, intake):
        raise CaseTeamRefused("forbidden", "you may not name offices for this intake")
    require_share(intake)
    office = session.scalar(select(Provider).where(Provider.code == provider_code)) if provider_code else None
    if office is None or not office.active:
        raise CaseTeamRefused("unknown_provider", f"no active provider {provider_code!r}")
    if office.id == intake.provider_id:
        raise CaseTeamRefused("same_provider", "this office is the lead office")
    row = session.scalar(select(CaseOffice).where(CaseOffice.intake_id == intake.id,
                                                  CaseOffice.provider_id == office.id))
    if row is not None and row.ended_at is None:
        raise CaseTeamRefused("already_on_case", "this office already works on the case")
    now = datetime.now(timezone.utc)
    if row is None:
        row = CaseOffice(intake_id=intake.id, provider_id=office.id, added_by_id=actor.id, added_at=now)
        session.add(row)
    else:  # named again after it had ended
        row.added_at, row.added_by_id, row.ended_at, row.ended_by_id = now, actor.id, None, None
    _event(session, intake, actor, "office_added", {"office": office.code}, note, now)
    session.flush()
    return row


def end_office(session: Session, intake: Intake, actor: User, provider_code: str | None) -> None:
    """A cooperating office leaves the case (named off by the lead or the coordinator, or it
    leaves itself)."""
    office = session.scalar(select(Provider).where(Provider.code == provider_code)) if provider_code else None
    row = session.scalar(select(CaseOffice).where(CaseOffice.intake_id == intake.id,
                                                  CaseOffice.provider_id == office.id,
                                                  CaseOffice.ended_at.is_(None))) if office else None
    if row is None:
        raise CaseTeamRefused("not_on_case", "this office does not work on the case")
    if not (_may_name_offices(actor, intake) or (actor.role in PROVIDER_ROLES and actor.provider_id == office.id)):
        raise CaseTeamRefused("forbidden", "you may not change the offices of this intake")
    now = datetime.now(timezone.utc)
    row.ended_at, row.ended_by_id = now, actor.id
    _event(session, intake, actor, "office_ended", {"office": office.code}, None, now)
    session.flush()


def lead_changed(session: Session, intake: Intake, previous: int | None, *, stays: bool, actor: User,
                 now: datetime) -> None:
    """After a return, transfer or hand-back: the new lead is no longer a cooperating office;
    on a hand-back the team (`previous`) stays on the case as one."""
    for row in session.scalars(select(CaseOffice).where(CaseOffice.intake_id == intake.id,
                                                        CaseOffice.provider_id == intake.provider_id,
                                                        CaseOffice.ended_at.is_(None))):
        row.ended_at, row.ended_by_id = now, actor.id
    if stays and previous is not None:
        row = session.scalar(select(CaseOffice).where(CaseOffice.intake_id == intake.id,
                                                      CaseOffice.provider_id == previous))
        if row is None:
            session.add(CaseOffice(intake_id=intake.id, provider_id=previous, added_by_id=actor.id, added_at=now))
        else:
            row.added_at, row.added_by_id, row.ended_at, row.ended_by_id = now, actor.id, None, None


def offices_on(session: Session, intake: Intake) -> list[tuple[str, Provider]]:
    """(role, office) for everyone on the case: the lead first, then the cooperating ones."""
    lead = [("lead", intake.provider)] if intake.provider is not None else []
    return lead + [("cooperating", row.provider) for row in cooperating(session, intake)]


# --- the resident agrees later -------------------------------------------------------------

def record_meeting_consent(session: Session, intake: Intake, actor: User, mode: str = "verbal") -> bool:
    """The resident tells the lead office they agree to the 重層的支援会議 (and so to the
    cooperating offices reading the case): recorded as a verbal consent the actor witnessed.
    Returns False if it was agreed already.

    :raise CaseTeamRefused: not the lead office's staff, or an unknown mode.
    :raise ConsentRequired: no consent to share at all, or it was withdrawn.
    """
    if not (actor.role in PROVIDER_ROLES and actor.provider_id is not None
            and actor.provider_id == intake.provider_id):
        raise CaseTeamRefused("forbidden", "only the lead office records the resident's consent")
    if mode not in ("verbal", "written"):
        raise CaseTeamRefused("unknown_meeting", f"unknown consent mode {mode!r}")
    require_share(intake)
    consent = intake.consent
    if consent.multi_agency_meeting:
        return False
    now = datetime.now(timezone.utc)
    consent.multi_agency_meeting = True
    consent.meeting_agreed_at, consent.meeting_agreed_by_id, consent.meeting_agreed_mode = now, actor.id, mode
    _event(session, intake, actor, "meeting_consent", {"scope": "multi_agency_meeting", "mode": mode}, None, now)
    session.flush()
    return True


# --- meetings ----------------------------------------------------------------------------

def _on_case(session: Session, user: User, intake: Intake) -> bool:
    """The lead office, a cooperating office that may read the case, or the coordinator."""
    if user.role == "coordinator":
        return intake.provider_id is not None
    if user.role not in PROVIDER_ROLES or user.provider_id is None:
        return False
    return user.provider_id == intake.provider_id or reads_as_cooperating(session, user, intake)


def _a_past_day(value, code: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    # Staff count days in Japan time (a meeting this morning in Japan is "tomorrow" in UTC).
    if not isinstance(value, date) or value > datetime.now(JST).date() or value.year < 2000:
        raise CaseTeamRefused(code, "a date (YYYY-MM-DD), not in the future")
    return value


def record_meeting(session: Session, intake: Intake, actor: User, *, kind: str, decision: str,
                   held_on, note: str | None = None) -> IntakeEvent:
    """A decision a meeting took about the case, as a case event with its date and kind.

    :raise CaseTeamRefused: not on the case, an unknown kind or decision, no valid date.
    :raise ConsentRequired: a 重層的支援会議 without the resident's consent to it.
    """
    if not _on_case(session, actor, intake):
        raise CaseTeamRefused("forbidden", "you may not record meetings for this intake")
    if kind not in MEETING_KINDS or decision not in MEETING_DECISIONS:
        raise CaseTeamRefused("unknown_meeting", "choose the meeting and its decision")
    day = _a_past_day(held_on, "meeting_date_required")
    if kind == "multi_agency_meeting" and not shares_with_cooperating(intake):
        raise ConsentRequired("the resident has not agreed to the 重層的支援会議")
    event = _event(session, intake, actor, "meeting",
                   {"kind": kind, "decision": decision, "held_on": day.isoformat()}, note)
    reports.event_counted(session, intake, f"meeting_{decision}")
    session.flush()
    return event


def interruption_decided(session: Session, intake: Intake) -> bool:
    """Whether a meeting decided to interrupt support since the case was last (re)opened:
    then interruption needs no count of failed attempts (L1447-1457)."""
    events = session.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id,
                                                       IntakeEvent.action.in_(("meeting", "reopen")))
                             .order_by(IntakeEvent.id.desc()))
    for event in events:
        if event.action == "reopen":
            return False
        if (event.details or {}).get("decision") == "interruption":
            return True
    return False


# --- the contact log ---------------------------------------------------------------------

def log_contact(session: Session, intake: Intake, actor: User, *, kind: str, result: str, contacted_on,
                next_contact_on=None, note: str | None = None) -> ContactEntry:
    """One contact made or tried, by the lead or a cooperating office. One that did not
    reach the person while the case is open counts as a failed contact attempt.

    :raise CaseTeamRefused: not on the case, unknown kind or result, dates missing or wrong.
    """
    if not _on_case(session, actor, intake) or actor.role == "coordinator":
        raise CaseTeamRefused("forbidden", "you may not log contacts for this intake")
    day, following = _contact_facts(kind, result, contacted_on, next_contact_on)
    entry = ContactEntry(intake_id=intake.id, provider_id=actor.provider_id, by_id=actor.id, contacted_on=day,
                         kind=kind, result=result, note=(note or "").strip() or None, next_contact_on=following)
    session.add(entry)
    if result == "not_reached" and intake.status in TRANSITIONS["contact_failed"][0]:
        intake.failed_contacts += 1
    session.flush()
    return entry


def _contact_facts(kind: str, result: str, contacted_on, next_contact_on) -> tuple[date, date | None]:
    """The contact's day and the next planned one, checked.

    :raise CaseTeamRefused: unknown kind or result, dates missing or wrong.
    """
    if kind not in CONTACT_KINDS or result not in CONTACT_RESULTS:
        raise CaseTeamRefused("unknown_contact", "choose how the contact was made and how it went")
    day = _a_past_day(contacted_on, "contact_date_required")
    following = None
    if next_contact_on not in (None, ""):
        try:
            following = (next_contact_on if isinstance(next_contact_on, date)
                         else date.fromisoformat(str(next_contact_on).strip()))
        except ValueError:
            raise CaseTeamRefused("next_contact_in_past", "the next contact is a date (YYYY-MM-DD)") from None
        if following < day:
            raise CaseTeamRefused("next_contact_in_past", "the next contact cannot be before this one")
    return day, following


def contacts(session: Session, intake: Intake) -> list[ContactEntry]:
    return list(session.scalars(select(ContactEntry).where(ContactEntry.intake_id == intake.id)
                                .order_by(ContactEntry.contacted_on.desc(), ContactEntry.id.desc())))


# --- outreach: continued contact before consent -------------------------------------------
#
# Outreach staff keep in touch over time with people not yet in support (L1461-1532), who
# have not consented to anything: nothing identifying is stored. The outreach app makes a
# random reference for the person (128 bits, hex) and keeps who it is on the worker's phone
# only; the server keeps, per reference and outreach location (the team), how and when each
# contact went and the next planned one, never a note. When the person consents and their
# intake is taken with the reference, the contacts join the case (`link_person`).

PERSON_REF_PATTERN = "^[0-9a-f]{32}$"


def valid_person_ref(value) -> bool:
    return isinstance(value, str) and re.fullmatch(PERSON_REF_PATTERN, value) is not None


def _outreach(worker: User, location: Location | None, person_ref) -> None:
    if worker.role != "outreach_worker" or not worker.active:
        raise CaseTeamRefused("forbidden", "only outreach workers record contacts before consent")
    if location is None or location.kind != "outreach" or not location.active:
        raise CaseTeamRefused("forbidden", "not an outreach location")
    if not valid_person_ref(person_ref):
        raise CaseTeamRefused("unknown_contact", "the person is a reference of 32 hex digits")


def log_outreach_contact(session: Session, worker: User, person_ref: str, *, location: Location, kind: str,
                         result: str, contacted_on, next_contact_on=None) -> ContactEntry:
    """One contact an outreach worker made or tried with someone who has not consented
    yet, known here only by `person_ref`, for the outreach `location` (the team).

    :raise CaseTeamRefused: not an outreach worker or location, a malformed reference,
        unknown kind or result, dates missing or wrong.
    """
    _outreach(worker, location, person_ref)
    day, following = _contact_facts(kind, result, contacted_on, next_contact_on)
    entry = ContactEntry(intake_id=None, person_ref=person_ref, location_id=location.id, provider_id=None,
                         by_id=worker.id, contacted_on=day, kind=kind, result=result, note=None,
                         next_contact_on=following)
    session.add(entry)
    session.flush()
    return entry


def outreach_contacts(session: Session, worker: User, person_ref: str, location: Location) -> list[ContactEntry]:
    """The contacts with `person_ref` recorded for `location` and not yet part of a case,
    newest first (another team's are not there).

    :raise CaseTeamRefused: not an outreach worker or location, a malformed reference.
    """
    _outreach(worker, location, person_ref)
    return list(session.scalars(select(ContactEntry).where(ContactEntry.person_ref == person_ref,
                                                           ContactEntry.location_id == location.id,
                                                           ContactEntry.intake_id.is_(None))
                                .order_by(ContactEntry.contacted_on.desc(), ContactEntry.id.desc())))


def link_person(session: Session, intake: Intake, person_ref: str) -> int:
    """The person of `person_ref` consented and `intake` is theirs: the contacts recorded
    with them at the intake's location join the case's contact log, and the reference is
    forgotten (it pointed at nobody else). Returns how many joined."""
    if not valid_person_ref(person_ref):
        return 0
    rows = list(session.scalars(select(ContactEntry).where(ContactEntry.person_ref == person_ref,
                                                           ContactEntry.location_id == intake.location_id,
                                                           ContactEntry.intake_id.is_(None))))
    for row in rows:
        row.intake_id, row.person_ref = intake.id, None
    session.flush()
    return len(rows)


# --- the referring office ----------------------------------------------------------------

def passed_on_by(provider_id: int) -> Select:
    """The intakes an office passed on (returned, transferred, handed back) and no longer
    leads or cooperates on: it still sees where each went and how it ended (L5100-5104),
    never the resident's details."""
    return (select(Intake).where(
        exists().where(IntakeEvent.intake_id == Intake.id, IntakeEvent.from_provider_id == provider_id),
        or_(Intake.provider_id.is_(None), Intake.provider_id != provider_id),
        ~exists().where(CaseOffice.intake_id == Intake.id, CaseOffice.provider_id == provider_id,
                        CaseOffice.ended_at.is_(None)))
        .order_by(Intake.routed_at.desc(), Intake.id))
