"""Triage for municipal staff, the OpenAPI document, form specs and locations."""
from __future__ import annotations

from flask import Response, abort, jsonify, request
from sqlalchemy import select

from api import bp
from api.common import bearer_user, json_body
from api.openapi import document
from forms.spec import archived_consents, form_source, form_versions, load_consent, load_form
from tsunagi.domain import directory, intakes, municipality
from tsunagi.domain.consent import remember_text
from tsunagi.domain.models import ConsentText, District, Location, Provider
from tsunagi.domain.triage.answers import KEYS
from tsunagi.domain.vocabulary import CONTACT_ALONE, CONTACT_NEEDS, EMAIL_PATTERN, FURIGANA_LOCALES, IDENTIFYING, LOCALES, PHONE_PATTERN
from tsunagi.web.context import consent_text, explain, furigana_reader, policy
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db
from tsunagi.web.i18n import gettext_in


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, with this municipality's district and location codes."""
    districts = list(db.session.scalars(select(District.code).order_by(District.position)))
    outreach = list(db.session.scalars(select(Location.code).where(
        Location.active.is_(True), Location.kind == "outreach").order_by(Location.id)))
    providers = list(db.session.scalars(select(Provider.code).where(Provider.active.is_(True))
                                        .order_by(Provider.id)))
    consent = load_consent()
    versions = {locale: [consent_text(db.session, consent, locale)[1]] for locale in LOCALES}
    for old in archived_consents(consent.id):
        for locale in LOCALES:
            versions[locale].append(consent_text(db.session, old, locale)[1])
    for row in db.session.execute(select(ConsentText.locale, ConsentText.hash).order_by(ConsentText.first_served_at)):
        if row.locale in versions and row.hash not in versions[row.locale]:
            versions[row.locale].append(row.hash)
    accepted = form_versions("intake-default")
    accepted += [v for v in intakes.served_forms(db.session, "intake-default") if v not in accepted]
    return jsonify(document(districts, outreach, providers, accepted, versions, policy().questions))


@bp.post("/v1/triage")
def triage():
    """The decision for the given answers (CONTRACT.md); stores nothing.

    :raise 422: answers not canonical (problem+json lists each wrong answer).
    """
    return jsonify(explain(db.session, json_body()))


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
    paragraphs, digest = consent_text(db.session, consent_spec, locale)
    # Kept by its hash: an intake taken offline under it is accepted after the text changes.
    remember_text(db.session, text_id=consent_spec.id, text_version=consent_spec.version, locale=locale,
                  paragraphs=paragraphs, digest=digest)
    # The form version too, as written, for an intake answered offline with it.
    intakes.remember_form(db.session, spec.id, spec.version, form_source(form_id))
    db.session.commit()
    districts = db.session.scalars(select(District).order_by(District.position))
    body = {
        "id": spec.id, "version": spec.version, "locale": locale,
        "steps": [{
            "id": step.id, "title": step.heading(translate, locale), "show_if": step.show_if,
            "questions": [{
                "id": q.id, "type": q.type, "label": q.text(translate, locale), "required": q.required,
                "personal": q.personal, "sensitive": q.sensitive, "max_length": q.max_length,
                "multiline": q.multiline,
                # A district question offers the municipality's districts, then its own choices.
                "choices": ([{"value": d.code, "label": municipality.localized(d.name, locale)} for d in districts]
                            if q.type == "district" else [])
                + ([{"value": c.value, "label": c.text(translate, locale)} for c in q.choices]
                   if q.type != "yesno" else
                   [{"value": "yes", "label": translate("Yes")}, {"value": "no", "label": translate("No")}]),
            } for q in step.questions],
        } for step in spec.steps],
        "consent": {"id": consent_spec.id, "version": digest, "text": "\n\n".join(paragraphs)},
        # The rules the app applies as the resident answers, from their one definition.
        "answer_keys": [*KEYS, *(q.id for q in policy().questions)],
        "contact_keys": list(IDENTIFYING),
        "patterns": {"phone": PHONE_PATTERN, "email": EMAIL_PATTERN},
        "contact_rules": {"needs": CONTACT_NEEDS, "alone": CONTACT_ALONE},
        "urgency": policy().urgency_data,
    }
    if locale in FURIGANA_LOCALES:
        body["readings"] = _readings(body)
    return jsonify(body)


def _readings(body: dict) -> dict[str, list[dict[str, str]]]:
    """Furigana for every text of a Japanese form spec that has kanji (the outreach app
    shows them when the resident reads the screen)."""
    reader = furigana_reader()
    texts = [step["title"] for step in body["steps"]]
    for step in body["steps"]:
        for q in step["questions"]:
            texts += [q["label"]] + [c["label"] for c in q["choices"]]
    texts += body["consent"]["text"].split("\n\n")
    out = {}
    for text in dict.fromkeys(texts):
        segments = reader.segments(text)
        if any(reading for _base, reading in segments):
            out[text] = [{"text": b} if r is None else {"text": b, "reading": r} for b, r in segments]
    return out


@bp.get("/v1/directory")
def hsds_directory():
    """The offices as an HSDS 3.0 directory: public, read-only, the bytes of `flask directory export`."""
    try:
        text = directory.dumps(directory.export(db.session))
    except directory.DirectoryError:
        abort(problem(404, "no municipality is loaded"))
    return Response(text, mimetype="application/json")


@bp.get("/v1/locations")
def locations():
    """The places the caller may submit intakes from: outreach teams for outreach workers,
    kiosks too for coordinators and admins."""
    user = bearer_user()
    kinds = {"outreach_worker": ("outreach",), "coordinator": ("library", "hub", "outreach"),
             "admin": ("library", "hub", "outreach")}.get(user.role)
    if not kinds:
        abort(problem(403, "this account does not submit intakes"))
    rows = db.session.scalars(select(Location).where(Location.active.is_(True), Location.kind.in_(kinds))
                              .order_by(Location.id))
    return jsonify([{"id": loc.code, "kind": loc.kind, "name": municipality.localized(loc.name, "ja"),
                     "district": loc.district} for loc in rows])
