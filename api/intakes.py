"""POST /api/v1/intakes: intakes from the outreach PWA, idempotent."""
from __future__ import annotations

import base64

from flask import abort, current_app, request
from flask_babel import force_locale, gettext
from pydantic import ValidationError
from sqlalchemy import select

from api import bp
from api.common import bearer_user, idempotent
from api.submission import IntakeBody
from forms.spec import archived_consents, form_versions, load_consent, load_form, load_form_version
from tsunagi.domain import case_team, intakes
from tsunagi.domain.consent import ConsentGiven, remember_text, served_text
from tsunagi.domain.models import Intake, Location, Provider
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web.context import (
    consent_text,
    notify_after_submit,
    office_card,
    overdue_policy,
    policy,
    send_notifications,
)
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db
from tsunagi.web.i18n import gettext_in
from tsunagi.web.receipt import follow_up_address, follow_up_url, qr_svg, receipt_facts


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

    def store(raw: dict):
        body, intake = _create_intake(user, raw)
        # One commit: the intake, its consent, the replayable response and the notification.
        outbox = notify_after_submit(db.session, intake)
        return body, lambda: send_notifications(db.session, outbox)

    return idempotent(user, store)


# The workers' warm-up rehearses a submit through the API's own code and rolls it back
# (tsunagi.web.warm.rehearse_submit); no account is needed for a resident's own consent.
bp.record_once(lambda state: state.app.extensions.__setitem__(
    "tsunagi.submit_rehearsal", lambda raw: _create_intake(None, raw)[1]))


def _refuse(detail: str, **extra) -> None:
    """:raise HTTPException: a 422 problem, which the caller's unit of work rolls back."""
    abort(problem(422, detail, **extra))


def _create_intake(user, raw: dict) -> tuple[dict, Intake]:
    """The intake of `raw`, stored (not committed); the 201 body and the intake.

    :raise HTTPException: a 422 problem for a body that cannot be taken.
    :raise InvalidAnswers: the answers are not canonical.
    """
    try:
        data = IntakeBody.model_validate(raw)
    except ValidationError as exc:
        errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors(include_url=False)}
        _refuse("invalid request", errors=errors)
    if data.locale not in LOCALES:
        _refuse("unknown locale", errors={"locale": f"one of {', '.join(LOCALES)}"})
    if data.form_id != "intake-default":
        _refuse("unknown form", errors={"form_id": "unknown form"})
    spec, consent_spec = load_form(data.form_id), load_consent()
    # An intake taken offline keeps the form version it was answered with, if it is kept.
    version = spec.version if data.form_version is None else data.form_version
    if load_form_version(data.form_id, version) is None and version not in intakes.served_forms(db.session, data.form_id):
        _refuse("unknown form version", errors={"form_version": f"one of {form_versions(data.form_id)}"})
    location = db.session.scalar(select(Location).where(Location.code == data.location, Location.active.is_(True)))
    if location is None or data.channel != "outreach" or location.kind != "outreach":
        _refuse("not a location this account submits from",
                errors={"location": "an outreach location, with channel outreach"})
    paragraphs, digest = consent_text(db.session, consent_spec, data.locale)
    text_id, text_version = consent_spec.id, consent_spec.version
    if data.consent.version == digest:
        remember_text(db.session, text_id=text_id, text_version=text_version, locale=data.locale,
                      paragraphs=paragraphs, digest=digest)
    else:
        # The text the resident was shown offline, if the product ever served it in this language.
        shown = served_text(db.session, data.consent.version, data.locale)
        if shown is not None:
            text_id, text_version, digest = shown.text_id, shown.text_version, shown.hash
        else:
            archived = next((old for old in archived_consents(consent_spec.id)
                             if consent_text(db.session, old, data.locale)[1] == data.consent.version), None)
            if archived is None:
                _refuse("the consent text shown is not one this server showed in this language; show it again",
                        code="consent_version", errors={"consent.version": "unknown"})
            text_id, text_version, digest = archived.id, archived.version, data.consent.version
    given = ConsentGiven(
        text_id=text_id, text_version=text_version, text_hash=digest,
        locale=data.locale, share_with_provider=data.consent.scopes.share_with_provider,
        multi_agency_meeting=data.consent.scopes.multi_agency_meeting,
        contact_methods=tuple(data.consent.scopes.contact_methods), channel="outreach",
        location_id=location.id, mode=data.consent.mode,
        witness_id=user.id if data.consent.mode in ("verbal", "proxy") else None,
        contact_time=data.consent.contact_time, proxy_relationship=data.consent.relationship,
    )
    contact = data.contact.model_dump() if data.contact else {}
    submitted = intakes.submit(
        db.session, form_id=spec.id, form_version=version, locale=data.locale,
        channel="outreach", location=location, answers=data.answers, identifying=contact,
        consent=given, policy=policy())
    if data.person is not None:
        case_team.link_person(db.session, submitted.intake, data.person)
    secrets = submitted.secrets
    base = current_app.config["BASE_URL"] or request.host_url
    url = follow_up_url(base, secrets.token)
    qr = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()
    db.session.flush()
    with force_locale(data.locale):
        decision = intakes.decision_view(db.session, submitted.intake.decision, gettext_in(data.locale),
                                         data.locale, policy())
        facts = receipt_facts(submitted.intake, overdue_policy(), data.locale)
        address = gettext("Follow-up page: %(address)s", address=follow_up_address(base))
        office_id = submitted.intake.provider_id or submitted.intake.decision.get("provider_id")
        card = office_card(db.session.get(Provider, office_id), data.locale) if office_id else None
    receipt = {"city": facts["city"], "next_step": facts["next_step"], "notes": facts["notes"],
               "follow_up_address": address,
               "office": None if card is None else {k: v for k, v in card.items() if k != "japanese"}}
    return {"intake_id": submitted.intake.id, "shared": submitted.intake.provider_id is not None, "decision": decision,
            "receipt": receipt,
            "follow_up": {"url": url, "short_code": secrets.grouped_code, "qr_svg_url": qr}}, submitted.intake
