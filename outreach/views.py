"""The outreach app's shell, web app manifest and service worker.

Everything the app shows is rendered here in the page's locale (labels, messages for the
script, emergency numbers), so the service worker can keep one copy per locale for use
offline. Resident data never passes through these views: intakes go to the JSON API.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from outreach import bp
from tsunagi.domain.consent import CONTACT_PROBLEMS
from tsunagi.domain.vocabulary import CONTACT_KINDS, CONTACT_RESULTS, LOCALES
from tsunagi.web import fonts
from tsunagi.web.context import emergency_contacts
from tsunagi.web.i18n import html_lang

FORM_ID = "intake-default"
STATIC = Path(__file__).resolve().parent / "static"
# The shared files the app uses too (the residents' stylesheet, the furigana drawing).
SHARED = ("kiosk.css", "ruby.js")
ICON_SIZES = (192, 512)


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        abort(404)


@lru_cache(maxsize=1)
def _assets_version() -> str:
    """Changes whenever a static file of the app changes, so the service worker (whose
    script embeds it) is updated and caches a fresh shell."""
    digest = hashlib.sha256()
    shared = Path(current_app.static_folder)
    files = [p for p in sorted(STATIC.rglob("*")) if p.is_file()] + [shared / name for name in SHARED]
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    # The fonts' addresses change with their content (tsunagi.web.fonts): the stylesheets' hash says it all.
    digest.update(fonts.stylesheet_version().encode())
    return digest.hexdigest()[:16]


def _version() -> str:
    # Templates and catalogs change with a deploy too; the form spec's version and the
    # assets cover what the app caches besides the pages, which are refreshed online anyway.
    from forms.spec import load_form

    return f"{_assets_version()}-{load_form(FORM_ID).version}"


@bp.get("/")
def start():
    """The installed app's start URL: the shell in the phone's language."""
    locale = request.accept_languages.best_match(list(LOCALES)) or "ja"
    return redirect(url_for("outreach.shell", locale=locale))


@bp.get("/<locale>/")
def shell(locale: str):
    """The whole app in one page: sign-in, choice of location, the queue of unsent
    intakes, the intake form and consent (built by outreach.js from the form spec), and
    the people the worker keeps in touch with before they consent."""
    _check_locale(locale)
    # The script fills in the number; Jinja's `_` would format the placeholder away.
    max_length_message = _("Please write at most %(max)d characters.")
    return render_template("outreach/app.html", locale=locale, form_id=FORM_ID,
                           emergency=emergency_contacts(), max_length_message=max_length_message,
                           contact_problems={code: _(text) for code, text in CONTACT_PROBLEMS.items()},
                           contact_kinds=[(code, _(text)) for code, text in CONTACT_KINDS.items()],
                           contact_results=[(code, _(text)) for code, text in CONTACT_RESULTS.items()])


@bp.get("/<locale>/manifest.webmanifest")
def manifest(locale: str):
    """The web app manifest, named in the page's language."""
    _check_locale(locale)
    icons = [{"src": url_for("outreach.static", filename=f"icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": "any"} for size in ICON_SIZES]
    icons.append({"src": url_for("outreach.static", filename="icon-maskable-512.png"), "sizes": "512x512",
                  "type": "image/png", "purpose": "maskable"})
    response = jsonify({
        "id": url_for("outreach.start"),
        "name": _("Tsunagi outreach intake"),
        "short_name": _("Outreach"),
        "description": _("Intake for outreach workers, also without a connection."),
        "lang": locale,
        "start_url": url_for("outreach.start"),
        "scope": url_for("outreach.start"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": icons,
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /outreach/ so that its scope is the app and never
    the kiosk. It lists what to keep for offline use: the shell of every locale, its
    static files, the form spec (with the consent text) of every locale, and the web font
    files that draw the texts of every locale; other font files are kept as pages use them."""
    static = ["outreach.js", "queue.js", "conditions.js", "outreach.css"] + [f"icon-{s}.png" for s in ICON_SIZES]
    precache = [url_for("outreach.shell", locale=code) for code in LOCALES]
    precache += [url_for("outreach.manifest", locale=code) for code in LOCALES]
    precache += [url_for("outreach.static", filename=name) for name in static]
    precache += [url_for("static", filename=name) for name in SHARED]
    precache += [url_for("api.form_spec", form_id=FORM_ID, locale=code) for code in LOCALES]
    needed = dict.fromkeys(url for code in LOCALES for url in fonts.stylesheets(html_lang(code), official_names=True))
    needed.update((url_for("static", filename=f"fonts/{name}"), None) for code in LOCALES for name in fonts.locale_files(code))
    precache += list(needed)
    body = render_template("outreach/sw.js", version=_version(), precache=precache,
                           locales=list(LOCALES), scope=url_for("outreach.start"),
                           static_prefix=url_for("outreach.static", filename=""),
                           fonts_prefix=url_for("static", filename="fonts/"),
                           forms_prefix=url_for("api.form_spec", form_id=FORM_ID))
    response = current_app.response_class(body, mimetype="text/javascript")
    return response
