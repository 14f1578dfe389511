"""The case lifecycle providers move an intake through (DOMAIN.md, "Case lifecycle").

received → accepted | returned (つなぎもどし: re-routed to the next suitable provider or the
multi-agency team) | transferred (to a chosen provider, consent permitting) → contacted →
in_support → closed (with outcome) | interrupted (only after recorded failed contact
attempts, 実施要綱 L1447-1457); reopen from closed or interrupted (L1226-1246).

Every rule is checked here, not in the views: who may act, which action is allowed from
which status, what consent a share needs. Each transition writes an `IntakeEvent` (who,
when, from, to, why). Takes a `Session`; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain import case_team, follow_up, intakes, reports
from tsunagi.domain.consent import ConsentRequired, allows_service, require_share
from tsunagi.domain.models import FollowUp, Intake, IntakeEvent, Provider, User
from tsunagi.domain.triage.decide import choose_provider
from tsunagi.domain.triage.reasons import Reason
from tsunagi.domain.vocabulary import (
    MULTI_AGENCY,
    NEEDS_REASON,
    OUTCOMES,
    PASSING_ON,
    PROVIDER_ROLES,
    RETURN_REASONS,
    SERVICES,
    TRANSITIONS,
)


class TransitionRefused(ValueError):
    """The action is not allowed; `code` says why in one word for the API."""

    def __init__(self, code: str, message: str, **params):
        self.code = code
        self.params = params  # what the staff's message needs (vocabulary.REFUSALS)
        super().__init__(message)


@dataclass(frozen=True)
class Settings:
    interrupt_after_failed_contacts: int = 3
    follow_up_days_after_closure: int = 180


def may_act(user: User, intake: Intake, action: str) -> bool:
    """Staff of the intake's provider (its lead office) may do everything, except that only
    the multi-agency team hands a case back to a lead office; the coordinator may transfer
    (re-assign) and reopen; nobody else may act (a cooperating office reads the case and
    logs contacts, tsunagi.domain.case_team)."""
    if user.role in PROVIDER_ROLES and user.provider_id is not None:
        if action == "hand_back" and intake.service != MULTI_AGENCY:
            return False
        return intake.provider_id == user.provider_id
    if user.role == "coordinator":
        return action in ("transfer", "reopen")
    return False


def _reroute_reasons(intake: Intake, entry: dict) -> None:
    decision = dict(intake.decision)
    decision["reroutes"] = [*decision.get("reroutes", []), entry]
    intake.decision = decision


def _next_provider(session: Session, intake: Intake, exclude: set[int],
                   services: tuple[str, ...] | None = None) -> tuple[Provider, list[Reason]]:
    """つなぎもどし: the next suitable provider of the first of `services` that has one
    (by default the intake's service, then the multi-agency team).

    Inside the intake's own service only an office covering the resident's area (or the
    whole municipality) is suitable: the one that returned it was the area's office, and
    another area's office "speaking the language" would only return it again."""
    infos = [p for p in intakes.provider_infos(session) if p.id not in exclude
             and (p.service != intake.service or intake.area is None or p.municipality_wide
                  or intake.area in p.districts)]
    reasons: list[Reason] = []
    wanted = tuple(dict.fromkeys(services or (intake.service, MULTI_AGENCY)))
    for service in wanted:
        chosen, how = choose_provider(service, intake.area, intake.locale, infos)
        if chosen is not None:
            if service != wanted[0]:
                reasons.append(Reason("provider_missing"))
            reasons.append(Reason(f"provider_{how}"))
            return session.get(Provider, chosen.id), reasons
    raise TransitionRefused("no_provider", "no other provider can take this intake")


def _named_provider(session: Session, code: str | None, current: int | None) -> Provider:
    target = session.scalar(select(Provider).where(Provider.code == code)) if code else None
    if target is None or not target.active:
        raise TransitionRefused("unknown_provider", f"no active provider {code!r}")
    if target.id == current:
        raise TransitionRefused("same_provider", "the intake is already with this provider")
    return target


def _return_target(session: Session, intake: Intake, why: str, to_provider: str | None,
                   to_service: str | None) -> tuple[Provider, list[Reason]]:
    """Where a returned intake goes, listening to the returning office: the office it names,
    else the service it names (or the multi-agency team), else the next suitable office.
    Never back to an office that already returned it."""
    returned_by = {intake.provider_id} | {r["from"] for r in intake.decision.get("reroutes", [])
                                          if r["action"] == "return"}
    returned_by.discard(None)
    if to_provider:
        target = _named_provider(session, to_provider, intake.provider_id)
        if target.id in returned_by:
            raise TransitionRefused("same_provider", "this provider already returned the intake")
        return target, [Reason("provider_named")]
    if why == "wrong_area":
        # The office that knows the resident lives elsewhere names the one that covers it:
        # choosing "the next one" would pick by language and miss the area again.
        raise TransitionRefused("provider_required", "name the provider that covers the resident's area")
    if why == "needs_team":
        return _next_provider(session, intake, returned_by, (MULTI_AGENCY,))
    if to_service:
        if to_service not in SERVICES:
            raise TransitionRefused("unknown_service", f"unknown service {to_service!r}")
        return _next_provider(session, intake, returned_by, (to_service, MULTI_AGENCY))
    if why == "wrong_service":
        raise TransitionRefused("unknown_service", "name the service that fits")
    return _next_provider(session, intake, returned_by)


def transition(
    session: Session,
    intake: Intake,
    action: str,
    actor: User,
    *,
    reason: str | None = None,
    to_provider: str | None = None,
    outcome: str | None = None,
    return_reason: str | None = None,
    to_service: str | None = None,
    settings: Settings = Settings(),
    now: datetime | None = None,
) -> IntakeEvent:
    """Apply `action` to `intake` on behalf of `actor` and record it.

    A return says why (`return_reason`, vocabulary.RETURN_REASONS; "other" when not given)
    and may name the office (`to_provider`) or the service (`to_service`) that fits.

    :raise TransitionRefused: unknown action, not allowed for this actor or from this
        status, missing reason/outcome/provider, too few failed contacts to interrupt.
    :raise ConsentRequired: a share (return, transfer) the resident's consent does not allow.
    """
    if action not in TRANSITIONS:
        raise TransitionRefused("unknown_action", f"unknown action {action!r}; actions: {', '.join(TRANSITIONS)}")
    if not may_act(actor, intake, action):
        raise TransitionRefused("forbidden", "you may not act on this intake")
    allowed_from, to_status = TRANSITIONS[action]
    if intake.status not in allowed_from:
        raise TransitionRefused("invalid_transition", f"cannot {action} an intake that is {intake.status}",
                                status=intake.status)
    reason = (reason or "").strip() or None
    if action in NEEDS_REASON and not reason:
        raise TransitionRefused("reason_required", f"{action} needs a reason")
    now = now or datetime.now(timezone.utc)
    from_status, from_provider = intake.status, intake.provider_id
    counted = reports.before(intake)
    why = None

    details: dict = {}
    if action in PASSING_ON:
        require_share(intake)
        if action == "return":
            why = return_reason or "other"
            if why not in RETURN_REASONS:
                raise TransitionRefused("unknown_return_reason",
                                        f"unknown return reason {why!r}; reasons: {', '.join(RETURN_REASONS)}")
            target, reasons = _return_target(session, intake, why, to_provider, to_service)
        else:
            target, reasons = _named_provider(session, to_provider, from_provider), []
            if action == "hand_back" and target.service == MULTI_AGENCY:
                raise TransitionRefused("unknown_provider", "hand the case to a lead office, not to the team")
        if not allows_service(intake.consent, target.service):
            raise ConsentRequired("the resident has not agreed to the multi-agency team")
        entry = {"action": action, "from": from_provider, "to": target.id, "at": now.isoformat(),
                 "reasons": [{"code": r.code, "params": dict(r.params)} for r in reasons]}
        details["to"] = target.code
        if action == "return":
            entry["why"] = details["why"] = why
        _reroute_reasons(intake, entry)
        intake.provider_id = target.id
        intake.service = target.service
        intake.routed_at = now
        case_team.lead_changed(session, intake, from_provider, stays=action == "hand_back", actor=actor, now=now)
        if action == "hand_back":
            reports.event_counted(session, intake, "hand_back")
    elif action == "contact_failed":
        intake.failed_contacts += 1
    elif action == "interrupt":
        if (intake.failed_contacts < settings.interrupt_after_failed_contacts
                and not case_team.interruption_decided(session, intake)):
            raise TransitionRefused(
                "contact_attempts_required",
                f"record at least {settings.interrupt_after_failed_contacts} failed contact attempts first "
                f"({intake.failed_contacts} so far)",
                needed=settings.interrupt_after_failed_contacts, done=intake.failed_contacts)
    elif action == "close":
        if outcome not in OUTCOMES:
            raise TransitionRefused("outcome_required", f"closing needs an outcome: {', '.join(OUTCOMES)}")
        intake.outcome = details["outcome"] = outcome
        details["lead"] = intake.provider.code if intake.provider else None  # closing names the lead office
    elif action == "reopen":
        intake.outcome = None
        intake.failed_contacts = 0

    if to_status is not None:
        intake.status = to_status
        intake.status_changed_at = now
    _follow_up_validity(session, intake, settings, now)
    reports.moved(session, intake, counted, now)
    event = IntakeEvent(intake_id=intake.id, at=now, actor_id=actor.id, from_status=from_status,
                        to_status=intake.status, provider_id=intake.provider_id, action=action,
                        details=details or None, reason=reason,
                        from_provider_id=from_provider if intake.provider_id != from_provider else None)
    session.add(event)
    session.flush()
    return event


def event_summary(event: IntakeEvent) -> str | None:
    """An event as one line of codes, the shape API clients read before events had
    `action` and `details` ("return: why=wrong_area: the staff's words"). Older events keep
    the line they were stored with."""
    if event.action is None:
        return event.reason
    details = event.details or {}
    parts = [f"{event.action} via {details['via']}" if details.get("via") else event.action]
    if details.get("why"):
        parts.append(f"why={details['why']}")
    if details.get("outcome"):
        parts.append(f"outcome={details['outcome']}")
    if event.reason:
        parts.append(event.reason)
    return ": ".join(parts)


def _follow_up_validity(session: Session, intake: Intake, settings: Settings, now: datetime) -> None:
    """The QR stays valid after closure for a while, so the resident can come back (L5234)."""
    expires = now + timedelta(days=settings.follow_up_days_after_closure) if intake.status == "closed" else None
    for row in _live_follow_ups(session, intake):
        row.expires_at = expires


def _live_follow_ups(session: Session, intake: Intake):
    return session.scalars(select(FollowUp).where(FollowUp.intake_id == intake.id, FollowUp.revoked_at.is_(None)))


def revoke_follow_up(session: Session, intake: Intake, actor: User) -> follow_up.Secrets:
    """Revoke the resident's token and code (e.g. the receipt was lost or seen by others)
    and issue new ones, shown once to the provider to pass on."""
    if not (may_act(actor, intake, "accept") or actor.role == "coordinator"):
        raise TransitionRefused("forbidden", "you may not act on this intake")
    now = datetime.now(timezone.utc)
    for row in _live_follow_ups(session, intake):
        row.revoked_at = now
    secrets = follow_up.issue(session, intake)
    session.add(IntakeEvent(intake_id=intake.id, actor_id=actor.id, from_status=intake.status,
                            to_status=intake.status, provider_id=intake.provider_id,
                            action="follow_up_revoked"))
    session.flush()
    return secrets

