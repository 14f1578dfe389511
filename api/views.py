from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import force_locale, gettext

from api import bp
from api.openapi import document
from tsunagi import follow_up, municipality
from tsunagi.errors import problem
from tsunagi.explain import explain
from tsunagi.extensions import db, limiter
from tsunagi.i18n import LOCALES
from tsunagi.models import AuditEvent
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
