"""Resident-facing pages: the kiosk journey and the follow-up page."""
from flask import Blueprint, g, render_template, request

from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web import errors, ruby

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/kiosk", cli_group=None)


def _error_page(status: int, message: str) -> str | None:
    """On a kiosk, the error page keeps the kiosk's quick exit and idle reset."""
    kiosk = g.get("kiosk")
    if kiosk is None:
        return None
    locale = (request.view_args or {}).get("locale")
    extra = {"locale": locale} if locale in LOCALES else {}
    return render_template("kiosk/error.html", status=status, message=message, loc=kiosk, in_progress=True,
                           **extra)


errors.register_page(bp, _error_page)
# Where a resident's furigana choice must not follow: the picker after a reset, the reset itself.
# The pages of fixed texts (no answer of the resident's on them) are annotated once.
ruby.for_pages(bp, not_carried={"kiosk.choose_language", "kiosk.finish", "kiosk.home", "kiosk.static",
                                   "kiosk.voice"},
               fixed=frozenset({"kiosk.choose_language", "kiosk.welcome", "kiosk.urgent"}))

from kiosk import views, voice  # noqa: E402,F401
