"""Provider API (bearer tokens of provider users or provider systems): inbox, intake
detail, lifecycle transitions. The same access rules as the inbox pages."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, jsonify, request
from sqlalchemy import case

from api import bp
from api.common import bearer_user, json_body
from inbox.present import detail as intake_detail
from inbox.present import mark_read, read_ids_for, summary
from tsunagi import access, lifecycle
from tsunagi.consent import ConsentRequired
from tsunagi.context import lifecycle_settings
from tsunagi.errors import problem
from tsunagi.extensions import db
from tsunagi.models import AuditEvent, Intake

# --- provider side: bearer tokens of provider users or provider systems ---------------

def _readable_intake(user, intake_id: str):
    intake = db.session.get(Intake, intake_id)
    if intake is None or not access.can_read(user, intake):
        abort(problem(404, "no such intake"))
    return intake


def _audit(user, action: str, intake_id: str | None) -> None:
    db.session.add(AuditEvent(actor_id=user.id, action=action, intake_id=intake_id,
                              remote_addr=request.remote_addr))


@bp.get("/v1/inbox")
def provider_inbox():
    """Intakes routed to the caller's provider (all for the coordinator): urgent first,
    then oldest. No identifying data; open one with GET /v1/intakes/<id>."""
    user = bearer_user()
    if not access.reads_intakes(user):
        abort(problem(403, "this account does not read intakes"))
    rows = list(db.session.scalars(access.visible_intakes(user).order_by(
        case((Intake.priority == "urgent", 0), else_=1), Intake.created_at, Intake.id).limit(500)))
    now = datetime.now(timezone.utc)
    read = read_ids_for(user, rows)
    return jsonify({"intakes": [summary(i, user, read, now) for i in rows]})


@bp.get("/v1/intakes/<intake_id>")
def provider_intake(intake_id: str):
    """One intake as its provider reads it. 404 for anyone else's. Audited."""
    user = bearer_user()
    intake = _readable_intake(user, intake_id)
    _audit(user, "intake_read", intake.id)
    mark_read(user, intake)
    db.session.commit()
    return jsonify(intake_detail(intake))


@bp.post("/v1/intakes/<intake_id>/transitions")
def provider_transition(intake_id: str):
    """Move the intake through its lifecycle: {"action", "reason"?, "to_provider"?, "outcome"?}.

    :raise 404: not the caller's intake. :raise 409: not allowed from the current status.
    :raise 403: the resident's consent does not allow the share, or the caller may not act.
    :raise 422: missing reason, outcome or provider.
    """
    user = bearer_user()
    intake = _readable_intake(user, intake_id)
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return problem(422, "expected a JSON object with 'action'")
    for key in ("reason", "to_provider", "outcome"):
        if body.get(key) is not None and not isinstance(body[key], str):
            return problem(422, f"'{key}' must be a string")
    try:
        event = lifecycle.transition(
            db.session, intake, body["action"], user, reason=body.get("reason"),
            to_provider=body.get("to_provider"), outcome=body.get("outcome"),
            settings=lifecycle_settings())
    except ConsentRequired as exc:
        db.session.rollback()
        return problem(403, str(exc), code="consent_required")
    except lifecycle.TransitionRefused as exc:
        db.session.rollback()
        status = {"invalid_transition": 409, "forbidden": 403, "contact_attempts_required": 409}.get(exc.code, 422)
        return problem(status, str(exc), code=exc.code)
    _audit(user, "intake_" + body["action"], intake.id)
    db.session.commit()
    return jsonify({"id": intake.id, "status": intake.status, "event": event.id,
                    "provider": intake.provider.code if intake.provider else None})
