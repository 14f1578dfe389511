"""Locales and the choice of locale for each request."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import force_locale, get_locale, gettext

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

from tsunagi.locales import LOCALES, PROVIDER_LOCALE  # noqa: F401  (re-exported)


def select_locale() -> str:
    """Kiosk pages carry the locale in the URL; /f takes ?lang=; provider pages are Japanese."""
    args = request.view_args or {}
    if args.get("locale") in LOCALES:
        return args["locale"]
    if request.args.get("lang") in LOCALES:
        return request.args["lang"]
    if request.blueprint == "inbox":
        return PROVIDER_LOCALE
    return request.accept_languages.best_match(list(LOCALES)) or "ja"


def gettext_in(locale: str):
    """A gettext bound to `locale`, for rendering stored reasons for another reader."""

    def translate(message: str) -> str:
        with force_locale(locale):
            return gettext(message)

    return translate


def init_app(app: Flask) -> None:
    from tsunagi.extensions import babel

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals["get_locale"] = get_locale
