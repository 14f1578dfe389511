"""Provider API (bearer tokens of provider users or provider systems): inbox, intake
detail, lifecycle transitions, the offices on a case, its meetings and contacts, and the
cases an office passed on. The same access rules as the inbox pages."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal

from flask import abort, jsonify, request
from pydantic import StringConstraints
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from typing_extensions import Annotated

from api import bp
from api.common import DAY_PATTERN, NOTE_MAX, OFFICE_CODE_PATTERN, bearer_user, json_body, validated
from api.submission import Strict, Typed
from tsunagi.domain import access, case_team, fhir, intakes, lifecycle, municipality, worklist
from tsunagi.domain.models import Intake, IntakeEvent, Provider
from tsunagi.domain.vocabulary import CONTACT_KINDS, CONTACT_RESULTS, MEETING_DECISIONS, MEETING_KINDS, PROVIDER_ROLES
from tsunagi.web.context import lifecycle_settings, notify_after_transition, present_settings, send_notifications
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db
from tsunagi.web.present import detail as intake_detail
from tsunagi.web.present import summary

# --- provider side: bearer tokens of provider users or provider systems ---------------

@bp.get("/v1/inbox")
def provider_inbox():
    """Open intakes routed to the caller's provider (all for the coordinator), or those of
    `?status=`: urgent first, then by deadline, a page at a time (`?after=` the `next` of
    the page before). No identifying data; open one with GET /v1/intakes/<id>."""
    user = bearer_user()
    if not access.reads_intakes(user):
        abort(problem(403, "this account does not read intakes"))
    try:
        # Given but empty is refused like any other value that is not a status or a `next`.
        found = worklist.page(db.session, access.visible_parts(user), status=request.args.get("status"),
                              after=request.args.get("after"))
    except worklist.BadCursor:
        return problem(400, "'after' must be the 'next' of the page before", code="cursor")
    except ValueError:
        return problem(400, "unknown status", code="status")
    rows = found.rows
    now = datetime.now(timezone.utc)
    read = access.read_ids_for(db.session, user, rows)
    settings = present_settings()
    duplicates = intakes.duplicates_among(db.session, access.visible_intakes(user), rows,
                                          settings.duplicate_window_days)
    return jsonify({"intakes": [summary(db.session, settings, i, read, now, duplicates) for i in rows], "next": found.next})


@bp.get("/v1/intakes/<intake_id>")
def provider_intake(intake_id: str):
    """One intake as its provider reads it. 404 for anyone else's. Audited."""
    user = bearer_user()
    intake = access.open_intake(db.session, user, intake_id, request.remote_addr)
    db.session.commit()
    return jsonify(intake_detail(db.session, present_settings(), intake))


@bp.get("/v1/intakes/<intake_id>/fhir")
def provider_intake_fhir(intake_id: str):
    """The intake as an HL7 FHIR R4 referral Bundle for the office's own system. 404 for
    anyone else's; 403 without the resident's consent to share. Audited like a read."""
    user = bearer_user()
    intake = access.open_intake(db.session, user, intake_id, request.remote_addr)
    try:
        bundle = fhir.referral(intake)
    except fhir.NotRouted as exc:
        return problem(409, str(exc))
    db.session.commit()
    response = jsonify(bundle)
    response.mimetype = "application/fhir+json"
    return response


@bp.post("/v1/intakes/<intake_id>/transitions")
def provider_transition(intake_id: str):
    """Move the intake through its lifecycle: {"action", "reason"?, "to_provider"?, "outcome"?}.

    :raise 404: not the caller's intake. :raise 409: not allowed from the current status.
    :raise 403: the resident's consent does not allow the share, or the caller may not act.
    :raise 422: missing reason, outcome or provider.
    """
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return problem(422, "expected a JSON object with 'action'")
    for key in ("reason", "to_provider", "outcome", "return_reason", "to_service"):
        if body.get(key) is not None and not isinstance(body[key], str):
            return problem(422, f"'{key}' must be a string")
    from_status, from_provider = intake.status, intake.provider_id
    event = lifecycle.transition(
        db.session, intake, body["action"], user, reason=body.get("reason"),
        to_provider=body.get("to_provider"), outcome=body.get("outcome"),
        return_reason=body.get("return_reason"), to_service=body.get("to_service"),
        settings=lifecycle_settings())
    access.audit(db.session, user, "intake_" + body["action"], intake.id, request.remote_addr)
    outbox = notify_after_transition(db.session, intake, body["action"], from_status, from_provider)
    db.session.commit()
    send_notifications(db.session, outbox)
    return jsonify({"id": intake.id, "status": intake.status, "event": event.id,
                    "provider": intake.provider.code if intake.provider else None})


# --- several offices on one case (tsunagi.domain.case_team) ----------------------------

PASSED_ON_PAGE = 100
OFFICE_CODE_PATTERN_RE = re.compile(OFFICE_CODE_PATTERN)

OfficeCode = Annotated[str, StringConstraints(pattern=OFFICE_CODE_PATTERN)]
Day = Annotated[str, StringConstraints(pattern=DAY_PATTERN)]  # the domain checks it is a real, past day
Note = Annotated[str, Typed, StringConstraints(max_length=NOTE_MAX)] | None


class OfficeBody(Strict):
    office: OfficeCode
    note: Note = None


class MeetingConsentBody(Strict):
    # Said, not defaulted: an empty body records nothing.
    mode: Literal["verbal", "written"]


class MeetingBody(Strict):
    kind: Literal[tuple(MEETING_KINDS)]  # type: ignore[valid-type]
    decision: Literal[tuple(MEETING_DECISIONS)]  # type: ignore[valid-type]
    held_on: Day
    note: Note = None


class ContactBody(Strict):
    kind: Literal[tuple(CONTACT_KINDS)]  # type: ignore[valid-type]
    result: Literal[tuple(CONTACT_RESULTS)]  # type: ignore[valid-type]
    contacted_on: Day
    next_contact_on: Day | None = None
    note: Note = None


def _note(value: str | None) -> str | None:
    return (value or "").strip() or None


def _offices_body(intake: Intake) -> dict:
    return {"offices": [{"code": p.code, "role": role, "service": p.service,
                         "name": municipality.localized(p.name, "ja")}
                        for role, p in case_team.offices_on(db.session, intake)],
            "shares_with_cooperating": case_team.shares_with_cooperating(intake)}


def _case_event(event: IntakeEvent) -> dict:
    return {"at": event.at.isoformat(), "action": event.action, "details": event.details or {},
            "note": event.reason}


def _contact(entry, codes: dict[int, str]) -> dict:
    return {"id": entry.id, "contacted_on": entry.contacted_on.isoformat(), "kind": entry.kind,
            "result": entry.result, "note": entry.note,
            "next_contact_on": entry.next_contact_on.isoformat() if entry.next_contact_on else None,
            "office": codes.get(entry.provider_id),
            # an outreach team's contact from before the resident consented: its place
            "location": entry.location.code if entry.location_id else None}


def _codes() -> dict[int, str]:
    return dict(db.session.execute(select(Provider.id, Provider.code)).all())


@bp.get("/v1/intakes/<intake_id>/offices")
def intake_offices(intake_id: str):
    """The offices on the case: the lead first, then the cooperating ones, and whether the
    resident's consent lets the cooperating ones read it. 404 for anyone else's. Audited."""
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    access.audit(db.session, user, "intake_offices_read", intake.id, request.remote_addr)
    body = _offices_body(intake)
    db.session.commit()
    return jsonify(body)


@bp.post("/v1/intakes/<intake_id>/offices")
def add_intake_office(intake_id: str):
    """The lead office or the coordinator names a cooperating office: {"office", "note"?}.
    It reads the case once the consent covers the 重層的支援会議.

    :raise 403: not the caller's to do, or no consent to share. :raise 409: already on the case.
    :raise 422: no such open office, or the lead itself.
    """
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    data = validated(OfficeBody, json_body())
    case_team.add_office(db.session, intake, user, data.office, _note(data.note))
    access.audit(db.session, user, "intake_office_added", intake.id, request.remote_addr)
    body = _offices_body(intake)
    db.session.commit()
    return jsonify(body), 201


@bp.delete("/v1/intakes/<intake_id>/offices/<code>")
def end_intake_office(intake_id: str, code: str):
    """A cooperating office leaves the case (ended by the lead or the coordinator, or by
    itself). :raise 404: it is not on the case. :raise 403: not the caller's to do."""
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    if not isinstance(code, str) or not OFFICE_CODE_PATTERN_RE.fullmatch(code):
        raise case_team.CaseTeamRefused("not_on_case", "this office does not work on the case")
    case_team.end_office(db.session, intake, user, code)
    access.audit(db.session, user, "intake_office_ended", intake.id, request.remote_addr)
    db.session.commit()
    return "", 204


@bp.post("/v1/intakes/<intake_id>/meeting-consent")
def intake_meeting_consent(intake_id: str):
    """The lead office records that the resident agreed to the 重層的支援会議 (and so to the
    cooperating offices reading the case): {"mode": "verbal"|"written"}.

    :raise 403: not the lead office's staff, or no consent to share (withdrawn).
    """
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    data = validated(MeetingConsentBody, json_body())
    recorded = case_team.record_meeting_consent(db.session, intake, user, mode=data.mode)
    access.audit(db.session, user, "intake_meeting_consent", intake.id, request.remote_addr)
    db.session.commit()
    return jsonify({"multi_agency_meeting": True, "recorded": recorded})


@bp.post("/v1/intakes/<intake_id>/meetings")
def intake_meeting(intake_id: str):
    """A decision a meeting took about the case: {"kind", "decision", "held_on", "note"?}.

    :raise 403: not on the case, or a 重層的支援会議 without the resident's consent to it.
    :raise 422: a day that is not a real past day.
    """
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    data = validated(MeetingBody, json_body())
    event = case_team.record_meeting(db.session, intake, user, kind=data.kind, decision=data.decision,
                                     held_on=data.held_on, note=_note(data.note))
    access.audit(db.session, user, "intake_meeting", intake.id, request.remote_addr)
    body = _case_event(event)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/v1/intakes/<intake_id>/contacts")
def intake_contacts(intake_id: str):
    """The case's contact log, newest first. 404 for anyone else's. Audited."""
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    access.audit(db.session, user, "intake_contacts_read", intake.id, request.remote_addr)
    codes = _codes()
    body = {"contacts": [_contact(e, codes) for e in case_team.contacts(db.session, intake)]}
    db.session.commit()
    return jsonify(body)


@bp.post("/v1/intakes/<intake_id>/contacts")
def log_intake_contact(intake_id: str):
    """One contact made or tried, by the lead or a cooperating office:
    {"kind", "result", "contacted_on", "next_contact_on"?, "note"?}.

    :raise 403: not on the case (the coordinator logs none). :raise 422: wrong days.
    """
    user = bearer_user()
    intake = access.readable_intake(db.session, user, intake_id)
    data = validated(ContactBody, json_body())
    entry = case_team.log_contact(db.session, intake, user, kind=data.kind, result=data.result,
                                  contacted_on=data.contacted_on, next_contact_on=data.next_contact_on,
                                  note=_note(data.note))
    access.audit(db.session, user, "intake_contact", intake.id, request.remote_addr)
    body = _contact(entry, _codes())
    db.session.commit()
    return jsonify(body), 201


@bp.get("/v1/passed-on")
def passed_on():
    """The cases the caller's office passed on (returned, transferred, handed back): where
    each is now, its status and how it ended; nothing about the resident (実施要綱
    L5100-5104). Newest routing first, a page at a time (`?after=` the `next` before)."""
    user = bearer_user()
    if not (user.active and user.role in PROVIDER_ROLES and user.provider_id is not None):
        abort(problem(403, "only an office's accounts pass cases on"))
    mine = user.provider_id
    query = case_team.passed_on_by(mine)
    after = request.args.get("after")
    if after is not None:
        known = (isinstance(after, str) and 1 <= len(after) <= 32 and after.isalnum()
                 and db.session.scalar(query.where(Intake.id == after).with_only_columns(Intake.id)) is not None)
        if not known:
            return problem(400, "'after' must be the 'next' of the page before", code="cursor")
        # The position is read in SQL: no timestamp goes through text or a time zone.
        last = aliased(Intake)
        position = select(last.routed_at).where(last.id == after).scalar_subquery()
        query = query.where(or_(Intake.routed_at < position,
                                and_(Intake.routed_at == position, Intake.id > after)))
    found = list(db.session.scalars(query.limit(PASSED_ON_PAGE + 1)))
    rows, more = found[:PASSED_ON_PAGE], len(found) > PASSED_ON_PAGE
    when = dict(db.session.execute(
        select(IntakeEvent.intake_id, func.max(IntakeEvent.at))
        .where(IntakeEvent.intake_id.in_([i.id for i in rows]), IntakeEvent.from_provider_id == mine)
        .group_by(IntakeEvent.intake_id)).all()) if rows else {}
    access.audit(db.session, user, "passed_on_list", None, request.remote_addr)
    body = {"intakes": [{"id": i.id, "office": i.provider.code if i.provider else None, "status": i.status,
                         "outcome": i.outcome,
                         "passed_on_at": when[i.id].isoformat() if when.get(i.id) else None} for i in rows],
            "next": rows[-1].id if more else None}
    db.session.commit()
    return jsonify(body)
