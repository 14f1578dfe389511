"""The demo's own question 「通訳が必要ですか」 (municipalities/demo.yaml) in Chromium: the
outreach app renders it from the form spec in the resident's language, sends its answer,
and the demo's rule flags the intake; the kiosk's and the app's step has no axe violations."""
from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from tests.browser.steps import choose, intake_named
from tests.browser.test_kiosk_a11y import browser_locale, check, violations
from tests.browser.test_pwa import sign_in, wait_for_service_worker

pytestmark = pytest.mark.browser

LABELS = {"en": ("Do you need an interpreter?", "Yes, I need an interpreter"),
          "my": ("စကားပြန် လိုအပ်ပါသလား။", "ဟုတ်ကဲ့၊ စကားပြန် လိုအပ်ပါသည်"),
          "th": ("คุณต้องการล่ามหรือไม่", "ใช่ ต้องการล่าม")}


def to_contact_step(page, within: str) -> None:
    """A 65+ resident of the north district, in no danger, up to the contact step."""
    def next_step() -> None:
        page.locator("#step-form button[type=submit]").click()

    check_in = page.locator(within)
    for name, value in (("subject", "self"), ("age_band", "65_plus")):
        check_in.locator(f"input[name={name}][value='{value}']").check()
    next_step()
    check_in.locator("input[name=concerns][value=health]").check()
    next_step()
    next_step()  # household: nothing chosen
    check_in.locator("input[name=danger_now][value=no]").check()
    next_step()
    check_in.locator("input[name=area][value=kita]").check()
    next_step()
    check_in.locator("input[name=interpreter]").first.wait_for(state="visible")


@pytest.mark.parametrize("locale", list(LABELS))
def test_the_outreach_app_asks_the_municipality_question_and_sends_the_answer(live_server, browser, engine, locale):
    context = browser.new_context(locale=browser_locale(locale))
    page = context.new_page()
    sign_in(page, live_server, locale)
    wait_for_service_worker(page)
    page.locator("#new-intake").click()
    to_contact_step(page, "#intake")
    label, yes = LABELS[locale]
    # Rendered from the form spec, in the resident's language, as a group of its choices.
    assert page.locator("#intake fieldset legend", has_text=label).is_visible()
    assert page.locator("#intake").get_by_label(yes, exact=True).is_visible()
    assert violations(page) == []
    page.locator("#intake").get_by_label(yes, exact=True).check()
    name = f"Interpreter {locale}"
    page.locator("#intake input[name=name]").fill(name)
    page.locator("#intake input[name=phone]").fill("090-1111-2222")
    page.locator("#step-form button[type=submit]").click()
    page.locator("#consent").wait_for(state="visible")
    page.locator("input[name=mode][value=verbal]").check()
    page.locator("input[name=share][value=yes]").check()
    page.locator("input[name=multi_agency_meeting][value=yes]").check()
    page.locator("input[name=contact_methods][value=phone]").check()
    page.locator("#consent-form button[type=submit]").click()
    page.locator("#result").wait_for(state="visible")
    deadline = time.monotonic() + 20
    while True:  # online, the app sends it at once
        with Session(engine) as session:
            intake = intake_named(session, name)
            if intake is not None or time.monotonic() > deadline:
                break
        time.sleep(0.2)
    assert intake is not None
    with Session(engine) as session:
        intake = intake_named(session, name)
        assert intake.answers["interpreter"] == "yes"
        assert "needs_interpreter" in intake.decision["signals"]  # the demo's rule read it
    context.close()


def test_the_kiosk_step_with_the_question_has_no_axe_violations(live_server, browser):
    context = browser.new_context(locale="ne")
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/ne/")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    for step in ([("subject", "self"), ("age_band", "65_plus")], [("concerns", "health")], [],
                 [("danger_now", "no")], [("area", "kita")]):
        for name, value in step:
            check(page, name, value)
        page.locator("main form .nav button.primary").click()
        page.wait_for_load_state()
    assert page.url.endswith("/contact")
    assert page.get_by_text("के तपाईंलाई दोभाषे चाहिन्छ?").is_visible()
    choose(page, "हो, मलाई दोभाषे चाहिन्छ")
    assert violations(page) == []
    context.close()
