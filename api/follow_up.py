"""The resident's side of the follow-up: status, messages to the provider, withdrawal.

Authenticated by the QR token or the receipt code only; failed lookups are rate-limited."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import force_locale, gettext

from api import bp
from api.common import json_body
from tsunagi.domain import follow_up, municipality
from tsunagi.domain.consent import reaches_office, withdraw
from tsunagi.domain.models import AuditEvent, Intake, Provider, ResidentMessage
from tsunagi.domain.vocabulary import FURIGANA_LOCALES, LOCALES, NOT_ROUTED_TEXT, STATUS_TEXTS, WITHDRAWN_TEXT
from tsunagi.web.context import furigana_reader, office_card
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db, failed_attempt, limiter


def _failed(response) -> bool:
    return failed_attempt(response.status_code, 200)


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
    if locale is not None and (not isinstance(locale, str) or locale not in LOCALES):
        return problem(422, "unknown locale")
    if not isinstance(body.get("furigana", False), bool):
        return problem(422, "furigana must be true or false")
    token, code = body.get("token"), body.get("code")
    intake = None
    if isinstance(token, str) and token:
        intake = follow_up.find(db.session, token=token[:200])
    elif isinstance(code, str) and code:
        try:
            intake = follow_up.find_code(db.session, code[:100])
        except follow_up.CodeCheckFailed:
            return problem(422, "check the code", code="check_symbol")
        except follow_up.CodeMalformed:
            intake = None
    else:
        return problem(400, "expected 'token' or 'code'")
    # Audited without waiting for a writer that holds the database (the answer does not
    # depend on the row): a resident's lookup never stalls behind a submit.
    db.record_read(AuditEvent, action="follow_up_lookup", intake_id=intake.id if intake else None,
                   remote_addr=request.remote_addr)
    if intake is None:
        return problem(404, "not found")
    return intake


def _segments(text: str) -> list[dict[str, str]]:
    return [{"text": base} if reading is None else {"text": base, "reading": reading}
            for base, reading in furigana_reader().segments(text)]


def _status(intake: Intake, body: dict):
    """The status in plain words, in the body's locale (else the intake's). Asked with
    `furigana: true` in Japanese, the texts come also as segments with their readings."""
    locale = body.get("locale") or intake.locale
    provider = intake.provider
    if provider is None and intake.decision.get("provider_id"):
        provider = db.session.get(Provider, intake.decision["provider_id"])
    withdrawn = intake.consent.withdrawn_at is not None
    with force_locale(locale):
        name = municipality.localized(provider.name, locale) if provider else ""
        text = (WITHDRAWN_TEXT if withdrawn else
                NOT_ROUTED_TEXT if intake.status == "not_shared" and intake.consent.share_with_provider else
                STATUS_TEXTS[intake.status])
        status_text = gettext(text) % {"provider": name or gettext("the support office")}
        out = {
            "status": intake.status,
            "status_text": status_text,
            "locale": locale,
            "consent_withdrawn": withdrawn,
            "can_message": reaches_office(intake),
            # Besides name, phone and hours (the contract): the office as a receipt shows it.
            "provider": None if provider is None else {
                **{k: v for k, v in office_card(provider, locale).items() if k != "japanese"},
                "name": name,
            },
        }
        if body.get("furigana") and locale in FURIGANA_LOCALES:
            out["furigana"] = {"status_text": _segments(status_text)}
            if provider is not None:
                out["furigana"]["provider_name"] = _segments(name)
                out["furigana"]["provider_hours"] = _segments(out["provider"]["hours"])
        return jsonify(out)


@bp.post("/v1/follow-up")
@_limited
def follow_up_lookup():
    """The case status for a token or receipt code, in plain words: no answers, no
    contact details."""
    body = json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    return _status(found, body)


@bp.post("/v1/follow-up/messages")
@_limited
def follow_up_message():
    """The resident sends a message to the provider ({token|code, body}); the provider
    sees it in the inbox. 409 when the intake is not shared with any provider."""
    body = json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    text = body.get("body")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        return problem(422, "a message of 1 to 1000 characters is needed", code="message_length")
    if not reaches_office(found):
        # Nobody would read it: say so, and where to go instead (the status has the office).
        status = _status(found, body).get_json()
        return problem(409, "no office receives this consultation, so nobody would read a message; "
                            "call or visit the office in `provider` instead",
                       code="not_shared", status_text=status["status_text"], provider=status["provider"])
    db.session.add(ResidentMessage(intake_id=found.id, body=text.strip()))
    db.session.commit()
    return _status(found, body), 201


@bp.post("/v1/follow-up/withdraw")
@_limited
def follow_up_withdraw():
    """The resident withdraws consent: at once, identifying details are erased and nothing
    more is shared. Answers 200 with the status (also when already withdrawn)."""
    body = json_body()
    found = _resident_intake(body)
    if not isinstance(found, Intake):
        return found
    withdraw(db.session, found, via="follow_up")
    db.session.commit()
    return _status(found, body)
