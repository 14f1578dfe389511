"""Continued contact from the outreach app (実施要綱 L1461-1532): contacts with someone who
has not consented yet, under an opaque reference the app made (tsunagi.domain.case_team,
"outreach"). Nothing identifying is taken: no name, no phone, no note. The contacts join
the case when the person's intake is submitted with the same reference (api.intakes)."""
from __future__ import annotations

from typing import Literal

from flask import abort, jsonify, request
from pydantic import StringConstraints
from sqlalchemy import select
from typing_extensions import Annotated

from api import bp
from api.common import DAY_PATTERN, bearer_user, idempotent, validated
from api.submission import Strict
from tsunagi.domain import access, case_team
from tsunagi.domain.models import ContactEntry, Location
from tsunagi.domain.vocabulary import CONTACT_KINDS, CONTACT_RESULTS
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db

PersonRef = Annotated[str, StringConstraints(pattern=case_team.PERSON_REF_PATTERN)]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Day = Annotated[str, StringConstraints(pattern=DAY_PATTERN)]  # the domain checks it is a real, past day


class OutreachContactBody(Strict):
    # No note, name or phone: an unknown key is refused (422), so nothing identifying gets in.
    person: PersonRef
    location: LocationCode
    kind: Literal[tuple(CONTACT_KINDS)]  # type: ignore[valid-type]
    result: Literal[tuple(CONTACT_RESULTS)]  # type: ignore[valid-type]
    contacted_on: Day
    next_contact_on: Day | None = None


def _worker():
    user = bearer_user()
    if user.role != "outreach_worker":
        abort(problem(403, "this account does not record outreach contacts"))
    return user


def _location(code) -> Location:
    location = (db.session.scalar(select(Location).where(Location.code == code, Location.active.is_(True),
                                                         Location.kind == "outreach"))
                if isinstance(code, str) and 0 < len(code) <= 32 else None)
    if location is None:
        abort(problem(422, "not a location this account works from",
                      errors={"location": "an active outreach location"}))
    return location


def _entry(entry: ContactEntry, person: str, location: str) -> dict:
    return {"id": entry.id, "person": person, "location": location, "kind": entry.kind, "result": entry.result,
            "contacted_on": entry.contacted_on.isoformat(),
            "next_contact_on": entry.next_contact_on.isoformat() if entry.next_contact_on else None}


@bp.post("/v1/outreach/contacts")
def record_outreach_contact():
    """An outreach worker records a contact with someone not yet in support:
    {"person", "location", "kind", "result", "contacted_on", "next_contact_on"?}.

    Needs `Idempotency-Key` like POST /v1/intakes: a resend never stores it twice.
    :raise 403: not an outreach worker. :raise 422: an unknown field (a note, a name…),
    a malformed reference, not an outreach location, wrong days.
    """
    user = _worker()

    def store(raw: dict):
        data = validated(OutreachContactBody, raw)
        location = _location(data.location)
        entry = case_team.log_outreach_contact(
            db.session, user, data.person, location=location, kind=data.kind, result=data.result,
            contacted_on=data.contacted_on, next_contact_on=data.next_contact_on)
        access.audit(db.session, user, "outreach_contact", None, request.remote_addr)
        return _entry(entry, data.person, location.code), None

    return idempotent(user, store)


@bp.get("/v1/outreach/contacts")
def list_outreach_contacts():
    """The contacts with `?person=` recorded for the outreach location `?location=` and not
    yet part of a case, newest first. Another team's contacts are not listed.

    :raise 403: not an outreach worker. :raise 422: a malformed reference or not an outreach location.
    """
    user = _worker()
    person = request.args.get("person")
    if not case_team.valid_person_ref(person):
        return problem(422, "invalid request", errors={"person": "a reference of 32 hex digits"})
    location = _location(request.args.get("location"))
    rows = case_team.outreach_contacts(db.session, user, person, location)
    access.audit(db.session, user, "outreach_contacts_read", None, request.remote_addr)
    body = {"contacts": [_entry(e, person, location.code) for e in rows]}
    db.session.commit()
    return jsonify(body)
