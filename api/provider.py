"""Provider API (bearer tokens of provider users or provider systems): inbox, intake
detail, lifecycle transitions. The same access rules as the inbox pages."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, jsonify, request

from api import bp
from api.common import bearer_user, json_body
from tsunagi.domain import access, fhir, intakes, lifecycle, worklist
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
        found = worklist.page(db.session, access.visible_intakes(user), status=request.args.get("status"),
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
