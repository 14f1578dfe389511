"""The default intake completed in every shipped locale, each screen in that language."""
from __future__ import annotations

import pytest
from babel.support import Translations

from tsunagi.i18n import TRANSLATIONS, html_lang
from tsunagi.locales import LOCALES

pytestmark = pytest.mark.browser

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
    t = Translations.load(str(TRANSLATIONS), [locale])
    context = browser.new_context()
    page = context.new_page()

    def heading_is(msgid: str) -> None:
        assert page.locator("html").get_attribute("lang") == html_lang(locale)
        assert page.locator("h1").inner_text().strip() == t.gettext(msgid), (locale, msgid)

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
    page.locator('input[name="share"][value="yes"]').check()
    page.locator('input[name="multi_agency_meeting"][value="yes"]').check()
    page.locator("main button.primary").click()
    heading_is("Thank you. Here is your receipt.")
    reasons = page.locator("section.reasons li").all_inner_texts()
    assert t.gettext("Aged 65 or over") in reasons
    assert page.locator(".code").inner_text()
    context.close()
