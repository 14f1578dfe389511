"""A municipality's own urgent rule (its rules file, `extends: default`) shows the emergency
numbers at once, at the kiosk and in the outreach app, exactly as the triage marks the
intake urgent: the one policy decides everywhere."""
from __future__ import annotations

import pytest

from tests.browser.test_pwa import sign_in

pytestmark = pytest.mark.browser

RULES = """\
version: city-2026.1
extends: default
reasons:
  urgent_mental_health:
    ja: 心の不調があり、急ぎの相談です
    en: Mental health worries need a quick answer
urgent:
  - {when: {answer: concerns, has: mental_health}, signal: mental_health, reason: urgent_mental_health}
"""


@pytest.fixture(scope="module")
def live_server_env(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "city-rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return {"TSUNAGI_TRIAGE_RULES_FILE": str(path)}


def choose(page, label: str, within: str = "main") -> None:
    page.locator(within).get_by_label(label, exact=True).check()


def kiosk_worried_about(live_server, context, worry: str):
    """A resident aged 65 or over at the library kiosk, through the worries step."""
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/en/")
    page.get_by_role("button", name="Start").click()
    choose(page, "Myself")
    choose(page, "65 or over")
    page.get_by_role("button", name="Next").click()
    choose(page, worry)
    page.get_by_role("button", name="Next").click()
    return page


def test_the_kiosk_shows_the_emergency_numbers_for_the_municipalitys_own_rule(live_server, context):
    page = kiosk_worried_about(live_server, context, "Mental health or stress")
    # No danger was answered (that step comes later): the city's own rule alone is urgent.
    page.wait_for_url("**/urgent**")
    assert page.get_by_role("heading", name="If you or someone is in danger, call now").is_visible()
    assert page.locator(".emergency a.call").count() >= 1
    assert page.locator(".emergency a.call").first.get_attribute("href").startswith("tel:")


def test_a_worry_the_rule_does_not_name_is_not_urgent_at_the_kiosk(live_server, context):
    page = kiosk_worried_about(live_server, context, "Health")
    page.get_by_role("heading", name="Household").wait_for()
    assert "/urgent" not in page.url


def test_the_outreach_app_shows_the_emergency_numbers_for_the_municipalitys_own_rule(live_server, context):
    page = context.new_page()
    sign_in(page, live_server)
    page.get_by_role("button", name="New intake").click()
    choose(page, "Myself", "#intake")
    choose(page, "65 or over", "#intake")
    page.locator("#intake").get_by_role("button", name="Next").click()
    choose(page, "Mental health or stress", "#intake")
    page.locator("#intake").get_by_role("button", name="Next").click()
    page.locator("#urgent").wait_for(state="visible")
    assert page.locator("#urgent .emergency a.call").count() >= 1
    # Continuing goes on with the form where it was: the household step.
    page.locator("#urgent-continue").click()
    page.locator("#intake").wait_for(state="visible")
    assert page.locator("#step-title").inner_text() == "Household"
