"""An intake as a provider reads it, shared by the inbox pages and the provider API.

Labels and reasons are in Japanese (the providers' language); the resident's free text
stays in the language it was written in, which is named. Identifying fields are left out
when the resident's consent does not allow sharing (never given, or withdrawn).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.spec import load_form, load_form_version
from tsunagi.domain import intakes, lifecycle, municipality, overdue
from tsunagi.domain.consent import may_share
from tsunagi.domain.models import District, Intake, Provider, ResidentMessage
from tsunagi.domain.triage.reasons import render_reason
from tsunagi.domain.triage.rules import Policy
from tsunagi.domain.vocabulary import LOCALES, SERVICES, WAITING
from tsunagi.web.i18n import gettext_in


@dataclass(frozen=True)
class Settings:
    """What the presenter needs of the running app (tsunagi.web.context.present_settings)."""

    overdue: overdue.Policy
    duplicate_window_days: int
    policy: Policy


def summary(session: Session, settings: Settings, intake: Intake, read_ids: set[str],
            now: datetime, duplicates: dict[str, list[str]]) -> dict[str, Any]:
    """A row of the inbox: enough to choose which case to open first (who the consultation
    is about by age band, the concerns, area, language, place, and the deadline of a
    waiting intake), nothing identifying. `duplicates` is `intakes.duplicates_among` for the
    page (only intakes the reader may read)."""
    answers = intake.answers or {}
    return {
        "id": intake.id,
        "received_at": intake.created_at.isoformat(),
        "priority": intake.priority,
        "status": intake.status,
        "service": intake.service,
        "provider": intake.provider.code if intake.provider else None,
        "area": intake.area,
        "unread": intake.id not in read_ids,
        "overdue": overdue.is_overdue(intake, settings.overdue, now),
        "duplicate_of": duplicates.get(intake.id, []),
        "age_band": answers.get("age_band"),
        "concerns": list(answers.get("concerns") or []),
        "locale": intake.locale,
        "location": intake.location.code,
        "flags": flags(settings.policy, intake.decision),
        "deadline": overdue.deadline(intake, settings.overdue).isoformat() if intake.status in WAITING else None,
    }


def flags(policy: Policy, decision: dict[str, Any] | None) -> list[str]:
    """The municipality's own signals an intake holds (those with a reason of the
    municipality's rules file, such as "needs an interpreter"), in Japanese: shown as tags
    on the inbox row and the intake page. Choice answers only: nothing identifying."""
    own = policy.reason_texts
    reasons = {name: reason for name, _test, reason in policy.signals if reason in own}
    held = (decision or {}).get("signals") or []
    ja = gettext_in("ja")
    return [render_reason({"code": reasons[s]}, ja, "ja", own) for s in dict.fromkeys(held) if s in reasons]


def row_labels(form_id: str = "intake-default") -> dict[str, dict[str, str]]:
    """The msgids of the choices an inbox row shows (age band, concerns), from the form spec."""
    spec = load_form(form_id)
    return {q.id: {c.value: c.label for c in q.choices} for q in spec.questions() if q.id in ("age_band", "concerns")}


def answers_ja(intake: Intake) -> list[tuple[str, str]]:
    """The answers with the Japanese labels of the form version they were given in; when
    that version is no longer kept, the stored values under their question ids."""
    spec = load_form_version(intake.form_id, intake.form_version)
    if spec is None:
        return [(qid, "、".join(v) if isinstance(v, list) else str(v)) for qid, v in intake.answers.items()]
    ja = gettext_in("ja")
    rows = []
    for q in spec.questions():
        # A municipality's short text is kept only when shared, and shown only while it is.
        if q.id not in intake.answers or (q.personal and not (q.own and may_share(intake))):
            continue
        value = intake.answers[q.id]
        labels = {c.value: c.text(ja, "ja") for c in q.choices}
        if q.type == "yesno":
            labels = {"yes": ja("Yes"), "no": ja("No")}
        shown = [labels.get(v, v) for v in (value if isinstance(value, list) else [value])]
        rows.append((q.text(ja, "ja"), "、".join(shown) if shown else "—"))
    return rows


def detail(session: Session, settings: Settings, intake: Intake) -> dict[str, Any]:
    ja = gettext_in("ja")
    shared = may_share(intake)
    district = session.scalar(select(District).where(District.code == intake.area)) if intake.area else None
    c = intake.consent
    reroutes = []
    for entry in intake.decision.get("reroutes", []):
        source, target = session.get(Provider, entry["from"]), session.get(Provider, entry["to"])
        reroutes.append({
            "action": entry["action"], "at": entry["at"], "why": entry.get("why"),
            "from": source.code if source else None, "to": target.code if target else None,
            "from_name": municipality.localized(source.name, "ja") if source else None,
            "to_name": municipality.localized(target.name, "ja") if target else None,
            "reasons": [render_reason(r, ja, "ja", settings.policy.reason_texts) for r in entry["reasons"]],
        })
    messages = session.scalars(select(ResidentMessage).where(ResidentMessage.intake_id == intake.id)
                                  .order_by(ResidentMessage.id))
    return {
        "id": intake.id,
        "received_at": intake.created_at.isoformat(),
        "status": intake.status,
        "priority": intake.priority,
        "service": intake.service,
        "service_name": ja(SERVICES[intake.service]),
        "provider": intake.provider.code if intake.provider else None,
        "location": municipality.localized(intake.location.name, "ja"),
        "channel": intake.channel,
        "area": municipality.localized(district.name, "ja") if district else None,
        "language": LOCALES.get(intake.locale, intake.locale),
        "locale": intake.locale,
        "form": {"id": intake.form_id, "version": intake.form_version},
        "answers": [{"question": q, "answer": a} for q, a in answers_ja(intake)],
        "decision": intakes.decision_view(session, intake.decision, ja, "ja", settings.policy),
        "reroutes": reroutes,
        "consent": {
            "text_id": c.text_id, "text_version": c.text_version, "text_hash": c.text_hash,
            "locale": c.locale, "channel": c.channel, "mode": c.mode,
            "share_with_provider": c.share_with_provider, "multi_agency_meeting": c.multi_agency_meeting,
            "contact_methods": list(c.contact_methods), "contact_time": c.contact_time,
            "withdrawn": c.withdrawn_at is not None,
            "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
        },
        "resident": None if not shared else {
            "name": intake.name,
            "contact": dict(intake.contact or {}),
            "free_text": intake.free_text,
            "free_text_language": LOCALES.get(intake.locale, intake.locale),
        },
        "messages": [{"at": m.created_at.isoformat(), "body": m.body if shared else None} for m in messages],
        "failed_contacts": intake.failed_contacts,
        "outcome": intake.outcome,
        # `reason` is the one-line summary API clients read before; `action`, `details`
        # (codes) and `note` (the staff's words) are its parts.
        "events": [{"at": e.at.isoformat(), "from": e.from_status, "to": e.to_status,
                    "reason": lifecycle.event_summary(e), "action": e.action, "details": e.details or {},
                    "note": e.reason if e.action else None, "actor": e.actor_id} for e in intake.events],
        "overdue": overdue.is_overdue(intake, settings.overdue, datetime.now(timezone.utc)),
        "flags": flags(settings.policy, intake.decision),
    }
