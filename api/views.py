from __future__ import annotations

import base64
from datetime import datetime, timezone

from flask import abort, current_app, jsonify, request
from flask_babel import force_locale, gettext
from pydantic import ValidationError
from sqlalchemy import case, select

from api import bp
from api.openapi import document
from api.submission import IntakeBody
from forms.spec import load_consent, load_form
from inbox.present import detail as intake_detail
from inbox.present import mark_read, read_ids_for, summary
from kiosk.receipt import follow_up_url, qr_svg
from tsunagi import access, accounts, follow_up, idempotency, intakes, lifecycle, municipality
from tsunagi.consent import ConsentGiven, ConsentRequired, may_share, render_text, withdraw
from tsunagi.context import explain, lifecycle_settings, notify_after_submit, policy
from tsunagi.errors import problem
from tsunagi.extensions import db, limiter
from tsunagi.i18n import LOCALES, gettext_in
from tsunagi.models import AuditEvent, District, Intake, Location, Provider, ResidentMessage
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
    return response.status_code >= 400


# Failed lookups are limited per client and in total; a hit costs nothing.
follow_up_limits = [
    limiter.limit(lambda: current_app.config["FOLLOW_UP_RATE_LIMIT"], deduct_when=_failed),
    limiter.limit("300 per minute", key_func=lambda: "follow-up-all", deduct_when=_failed),
]


def _limited(view):
    for decorate in reversed(follow_up_limits):
        view = decorate(view)
    return view


def _resident_intake(body):
    """The intake behind the token or code in `body`, or the problem to answer with.

    Unknown, expired and revoked secrets give the same 404; a code with a wrong check
    symbol gives 422 with `code: check_symbol`. Every lookup is audited, never the secret.
    """
    if not isinstance(body, dict):
        return problem(400, "expected a JSON object with 'token' or 'code'")
    locale = body.get("locale")
    if locale is not None and locale not in LOCALES:
        return problem(422, "unknown locale")
    token, code = body.get("token"), body.get("code")
    intake = None
    if isinstance(token, str) and token:
        intake = follow_up.find(db.session, token=token[:200])
    elif isinstance(code, str) and code:
        try:
            intake = follow_up.find(db.session, code=follow_up.normalize_code(code[:100]))
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
    return intake


def _status(intake: Intake, locale: str | None):
    locale = locale or intake.locale
    provider = intake.provider
    if provider is None and intake.decision.get("provider_id"):
        provider = db.session.get(Provider, intake.decision["provider_id"])
    with force_locale(locale):
        name = municipality.localized(provider.name, locale) if provider else ""
        status_text = gettext(STATUS_TEXTS[intake.status]) % {"provider": name or gettext("the support office")}
        return jsonify({
            "status": intake.status,
            "status_text": status_text,
            "locale": locale,
            "consent_withdrawn": intake.consent.withdrawn_at is not None,
            "can_message": may_share(intake),
            "provider": None if provider is None else {
                "name": name, "phone": provider.phone,
                "hours": municipality.localized(provider.hours, locale),
            },
        })


@bp.post("/v1/follow-up")
@_limited
def follow_up_lookup():
    """The case status for a token or receipt code, in plain words: no answers, no
    contact details."""
    body = _json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    return _status(found, body.get("locale"))


@bp.post("/v1/follow-up/messages")
@_limited
def follow_up_message():
    """The resident sends a message to the provider ({token|code, body}); the provider
    sees it in the inbox. 409 when the intake is not shared with any provider."""
    body = _json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    text = body.get("body")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        return problem(422, "a message of 1 to 1000 characters is needed", code="message_length")
    if not may_share(found):
        return problem(409, "this consultation is not shared with an office", code="not_shared")
    db.session.add(ResidentMessage(intake_id=found.id, body=text.strip()))
    db.session.commit()
    return _status(found, body.get("locale")), 201


@bp.post("/v1/follow-up/withdraw")
@_limited
def follow_up_withdraw():
    """The resident withdraws consent: at once, identifying details are erased and nothing
    more is shared. Answers 200 with the status (also when already withdrawn)."""
    body = _json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    withdraw(db.session, found, via="follow_up")
    db.session.commit()
    return _status(found, body.get("locale"))


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


@bp.get("/v1/forms/<form_id>")
def form_spec(form_id: str):
    """The form spec in the requested locale (labels translated), with the consent text
    the resident must be shown and its version (the hash recorded with the consent)."""
    locale = request.args.get("locale", "ja")
    if locale not in LOCALES:
        return problem(422, f"unknown locale; locales: {', '.join(LOCALES)}")
    if form_id != "intake-default":
        return problem(404, "no such form")
    spec, consent_spec = load_form(form_id), load_consent()
    translate = gettext_in(locale)
    paragraphs, digest = render_text(consent_spec.paragraphs, translate)
    districts = db.session.scalars(select(District).order_by(District.position))
    return jsonify({
        "id": spec.id, "version": spec.version, "locale": locale,
        "steps": [{
            "id": step.id, "title": translate(step.title), "show_if": step.show_if,
            "questions": [{
                "id": q.id, "type": q.type, "label": translate(q.label), "required": q.required,
                "personal": q.personal, "sensitive": q.sensitive, "max_length": q.max_length,
                "choices": ([{"value": c.value, "label": translate(c.label)} for c in q.choices]
                            if q.type != "yesno" else
                            [{"value": "yes", "label": translate("Yes")}, {"value": "no", "label": translate("No")}])
                + ([{"value": d.code, "label": municipality.localized(d.name, locale)} for d in districts]
                   if q.type == "district" else []),
            } for q in step.questions],
        } for step in spec.steps],
        "consent": {"id": consent_spec.id, "version": digest, "text": "\n\n".join(paragraphs)},
    })


def _submitter():
    user = _bearer_user()
    if user.role != "outreach_worker":
        abort(problem(403, "this account does not submit intakes"))
    return user


@bp.post("/v1/intakes")
def submit_intake():
    """Submit an intake from the outreach PWA (bearer token of an outreach worker).

    Needs `Idempotency-Key` (16-255 characters): the same key and body replays the first
    response; the same key with another body is 422; while the first is processed, 409.
    """
    user = _submitter()
    key = request.headers.get("Idempotency-Key")
    if not idempotency.valid_key(key):
        return problem(400, "an Idempotency-Key header of 16 to 255 characters is required",
                       code="idempotency_key")
    raw = _json_body()
    if not isinstance(raw, dict):
        return problem(400, "expected a JSON object")
    try:
        replay = idempotency.begin(db.session, user.id, key, idempotency.request_hash(raw))
    except idempotency.Mismatch:
        return problem(422, "this Idempotency-Key was used with a different request", code="idempotency_mismatch")
    except idempotency.InFlight:
        response = problem(409, "the first request with this Idempotency-Key is still being processed",
                           code="idempotency_in_flight")
        response.headers["Retry-After"] = "1"
        return response
    if replay is not None:
        response = jsonify(replay.body)
        response.status_code = replay.status
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        status, body = _create_intake(user, raw)
    except Exception:
        db.session.rollback()
        idempotency.abandon(db.session, user.id, key)
        raise
    if status != 201:
        idempotency.abandon(db.session, user.id, key)
        return problem(status, body["detail"], **{k: v for k, v in body.items() if k != "detail"})
    idempotency.finish(db.session, user.id, key, status, body)
    db.session.commit()
    notify_after_submit(db.session, db.session.get(Intake, body["intake_id"]))
    response = jsonify(body)
    response.status_code = 201
    return response


def _create_intake(user, raw: dict) -> tuple[int, dict]:
    try:
        data = IntakeBody.model_validate(raw)
    except ValidationError as exc:
        errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors(include_url=False)}
        return 422, {"detail": "invalid request", "errors": errors}
    if data.locale not in LOCALES:
        return 422, {"detail": "unknown locale", "errors": {"locale": f"one of {', '.join(LOCALES)}"}}
    if data.form_id != "intake-default":
        return 422, {"detail": "unknown form", "errors": {"form_id": "unknown form"}}
    spec, consent_spec = load_form(data.form_id), load_consent()
    if data.form_version not in (None, spec.version):
        return 422, {"detail": "unknown form version", "errors": {"form_version": f"current is {spec.version}"}}
    location = db.session.scalar(select(Location).where(Location.code == data.location, Location.active.is_(True)))
    if location is None or data.channel != "outreach" or location.kind != "outreach":
        return 422, {"detail": "not a location this account submits from",
                     "errors": {"location": "an outreach location, with channel outreach"}}
    _paragraphs, digest = render_text(consent_spec.paragraphs, gettext_in(data.locale))
    if data.consent.version != digest:
        return 422, {"detail": "the consent text shown is not the current one; show it again",
                     "code": "consent_version", "errors": {"consent.version": "stale"}}
    try:
        given = ConsentGiven(
            text_id=consent_spec.id, text_version=consent_spec.version, text_hash=digest,
            locale=data.locale, share_with_provider=data.consent.scopes.share_with_provider,
            multi_agency_meeting=data.consent.scopes.multi_agency_meeting,
            contact_methods=tuple(data.consent.scopes.contact_methods), channel="outreach",
            location_id=location.id, mode=data.consent.mode,
            witness_id=user.id if data.consent.mode in ("verbal", "proxy") else None,
            contact_time=data.consent.contact_time, proxy_relationship=data.consent.relationship,
        )
    except ValueError as exc:
        return 422, {"detail": str(exc), "errors": {"consent": str(exc)}}
    contact = data.contact.model_dump() if data.contact else {}
    try:
        submitted = intakes.submit(
            db.session, form_id=spec.id, form_version=spec.version, locale=data.locale,
            channel="outreach", location=location, answers=data.answers, identifying=contact,
            consent=given, policy=policy())
    except InvalidAnswers as exc:
        db.session.rollback()
        return 422, {"detail": "invalid answers", "errors": {f"answers.{k}": v for k, v in exc.errors.items()}}
    secrets = submitted.secrets
    base = current_app.config["BASE_URL"] or request.host_url
    url = follow_up_url(base, secrets.token)
    qr = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()
    decision = intakes.decision_view(db.session, submitted.intake.decision, gettext_in(data.locale),
                                     data.locale, policy())
    return 201, {"intake_id": submitted.intake.id, "decision": decision,
                 "follow_up": {"url": url, "short_code": secrets.grouped_code, "qr_svg_url": qr}}


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
