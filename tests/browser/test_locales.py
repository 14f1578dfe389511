"""The default intake completed in every shipped locale, each screen in that language."""
from __future__ import annotations

import pytest
from babel.support import Translations

from tsunagi.domain.furigana import without_authored
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web.i18n import TRANSLATIONS, html_lang

pytestmark = pytest.mark.browser

# The words as written: without furigana readings (やさしい日本語 shows them by default,
# as ruby instead of the brackets of its catalog).
WRITTEN = """(el) => { const c = el.cloneNode(true);
  c.querySelectorAll("rt, rp").forEach((n) => n.remove()); return c.textContent.trim(); }"""

ANSWERS = [  # (step title msgid, inputs to check by name and value)
    ("About the person", [("subject", "self"), ("age_band", "65_plus")]),
    ("Your worries", [("concerns", "health"), ("concerns", "isolation")]),
    ("Household", [("household", "lives_alone")]),
    ("Safety", [("danger_now", "no")]),
    ("Where you live", [("area", "kita")]),
    ("How to reach you", []),
]


@pytest.mark.parametrize("locale", list(LOCALES))
def test_default_intake_in_each_locale(live_server, browser, locale):
    catalog = Translations.load(str(TRANSLATIONS), [locale])

    def gettext(msgid: str) -> str:
        return without_authored(catalog.gettext(msgid))

    context = browser.new_context()
    page = context.new_page()

    def heading_is(msgid: str) -> None:
        assert page.locator("html").get_attribute("lang") == html_lang(locale)
        assert page.locator("h1").evaluate(WRITTEN) == gettext(msgid), (locale, msgid)

    page.goto(f"{live_server.url}/k/lib-chuo/")
    page.locator(f'a[href="/k/lib-chuo/{locale}/"]').click()
    heading_is("Do you have a worry? Tell us here.")
    page.locator("main button.primary").click()
    for title, inputs in ANSWERS:
        heading_is(title)
        for name, value in inputs:
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        page.locator("main button.primary").click()
    heading_is("Check your answers")
    page.locator("main a.button.primary").click()
    heading_is("Your agreement")
    # Why this office, in the resident's language, before they agree (never on the receipt).
    reasons = page.locator("ul.reasons li").evaluate_all(f"(items) => items.map({WRITTEN})")
    assert gettext("Aged 65 or over") in reasons
    page.locator('input[name="share"][value="yes"]').check()
    page.locator('input[name="multi_agency_meeting"][value="yes"]').check()
    page.locator("main button.primary").click()
    heading_is("Thank you. Here is your receipt.")
    assert page.locator(".code").inner_text()
    assert page.locator("ul.reasons").count() == 0
    context.close()
