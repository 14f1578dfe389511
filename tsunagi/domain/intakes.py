"""Intake services: route answers, store an intake with its consent and decision.

Takes a SQLAlchemy `Session`; the caller commits.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tsunagi.domain import data_keys, follow_up, municipality, reports, sealed
from tsunagi.domain.consent import CONTACT_PROBLEMS, ConsentGiven, InvalidConsent, allows_service, contact_problem, may_share
from tsunagi.domain.models import (
    District,
    FormVersion,
    Intake,
    IntakeEvent,
    Location,
    Provider,
    TriageRules,
    insert_or_ignore,
    is_stored,
    new_id,
)
from tsunagi.domain.triage.answers import Answers, InvalidAnswers, Questions, validate_answers
from tsunagi.domain.triage.decide import Decision, ProviderInfo, decide
from tsunagi.domain.triage.reasons import render_reason
from tsunagi.domain.triage.rules import Policy, load_policy
from tsunagi.domain.vocabulary import MULTI_AGENCY, typed


def provider_infos(session: Session) -> list[ProviderInfo]:
    rows = list(session.scalars(select(Provider).order_by(Provider.preference, Provider.id)))
    # Held for the session's life, so that the receipt's and the decision's
    # `session.get(Provider, id)` find them in the identity map instead of asking again.
    session.info["tsunagi.providers"] = rows
    return [
        ProviderInfo(id=p.id, code=p.code, service=p.service, districts=tuple(p.districts),
                     municipality_wide=p.municipality_wide, languages=tuple(p.languages),
                     active=p.active)
        for p in rows
    ]


def district_codes(session: Session) -> list[str]:
    return list(session.scalars(select(District.code).order_by(District.position)))


def parse_answers(session: Session, raw: Mapping[str, Any], questions: Questions = ()) -> Answers:
    """:raise InvalidAnswers: not canonical (nor one of the municipality's own `questions`
    with one of its choices), or an area the municipality does not have."""
    return validate_answers(raw, district_codes(session), questions)


def route(session: Session, answers: Answers, locale: str, policy: Policy | None = None) -> Decision:
    muni = municipality.current(session)
    return decide(
        answers, provider_infos(session),
        has_welfare_office=muni.has_welfare_office if muni else True, locale=locale, policy=policy,
    )


def remember_form(session: Session, form_id: str, version: int, source: str) -> None:
    """Keep a form version about to be served (once; the caller commits)."""
    if not is_stored(session, FormVersion, (form_id, version)):
        insert_or_ignore(session, FormVersion, form_id=form_id, version=version, source=source)


def served_forms(session: Session, form_id: str) -> list[int]:
    """The versions of a form the product ever served: intakes answered with them are valid."""
    return list(session.scalars(select(FormVersion.version).where(FormVersion.form_id == form_id)
                                .order_by(FormVersion.version.desc())))


def keep_rules(session: Session, policy: Policy) -> None:
    """Keep the rules text under its version, so a routing can be explained after they change."""
    if not is_stored(session, TriageRules, policy.version):
        # Two first submits after a change of rules may race: the second one ignores it.
        insert_or_ignore(session, TriageRules, version=policy.version, source=policy.source)


def decision_view(session: Session, record: Mapping[str, Any], gettext: Callable[[str], str],
                  locale: str, policy: Policy | None = None) -> dict[str, Any]:
    """A stored or fresh decision in the public shape of CONTRACT.md, reasons rendered."""
    provider = session.get(Provider, record["provider_id"]) if record.get("provider_id") else None
    return {
        "service": record["service"],
        "priority": record["priority"],
        "domains": list(record["domains"]),
        "signals": list(record["signals"]),
        "rule": record["rule"],
        "rules_version": record["rules_version"],
        "provider": None if provider is None else {
            "id": provider.code,
            "name": municipality.localized(provider.name, locale),
            "phone": provider.phone,
            "hours": municipality.localized(provider.hours, locale),
            "service": provider.service,
            "choice": record["provider_choice"],
        },
        "reasons": [
            {"code": r["code"], "text": render_reason(r, gettext, locale, policy.reason_texts if policy else None)}
            for r in record["reasons"]
        ],
        # Where a team intake goes when the resident declines the meeting (DOMAIN.md).
        "first_contact": _first_contact_view(session, record.get("first_contact"), locale),
    }


def _first_contact_view(session: Session, first: Mapping[str, Any] | None, locale: str) -> dict | None:
    office = session.get(Provider, first["provider_id"]) if first else None
    if office is None:
        return None
    return {"service": first["service"], "provider": {"id": office.code, "name": municipality.localized(office.name, locale)}}


def contact_key(session: Session, contact: Mapping[str, str] | None) -> str | None:
    """A keyed hash of the phone number (digits only) or else the email (lower case): equal
    for the same person's number, and not reversible from the database alone."""
    if not contact:
        return None
    digits = re.sub(r"\D", "", contact.get("phone") or "")
    value = f"tel:{digits}" if len(digits) >= 6 else (
        f"mail:{contact['email'].strip().lower()}" if contact.get("email") else None)
    return sealed.keyed_hash(data_keys.pepper(session), value) if value else None


def for_consent(decision: Decision, consent: ConsentGiven | None) -> Decision:
    """Where an intake goes under this consent: a resident who agrees to share but not to
    the meeting, or an intake of a team that has no office, goes to the decision's first
    contact: a "yes, send" is never dropped (DOMAIN.md, first contact)."""
    if decision.service == MULTI_AGENCY and (
            decision.provider_id is None or not allows_service(consent, MULTI_AGENCY)):
        return decision.without_team()
    return decision


def duplicates_among(session: Session, readable: Select, rows: list[Intake], days: int) -> dict[str, list[str]]:
    """Probable duplicates of each of `rows` (same contact within `days`), in one query and
    only among `readable`, the intakes the reader may read: a row never reveals that the
    same person consulted an office the reader does not see. Flagged, never merged."""
    keys = {i.contact_key for i in rows if i.contact_key}
    if not keys:
        return {}
    times = [i.created_at for i in rows if i.contact_key]
    window = timedelta(days=days)
    others = list(session.execute(
        readable.with_only_columns(Intake.id, Intake.contact_key, Intake.created_at)
        .where(Intake.contact_key.in_(keys), Intake.created_at >= min(times) - window,
               Intake.created_at <= max(times) + window)
        .order_by(Intake.created_at)))
    # Grouped by contact, in time order: each row takes the slice of its own contact's
    # intakes within the window (bisected), not a pass over all of them.
    by_key: dict[str, tuple[list, list[str]]] = {}
    for other in others:
        times_ids = by_key.setdefault(other.contact_key, ([], []))
        times_ids[0].append(other.created_at)
        times_ids[1].append(other.id)
    found: dict[str, list[str]] = {}
    for intake in rows:
        key, at, own = intake.contact_key, intake.created_at, intake.id
        if key:
            at_times, ids = by_key.get(key, ([], []))
            start, end = bisect_left(at_times, at - window), bisect_right(at_times, at + window)
            found[own] = [i for i in ids[start:end] if i != own]
    return found


@dataclass
class Submitted:
    intake: Intake
    secrets: follow_up.Secrets
    decision: Decision


def submit(
    session: Session,
    *,
    form_id: str,
    form_version: int,
    locale: str,
    channel: str,
    location: Location,
    answers: Mapping[str, Any],
    identifying: Mapping[str, str | None],
    consent: ConsentGiven,
    policy: Policy | None = None,
    decision: Decision | None = None,
) -> Submitted:
    """Validate, route and add an intake with its consent and follow-up secrets to the
    session; the caller's flush or commit writes them, all at once.

    Without consent to share, the identifying fields are not stored and the intake is
    not routed to anyone (its decision is kept, for counts and to show the resident where
    to go); it still gets a follow-up code.

    :raise InvalidAnswers: the answers are not canonical (keys named `answers.<question>`).
    """
    policy = policy or load_policy()
    if consent.share_with_provider:
        problem = contact_problem(consent.contact_methods, identifying)
        if problem:
            raise InvalidConsent(CONTACT_PROBLEMS[problem])
    try:
        parsed = parse_answers(session, answers, policy.questions)
    except InvalidAnswers as exc:
        raise exc.under("answers") from None
    # A decision the caller already made for these answers (the kiosk shows it before
    # consent) is not made again.
    decision = decision or route(session, parsed, locale, policy)
    if consent.share_with_provider:
        decision = for_consent(decision, consent)
    keep_rules(session, policy)
    intake = Intake(
        id=new_id(), form_id=form_id, form_version=form_version, locale=locale, channel=channel,
        location=location, answers=parsed.as_record(), area=parsed.area, service=decision.service,
        priority=decision.priority, decision=decision.to_record(),
        rules_version=decision.rules_version, status="received",
    )
    consent.record(intake)
    if may_share(intake) and allows_service(consent, decision.service) and decision.provider_id is not None:
        intake.provider_id = decision.provider_id
        intake.name = typed(identifying.get("name") or "") or None
        contact = {k: t for k in ("phone", "email") if (t := typed(identifying.get(k) or ""))}
        intake.contact = contact or None
        intake.contact_key = contact_key(session, contact)
        intake.free_text = typed(identifying.get("free_text") or "") or None
        # The municipality's short-text answers may identify the resident: kept, like the
        # free text, only when shared.
        if parsed.own_text:
            intake.answers = {**intake.answers, **{k: typed(v) for k, v in parsed.own_text.items()}}
    else:
        intake.status = "not_shared"
    session.add(intake)
    session.flush()
    reports.submitted(session, intake)
    session.add(IntakeEvent(intake_id=intake.id, to_status=intake.status,
                            provider_id=intake.provider_id))
    secrets = follow_up.issue(session, intake)
    return Submitted(intake=intake, secrets=secrets, decision=decision)
