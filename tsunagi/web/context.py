"""Helpers that need the running app: its triage policy, the explanation shared by
`flask triage explain` and `POST /api/v1/triage` (so both answer identically), and the
notification sent after an intake is routed."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session

from tsunagi.domain import furigana, intakes, lifecycle, municipality, overdue, webhooks
from tsunagi.domain.consent import render_text, text_params
from tsunagi.domain.notifications import Links, deliver, notify_provider, passed_on, smtp_sender
from tsunagi.domain.triage.answers import InvalidAnswers
from tsunagi.domain.triage.rules import Policy
from tsunagi.domain.vocabulary import (
    EMERGENCY_ALWAYS,
    EMERGENCY_COSTS,
    EMERGENCY_TEXTS,
    LOCALES,
    PASSING_ON,
    PROVIDER_LOCALE,
    SERVICES,
    WEBHOOK_EVENT_OF_ACTION,
    language_of,
)
from tsunagi.web.extensions import db
from tsunagi.web.i18n import gettext_in


def consent_text(session: Session, spec, locale: str) -> tuple[list[str], str]:
    """A consent text (`forms.spec.ConsentSpec`, current or archived) as the resident reads
    it in `locale`, and its hash: the one rendering of the kiosk, the outreach app's form
    and the API's check of a text shown offline. Rendered once per text, language and
    what it names (catalogs change only with a restart)."""
    params = text_params(session, locale, int(current_app.config["RETENTION_DAYS_AFTER_END"]))
    texts = current_app.extensions.setdefault("tsunagi.consent_texts", {})
    key = (spec.id, spec.version, tuple(spec.paragraphs), locale, tuple(sorted(params.items())))
    found = texts.get(key)
    if found is None:
        if len(texts) >= 256:  # another municipality name or retention: old ones go
            texts.clear()
        paragraphs, digest = render_text(spec.paragraphs, gettext_in(locale), params)
        found = texts[key] = (tuple(paragraphs), digest)
    return list(found[0]), found[1]


def staff_inbox(bp: Blueprint, endpoint: str) -> None:
    """Notification emails link to `bp`'s `endpoint` (the offices' inbox)."""
    bp.record_once(lambda state: state.app.extensions.__setitem__("tsunagi.inbox_endpoint", f"{bp.name}.{endpoint}"))


def policy() -> Policy:
    """The app's compiled triage policy (loaded once by create_app)."""
    return current_app.extensions["tsunagi.policy"]


def explain(session: Session, payload: Any) -> dict[str, Any]:
    """The decision for `payload` ({"answers", "area"?, "locale"?}); stores nothing.

    :raise InvalidAnswers: the payload or its answers are not valid."""
    if not isinstance(payload, dict):
        raise InvalidAnswers({"body": "must be an object with 'answers'"})
    unknown = set(payload) - {"answers", "area", "locale"}
    if unknown:
        raise InvalidAnswers({k: "unknown field" for k in sorted(unknown)})
    answers = payload.get("answers")
    if not isinstance(answers, dict):
        raise InvalidAnswers({"answers": "required, an object of canonical answers"})
    locale = payload.get("locale", "ja")
    if not isinstance(locale, str) or locale not in LOCALES:
        raise InvalidAnswers({"locale": f"must be one of {', '.join(LOCALES)}"})
    raw = dict(answers)
    if payload.get("area") is not None:
        raw["area"] = payload["area"]
    parsed = intakes.parse_answers(session, raw, policy().questions)
    decision = intakes.route(session, parsed, locale, policy())
    return intakes.decision_view(session, decision.to_record(), gettext_in(locale), locale, policy())


def lifecycle_settings() -> lifecycle.Settings:
    config = current_app.config
    return lifecycle.Settings(interrupt_after_failed_contacts=config["INTERRUPT_AFTER_FAILED_CONTACTS"],
                    follow_up_days_after_closure=config["FOLLOW_UP_DAYS_AFTER_CLOSURE"])


def overdue_policy() -> overdue.Policy:
    config = current_app.config
    return overdue.Policy(business_days=config["OVERDUE_BUSINESS_DAYS"], urgent_hours=config["OVERDUE_URGENT_HOURS"])


def staff_links() -> Links:
    """The addresses notifications point to: the inbox, its overdue filter, the board.
    In a request, on its host unless TSUNAGI_BASE_URL is set; the jobs runner pushes a
    request context on the base URL."""
    endpoint = current_app.extensions["tsunagi.inbox_endpoint"]
    base = (current_app.config["BASE_URL"] or "").rstrip("/")
    blueprint = endpoint.partition(".")[0]

    def link(name: str, **args) -> str:
        return base + url_for(name, **args) if base else url_for(name, _external=True, **args)

    return Links(inbox=link(endpoint), overdue=link(endpoint, overdue=1), board=link(f"{blueprint}.board"))


def notify_after_submit(session: Session, intake) -> list:
    """In the submit's transaction: queue the "routed" webhook event and, for an urgent
    intake, write the office's notification (counts only) at once; the others wait for the
    office's digest (`flask jobs run`). Hand what it returns to `send_notifications` after
    the commit."""
    if intake.provider_id is None:
        return []
    webhooks.record(session, intake, "routed")
    if intake.priority != "urgent":
        return []
    return notify_provider(session, intake.provider_id, staff_links(), gettext_in(PROVIDER_LOCALE))


def notify_after_transition(session: Session, intake, action: str, from_status: str, from_provider: int | None) -> list:
    """In the transition's transaction: queue the webhook event (returned, transferred or
    status_changed; to the office that had it too, when it left), and tell the receiving
    office of a return or transfer. Hand what it returns to `send_notifications` after the
    commit."""
    if action in PASSING_ON:
        event = WEBHOOK_EVENT_OF_ACTION[action]
        if from_provider is not None and from_provider != intake.provider_id:
            webhooks.record(session, intake, event, to_provider=from_provider)
        webhooks.record(session, intake, event)
        return passed_on(session, intake, action, staff_links(), gettext_in(PROVIDER_LOCALE))
    if intake.status != from_status:
        webhooks.record(session, intake, "status_changed")
    return []


def send_notifications(session: Session, messages: list) -> None:
    """Send committed outbox messages through SMTP when it is configured (after the commit,
    so no transaction waits on the mail server); a failure leaves them in the outbox, and
    the jobs runner tries them again."""
    config = current_app.config
    if not messages or not config["SMTP_HOST"]:
        return
    send = smtp_sender(config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_SENDER"],
                       config["SMTP_USERNAME"], config["SMTP_PASSWORD"], bool(config["SMTP_STARTTLS"]))
    if deliver(messages, send):
        session.commit()


def present_settings():
    """The settings of the shared presenter (tsunagi.web.present)."""
    from tsunagi.web.present import Settings

    return Settings(overdue=overdue_policy(), duplicate_window_days=current_app.config["DUPLICATE_WINDOW_DAYS"],
                    policy=policy())


def emergency_contacts() -> list[dict[str, str]]:
    """The municipality's emergency numbers in the request's language: what each line is
    for, its `tel:` link (percent-encoded: `#` would start a fragment), hours, cost and
    languages. Made once per locale and set of lines (`kept_for`): the welcome and urgent
    pages show them on every request."""
    muni = municipality.current(db.session)
    contacts = muni.emergency_contacts if muni else []
    locale = str(get_locale() or "ja")
    by_locale = kept_for("tsunagi.emergency_contacts", repr(contacts))
    lines = by_locale.get(locale)
    if lines is None:
        lines = by_locale[locale] = [{
            "label": gettext(EMERGENCY_TEXTS[c["kind"]]), "number": c["number"],
            "href": "tel:" + quote(c["number"], safe="+-"),
            "hours": (gettext(EMERGENCY_ALWAYS) if c.get("hours", "always") == "always"
                      else municipality.localized(c["hours"], locale)),
            "cost": gettext(EMERGENCY_COSTS[c.get("cost", "charged")]),
            "languages": gettext("Languages: %(languages)s") % {
                "languages": language_names(c.get("languages", ["ja"]), locale)},
        } for c in contacts]
    return [dict(line) for line in lines]


def office_card(provider, locale: str) -> dict[str, Any]:
    """An office as a resident needs it on a receipt or the follow-up page, in `locale`:
    its name as the municipality renders it (else the official name, romanised), what kind
    of office it is, the official Japanese name with its reading and romanisation (to match
    the sign on the door and say it on the phone), its phone, hours and languages."""
    name = provider.name
    kind = gettext(SERVICES[provider.service])
    return {
        "name": municipality.localized(name, locale),
        "translated": language_of(locale) != "ja" and municipality.translation(name, locale) is not None,
        "kind": kind[:1].upper() + kind[1:],
        "official_name": name["ja"],
        "reading": name.get(municipality.READING) or "",
        "romaji": name.get(municipality.ROMAJI) or "",
        "japanese": language_of(locale) == "ja",
        "phone": provider.phone,
        "hours": municipality.localized(provider.hours, locale),
        "languages": gettext("Languages: %(languages)s") % {"languages": language_names(provider.languages, locale)},
    }


def language_names(codes: list[str], locale: str) -> str:
    """Language codes as their names in the reader's language (Babel's CLDR data)."""
    reader = Locale.parse(language_of(locale))
    names = []
    for code in codes:
        try:
            names.append(Locale.parse(code).get_language_name(reader) or code)
        except (ValueError, UnknownLocaleError):
            names.append(code)
    return format_list(names, locale=reader)


def kept_for(name: str, content) -> dict:
    """A dict kept on the app (per process) for what is made from `content`, the
    municipality's data as the request read it from the database: when the content read
    differs (a new municipality file loaded), what was made from the old content is dropped,
    so no page shows it after that request."""
    kept = current_app.extensions.setdefault(name, {})
    values = kept.get(content)
    if values is None:
        kept.clear()
        values = kept[content] = {}
    return values


# Stands in for the request's CSRF token (per session) in a page kept for other requests:
# a private-use character, in no page, and no kanji.
TOKEN_MASK = "\ue000csrf-token\ue000"


def masked_token(page: str) -> str | None:
    """`page` with this request's CSRF token (if it made one) replaced by TOKEN_MASK, to keep
    it for other requests; None when the page cannot be kept so (it holds the mask itself)."""
    if TOKEN_MASK in page:
        return None
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return page.replace(token, TOKEN_MASK) if token else page


def unmasked_token(page: str) -> str:
    """A page kept by `masked_token`, with the token of this request (made if needed, as
    rendering would: the session gets its CSRF secret)."""
    return page.replace(TOKEN_MASK, generate_csrf()) if TOKEN_MASK in page else page


def render_fixed(template: str, content, context: Callable[[], dict[str, Any]]) -> str:
    """`render_template(template, **context())` for a page of fixed texts, where nothing but
    its address (path and query: locale, furigana, view arguments), the locale, `content`
    (all the page shows of the database, hashable: the place, the emergency lines) and the
    CSRF token differ between requests: rendered once and kept on the app (templates and
    catalogs change only with a restart; while templates reload, in development, nothing is
    kept). Never for a page showing a resident's answers."""
    if current_app.jinja_env.auto_reload:
        return render_template(template, **context())
    pages = current_app.extensions.setdefault("tsunagi.fixed_pages", {})
    key = (template, request.method, request.full_path, str(get_locale()), content)
    page = pages.get(key)
    if page is None:
        rendered = render_template(template, **context())
        kept = masked_token(rendered)
        if kept is None:
            return rendered
        if len(pages) >= 256:  # addresses with arbitrary queries, or old content: bounded
            pages.clear()
        pages[key] = page = kept
    return unmasked_token(page)


def furigana_reader() -> furigana.Reader:
    """The furigana reader with the project's reading dictionary and the municipality's
    own readings (its `furigana:`); one per set of words, kept on the app."""
    muni = municipality.current(db.session)
    words = {**furigana.project_dictionary(), **((muni.furigana or {}) if muni else {})}
    kept = kept_for("tsunagi.furigana", tuple(sorted(words.items())))
    reader = kept.get("reader")
    if reader is None:
        reader = kept["reader"] = furigana.Reader(words)
    return reader
