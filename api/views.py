from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, current_app, jsonify, request
from flask_babel import force_locale, gettext
from sqlalchemy import case, select

from api import bp
from api.openapi import document
from inbox.present import detail as intake_detail
from inbox.present import mark_read, read_ids_for, summary
from tsunagi import access, accounts, follow_up, lifecycle, municipality
from tsunagi.consent import ConsentRequired
from tsunagi.context import lifecycle_settings
from tsunagi.errors import problem
from tsunagi.context import explain
from tsunagi.extensions import db, limiter
from tsunagi.i18n import LOCALES
from tsunagi.models import AuditEvent, Intake, Location
from tsunagi.status import STATUS_TEXTS
from tsunagi.triage import InvalidAnswers


def _json_body():
    return request.get_json(silent=True)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.post("/v1/triage")
def triage():
    """The decision for the given answers (CONTRACT.md); stores nothing.

    :raise 422: answers not canonical (problem+json lists each wrong answer).
    """
    try:
        return jsonify(explain(db.session, _json_body()))
    except InvalidAnswers as exc:
        return problem(422, "invalid answers", errors=exc.errors)


def _failed(response) -> bool:
    return response.status_code != 200


@bp.post("/v1/follow-up")
@limiter.limit(lambda: current_app.config["FOLLOW_UP_RATE_LIMIT"], deduct_when=_failed)
@limiter.limit("300 per minute", key_func=lambda: "follow-up-all", deduct_when=_failed)
def follow_up_lookup():
    """The case status for a token or receipt code: no answers, no contact details.

    Unknown, expired and revoked secrets give the same 404. A code with a wrong check
    symbol gives 422 with `code: check_symbol` ("check the code").
    """
    body = _json_body()
    if not isinstance(body, dict):
        return problem(400, "expected a JSON object with 'token' or 'code'")
    locale = body.get("locale")
    if locale is not None and locale not in LOCALES:
        return problem(422, "unknown locale")
    token, code = body.get("token"), body.get("code")
    intake = None
    if isinstance(token, str) and token:
        intake = follow_up.find(db.session, token=token)
    elif isinstance(code, str) and code:
        try:
            intake = follow_up.find(db.session, code=follow_up.normalize_code(code))
        except follow_up.CodeCheckFailed:
            return problem(422, "check the code", code="check_symbol")
        except follow_up.CodeMalformed:
            intake = None
    else:
        return problem(400, "expected 'token' or 'code'")
    db.session.add(AuditEvent(action="follow_up_lookup", intake_id=intake.id if intake else None,
                              remote_addr=request.remote_addr))
    db.session.commit()
    if intake is None:
        return problem(404, "not found")
    locale = locale or intake.locale
    provider = intake.provider
    if provider is None and intake.decision.get("provider_id"):
        from tsunagi.models import Provider

        provider = db.session.get(Provider, intake.decision["provider_id"])
    with force_locale(locale):
        name = municipality.localized(provider.name, locale) if provider else ""
        status_text = gettext(STATUS_TEXTS[intake.status]) % {"provider": name or gettext("the support office")}
        payload = {
            "status": intake.status,
            "status_text": status_text,
            "locale": locale,
            "provider": None if provider is None else {
                "name": name, "phone": provider.phone,
                "hours": municipality.localized(provider.hours, locale),
            },
        }
    return jsonify(payload)


# --- provider side: bearer tokens of provider users or provider systems ---------------

def _bearer_user():
    """The active user whose API token is in the Authorization header, or a 401 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = accounts.user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = problem(401, "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="tsunagi"'
        abort(response)
    return user


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
    user = _bearer_user()
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
    user = _bearer_user()
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
    user = _bearer_user()
    intake = _readable_intake(user, intake_id)
    body = _json_body()
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


@bp.get("/v1/locations")
def locations():
    """The places the caller may submit intakes from: outreach teams for outreach workers,
    kiosks too for coordinators and admins."""
    user = _bearer_user()
    kinds = {"outreach_worker": ("outreach",), "coordinator": ("library", "hub", "outreach"),
             "admin": ("library", "hub", "outreach")}.get(user.role)
    if not kinds:
        abort(problem(403, "this account does not submit intakes"))
    rows = db.session.scalars(select(Location).where(Location.active.is_(True), Location.kind.in_(kinds))
                              .order_by(Location.id))
    return jsonify([{"id": loc.code, "kind": loc.kind, "name": municipality.localized(loc.name, "ja"),
                     "district": loc.district} for loc in rows])
