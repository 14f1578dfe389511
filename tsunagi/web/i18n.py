"""Locales and the choice of locale for each request."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Flask, current_app, g, request
from flask_babel import force_locale, get_locale, get_translations, gettext, pgettext

from tsunagi.domain import TRANSLATIONS
from tsunagi.domain.vocabulary import ACTION_LABELS, JST, LOCALES, OUTCOME_LABELS, RETURN_REASONS, STATUS_LABELS


def speaks(bp: Blueprint, locale: str) -> None:
    """Every page of `bp` is in `locale` (the provider pages are Japanese), whatever the
    browser asks for."""
    bp.record_once(lambda state: state.app.extensions.setdefault("tsunagi.fixed_locales", {})
                   .__setitem__(bp.name, locale))


def select_locale() -> str:
    """Kiosk pages carry the locale in the URL; /f takes ?lang=; a blueprint may speak one
    locale only (`speaks`); else the browser's choice."""
    args = request.view_args or {}
    if args.get("locale") in LOCALES:
        return args["locale"]
    if request.args.get("lang") in LOCALES:
        return request.args["lang"]
    fixed = current_app.extensions.get("tsunagi.fixed_locales", {}).get(request.blueprint)
    if fixed:
        return fixed
    return request.accept_languages.best_match(list(LOCALES)) or "ja"


def jst(value) -> str:
    """A time as staff in Japan read it: Japan time, to the minute (pages say once that
    times are JST). Takes an aware datetime or an ISO 8601 string; "" for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def html_lang(locale) -> str:
    """BCP 47 tag for a `lang` attribute: zh_Hans → zh-Hans, pt_BR → pt-BR; やさしい日本語
    (ja@easy, which has no code of its own) is Japanese: ja."""
    return str(locale or "ja").split("@")[0].replace("_", "-")


def spec_gettext(message: str) -> str:
    """gettext of a text looked up by value (a form-spec label, a stored code's label): a
    bare "Yes" or "No" is a form-spec answer, translated with its msgctxt (a fact;
    forms.extract.spec_context)."""
    from forms.extract import spec_context

    context = spec_context(message)
    return pgettext(context, message) if context else gettext(message)


def gettext_in(locale: str):
    """A gettext bound to `locale`, for rendering stored reasons for another reader
    (`spec_gettext`: Yes and No as the form spec means them). The catalog is looked up
    once, at the first message, not once per message."""
    from forms.extract import spec_context

    catalog = []

    def translate(message: str) -> str:
        if not catalog:
            with force_locale(locale):
                catalog.append(get_translations())
        context = spec_context(message)
        return catalog[0].upgettext(context, message) if context else catalog[0].ugettext(message)

    return translate


class MissingTranslations(RuntimeError):
    pass


def missing_translations(msgids: list[str]) -> dict[str, list[str]]:
    """The msgids without a translation in each shipped locale's compiled catalog.

    English is the source language: its msgids are the text. Yes and No are looked up
    with the msgctxt the form spec gives them (forms.extract.spec_context).
    """
    from babel.support import Translations

    from forms.extract import spec_context

    missing: dict[str, list[str]] = {}
    for locale in LOCALES:
        if locale == "en":
            continue
        catalog = Translations.load(str(TRANSLATIONS), [locale])
        table = getattr(catalog, "_catalog", {})
        gone = [m for m in msgids
                if not table.get(f"{spec_context(m)}\x04{m}" if spec_context(m) else m)]
        if gone:
            missing[locale] = gone
    return missing


def catalog_text(locale: str) -> str:
    """Every text of `locale`'s compiled catalog, joined (English: the source texts)."""
    from babel.messages.mofile import read_mo

    mo = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    if not mo.exists():
        return ""
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    texts: list[str] = []
    for message in catalog:
        text = message.id if locale == "en" else message.string
        texts += [text] if isinstance(text, str) else list(text)  # plural forms: a tuple
    return "\n".join(texts)


def require_translations(msgids: list[str], what: str) -> None:
    """:raise MissingTranslations: naming `what`, the locale and the first missing text."""
    missing = missing_translations(msgids)
    if missing:
        lines = [f"{locale}: {len(ids)} missing, first {ids[0]!r}" for locale, ids in missing.items()]
        raise MissingTranslations(
            f"{what} is not translated in every shipped locale (run `flask translate compile` "
            "after translating):\n" + "\n".join(lines))


def _catalog():
    """`get_translations()`, kept on the request for the locale it was found for. The locale
    is Flask-Babel's per-request one (`g._flask_babel.babel_locale`, which `force_locale`
    replaces and puts back): another locale object, or none yet, looks the catalog up again."""
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    kept = g.get("_tsunagi_catalog")
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    g._tsunagi_catalog = (getattr(state, "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    from tsunagi.web.extensions import babel

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    # The templates' gettext: Flask-Babel's looks the catalog up again for every message
    # (a fifth of the inbox page's time, bench/stall.py); this one once per locale a
    # request renders in.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, ACTION_LABELS=ACTION_LABELS,
                                 OUTCOME_LABELS=OUTCOME_LABELS, RETURN_REASONS=RETURN_REASONS)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["html_lang"] = html_lang
    app.jinja_env.filters["jst"] = jst
