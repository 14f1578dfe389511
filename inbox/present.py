"""An intake as a provider reads it, shared by the inbox pages and the provider API.

Labels and reasons are in Japanese (the providers' language); the resident's free text
stays in the language it was written in, which is named. Identifying fields are left out
when the resident's consent does not allow sharing (never given, or withdrawn).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import select

from forms.spec import load_form_version
from tsunagi import intakes, municipality, overdue
from tsunagi.consent import may_share
from tsunagi.context import overdue_policy, policy
from tsunagi.extensions import db
from tsunagi.i18n import LOCALES, gettext_in
from tsunagi.models import District, Intake, IntakeRead, Provider, ResidentMessage, User
from tsunagi.services import SERVICES
from tsunagi.triage import render_reason


def summary(intake: Intake, reader: User, read_ids: set[str], now: datetime) -> dict[str, Any]:
    """A row of the inbox: nothing identifying, nothing from the answers."""
    return {
        "id": intake.id,
        "received_at": intake.created_at.isoformat(),
        "priority": intake.priority,
        "status": intake.status,
        "service": intake.service,
        "provider": intake.provider.code if intake.provider else None,
        "area": intake.area,
        "unread": intake.id not in read_ids,
        "overdue": overdue.is_overdue(intake, overdue_policy(), now),
        "duplicate_of": [d.id for d in intakes.probable_duplicates(
            db.session, intake, current_app.config["DUPLICATE_WINDOW_DAYS"])],
    }


def read_ids_for(reader: User, intakes_: list[Intake]) -> set[str]:
    """Intakes already opened at the reader's provider. For the coordinator, who has no
    provider: intakes opened at the provider they are routed to."""
    ids = [i.id for i in intakes_]
    if not ids:
        return set()
    query = select(IntakeRead.intake_id).where(IntakeRead.intake_id.in_(ids))
    if reader.provider_id is not None:
        query = query.where(IntakeRead.provider_id == reader.provider_id)
    else:
        query = query.join(Intake, Intake.id == IntakeRead.intake_id).where(
            IntakeRead.provider_id == Intake.provider_id)
    return set(db.session.scalars(query))


def mark_read(reader: User, intake: Intake) -> None:
    """Read state belongs to the reader's provider; the coordinator's reading sets none."""
    if reader.provider_id is not None and db.session.get(IntakeRead, (intake.id, reader.provider_id)) is None:
        db.session.add(IntakeRead(intake_id=intake.id, provider_id=reader.provider_id))


def answers_ja(intake: Intake) -> list[tuple[str, str]]:
    """The answers with the Japanese labels of the form version they were given in; when
    that version is no longer kept, the stored values under their question ids."""
    spec = load_form_version(intake.form_id, intake.form_version)
    if spec is None:
        return [(qid, "、".join(v) if isinstance(v, list) else str(v)) for qid, v in intake.answers.items()]
    ja = gettext_in("ja")
    rows = []
    for q in spec.questions():
        if q.personal or q.id not in intake.answers:
            continue
        value = intake.answers[q.id]
        labels = {c.value: c.label for c in q.choices}
        if q.type == "yesno":
            labels = {"yes": "Yes", "no": "No"}
        shown = [ja(labels.get(v, v)) for v in (value if isinstance(value, list) else [value])]
        rows.append((ja(q.label), "、".join(shown) if shown else "—"))
    return rows


def detail(intake: Intake) -> dict[str, Any]:
    ja = gettext_in("ja")
    shared = may_share(intake)
    district = db.session.scalar(select(District).where(District.code == intake.area)) if intake.area else None
    c = intake.consent
    reroutes = []
    for entry in intake.decision.get("reroutes", []):
        source, target = db.session.get(Provider, entry["from"]), db.session.get(Provider, entry["to"])
        reroutes.append({
            "action": entry["action"], "at": entry["at"],
            "from": source.code if source else None, "to": target.code if target else None,
            "reasons": [render_reason(r, ja, "ja", policy().reason_texts) for r in entry["reasons"]],
        })
    messages = db.session.scalars(select(ResidentMessage).where(ResidentMessage.intake_id == intake.id)
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
        "decision": intakes.decision_view(db.session, intake.decision, ja, "ja", policy()),
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
        "events": [{"at": e.at.isoformat(), "from": e.from_status, "to": e.to_status, "reason": e.reason,
                    "actor": e.actor_id} for e in intake.events],
        "overdue": overdue.is_overdue(intake, overdue_policy(), datetime.now(timezone.utc)),
    }
