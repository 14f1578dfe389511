"""Furigana on the resident pages in Japanese (`ja`, and やさしい日本語 `ja@easy`).

The choice lives in the URL like the language (`?furigana=1` or `0`), so it follows the
resident through the journey and leaves nothing behind: no cookie, no storage. Japanese
starts without furigana, やさしい日本語 with them. The page is rendered as usual and its
text nodes get `<ruby>` on the way out (tsunagi.furigana).
"""
from __future__ import annotations

from flask import Response, has_request_context, request, url_for
from flask_babel import get_locale

from tsunagi import furigana
from tsunagi.context import furigana_reader

# Where a resident's choice must not follow: the picker after a reset, the reset itself.
NOT_CARRIED = {"kiosk.choose_language", "kiosk.finish", "kiosk.home", "kiosk.static"}


def shown() -> bool | None:
    """Whether this page shows furigana; None when its language has none. The outreach
    app's shell starts with its language's default and toggles them in the page."""
    locale = str(get_locale())
    if locale not in furigana.LOCALES:
        return None
    if request.endpoint == "outreach.shell":
        return furigana.LOCALES[locale]
    if request.blueprint != "kiosk":
        return None
    asked = request.args.get("furigana")
    return asked == "1" if asked in ("0", "1") else furigana.LOCALES[locale]


def toggle_url() -> str | None:
    """This page with furigana switched the other way, for the header's toggle."""
    now = shown()
    if now is None or request.endpoint is None:
        return None
    args = dict(request.args.to_dict(), **(request.view_args or {}), furigana="0" if now else "1")
    return url_for(request.endpoint, **args)


def keep_choice(endpoint: str, values: dict) -> None:
    """url_defaults: links and redirects of resident pages keep `?furigana=`."""
    if not has_request_context() or endpoint in NOT_CARRIED:
        return
    asked = request.args.get("furigana")
    if asked in ("0", "1"):
        values.setdefault("furigana", asked)


def annotate(response: Response) -> Response:
    """after_request: ruby over the kanji of an HTML page when furigana are shown; on a
    やさしい日本語 page without them, the readings written in brackets come out too."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    on = shown()
    if on is None:
        return response
    page = response.get_data(as_text=True)
    if on:
        page = furigana.annotate_html(page, furigana_reader())
    elif str(get_locale()) == "ja@easy":
        page = furigana.strip_authored_html(page)
    else:
        return response
    response.set_data(page)
    return response


def annotate_shell(response: Response) -> Response:
    """after_request of the outreach app: its Japanese shell always carries the readings;
    the page shows or hides them (outreach.js), so a toggle loses no answer in memory."""
    if request.endpoint != "outreach.shell" or shown() is None or response.mimetype != "text/html":
        return response
    response.set_data(furigana.annotate_html(response.get_data(as_text=True), furigana_reader()))
    return response


def init(bp) -> None:
    bp.url_defaults(keep_choice)
    bp.after_request(annotate)
    bp.app_context_processor(lambda: {"furigana_shown": shown, "furigana_toggle_url": toggle_url})
