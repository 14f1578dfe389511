"""Furigana on the resident pages in Japanese (`ja`, and やさしい日本語 `ja@easy`).

The choice lives in the URL like the language (`?furigana=1` or `0`), so it follows the
resident through the journey and leaves nothing behind: no cookie, no storage. Japanese
starts without furigana, やさしい日本語 with them. The page is rendered as usual and its
text nodes get `<ruby>` on the way out (tsunagi.furigana).
"""
from __future__ import annotations

from flask import Blueprint, Response, g, has_request_context, request, url_for
from flask_babel import get_locale

from tsunagi.domain import furigana
from tsunagi.domain.vocabulary import FURIGANA_LOCALES
from tsunagi.web.context import furigana_reader, masked_token, unmasked_token


def shown() -> bool | None:
    """Whether this page shows furigana; None when its language has none or its
    blueprint draws none. In the pages of `for_pages` the choice is the URL's; the shell of
    `for_shell` starts with its language's default and toggles them in the page."""
    locale = str(get_locale())
    mode = g.get("furigana_mode")
    if locale not in FURIGANA_LOCALES or mode is None:
        return None
    if mode == "shell":
        return FURIGANA_LOCALES[locale]
    asked = request.args.get("furigana")
    return asked == "1" if asked in ("0", "1") else FURIGANA_LOCALES[locale]


def toggle_url() -> str | None:
    """This page with furigana switched the other way, for the header's toggle."""
    now = shown()
    if now is None or request.endpoint is None:
        return None
    args = dict(request.args.to_dict(), **(request.view_args or {}), furigana="0" if now else "1")
    return url_for(request.endpoint, **args)


def for_pages(bp: Blueprint, not_carried: set[str], fixed: frozenset[str] = frozenset()) -> None:
    """Furigana on `bp`'s Japanese pages, chosen in the URL (`?furigana=1|0`): its links and
    redirects keep the choice, except to the endpoints in `not_carried` (a reset must
    forget it); text nodes get ruby on the way out. The pages of the endpoints in `fixed`
    hold only the product's and the municipality's texts, never what a resident wrote: each
    is annotated once and kept (`fixed_page`)."""

    def mode() -> None:
        g.furigana_mode = "url"

    def keep_choice(endpoint: str, values: dict) -> None:
        if not has_request_context() or endpoint in not_carried:
            return
        asked = request.args.get("furigana")
        if asked in ("0", "1"):
            values.setdefault("furigana", asked)

    bp.before_request(mode)
    bp.url_defaults(keep_choice)
    bp.after_request(lambda response: annotate(response, fixed))
    bp.app_context_processor(lambda: {"furigana_shown": shown, "furigana_toggle_url": toggle_url})


def for_shell(bp: Blueprint, endpoint: str) -> None:
    """The shell page `endpoint` of `bp` (the outreach app) always carries the readings of
    its Japanese texts; the page shows or hides them (outreach.js), so a toggle loses no
    answer held in memory."""

    def mode() -> None:
        if request.endpoint == f"{bp.name}.{endpoint}":
            g.furigana_mode = "shell"

    def annotate_shell(response: Response) -> Response:
        if g.get("furigana_mode") != "shell" or shown() is None or response.mimetype != "text/html":
            return response
        response.set_data(furigana.annotate_html(response.get_data(as_text=True), furigana_reader()))
        return response

    bp.before_request(mode)
    bp.after_request(annotate_shell)


def fixed_page(page: str, reader: furigana.Reader) -> str:
    """`furigana.annotate_html(page, reader)` for a page of fixed texts, parsed once per page:
    the CSRF token (per session) is the only part that changes from one request to the next,
    and it sits in attributes, which annotation leaves as they are."""
    masked = masked_token(page)
    if masked is None:
        return furigana.annotate_html(page, reader)
    return unmasked_token(reader.page(masked))


def annotate(response: Response, fixed: frozenset[str] = frozenset()) -> Response:
    """after_request: ruby over the kanji of an HTML page when furigana are shown; on a
    やさしい日本語 page without them, the readings written in brackets come out too. The
    pages of `fixed` (endpoints) are annotated once (`fixed_page`)."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    on = shown()
    if on is None:
        return response
    page = response.get_data(as_text=True)
    if on:
        reader = furigana_reader()
        page = fixed_page(page, reader) if request.endpoint in fixed else furigana.annotate_html(page, reader)
    elif str(get_locale()) == "ja@easy":
        page = furigana.strip_authored_html(page)
    else:
        return response
    response.set_data(page)
    return response
