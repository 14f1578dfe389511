"""POST /api/v1/intakes: intakes from the outreach PWA, idempotent."""
from __future__ import annotations

import base64
import re

from flask import abort, current_app, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select

from api import bp
from api.common import bearer_user, json_body
from api.openapi import IDEMPOTENCY_KEY_PATTERN
from api.submission import IntakeBody
from forms.spec import load_consent, load_form
from kiosk.receipt import follow_up_url, qr_svg
from tsunagi import idempotency, intakes
from tsunagi.consent import ConsentGiven, render_text
from tsunagi.context import notify_after_submit, policy
from tsunagi.errors import problem
from tsunagi.extensions import db
from tsunagi.i18n import LOCALES, gettext_in
from tsunagi.models import Intake, Location
from tsunagi.triage import InvalidAnswers

def _submitter():
    user = bearer_user()
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
    if not idempotency.valid_key(key) or not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        return problem(400, "an Idempotency-Key header of 16 to 255 visible ASCII characters is required",
                       code="idempotency_key")
    raw = json_body()
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
