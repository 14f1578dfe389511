"""The templates' gettext follows the request's locale, and `force_locale` inside it, while
it looks the catalog up once per locale (tsunagi.web.i18n._catalog)."""
from __future__ import annotations

from babel.support import Translations
from flask import render_template_string
from flask_babel import force_locale

from tsunagi.domain import TRANSLATIONS


def a_translated_message(*locales: str) -> tuple[str, dict[str, str]]:
    """A msgid translated differently in each of `locales`, with its translations."""
    catalogs = {loc: Translations.load(str(TRANSLATIONS), [loc]) for loc in locales}
    for msgid in catalogs[locales[0]]._catalog:
        if not isinstance(msgid, str) or not msgid or "\x04" in msgid or "%" in msgid:
            continue
        texts = {loc: catalogs[loc].ugettext(msgid) for loc in locales}
        if len(set(texts.values()) | {msgid}) == len(locales) + 1:
            return msgid, texts
    raise AssertionError("no message translated in all of them")


def test_templates_follow_the_locale_and_force_locale(app):
    msgid, texts = a_translated_message("ja", "vi", "pt_BR")
    template = "{{ _(m) }}|{{ gettext(m) }}"
    with app.test_request_context("/f?lang=vi"):
        assert render_template_string(template, m=msgid) == f"{texts['vi']}|{texts['vi']}"
        with force_locale("ja"):
            assert render_template_string(template, m=msgid) == f"{texts['ja']}|{texts['ja']}"
            with force_locale("pt_BR"):
                assert render_template_string("{{ _(m) }}", m=msgid) == texts["pt_BR"]
            assert render_template_string("{{ _(m) }}", m=msgid) == texts["ja"]
        assert render_template_string("{{ _(m) }}", m=msgid) == texts["vi"]
    with app.test_request_context("/f?lang=pt_BR"):
        assert render_template_string("{{ _(m) }}", m=msgid) == texts["pt_BR"]
