"""A provider works the case in the inbox and the resident sees each step on the
follow-up page, in the resident's language, on the next load."""
from __future__ import annotations

import pytest

from tests.browser.steps import office_sign_in, submit_by_api

pytestmark = pytest.mark.browser


def test_inbox_actions_show_on_the_follow_up_page(live_server, browser):
    created = submit_by_api(live_server)
    assert created["decision"]["provider"]["id"] == "kodomo"
    follow_url = created["follow_up"]["url"]

    resident = browser.new_context(locale="en-US")
    phone = resident.new_page()
    phone.goto(follow_url)
    status = phone.locator("#status")
    status.wait_for(state="visible")
    assert "has been received" in status.inner_text()

    office = browser.new_context(locale="ja-JP")
    inbox = office.new_page()
    office_sign_in(inbox, live_server, "kodomo")
    inbox.get_by_role("link", name="開く").first.click()
    assert inbox.get_by_text("Joana Silva").is_visible()

    for button, expected in (("受け付ける", "has taken on your consultation"), ("連絡済みにする", "has contacted you")):
        inbox.get_by_role("button", name=button, exact=True).click()
        inbox.get_by_role("status").filter(has_text="完了しました").wait_for()
        phone.reload()
        status = phone.locator("#status")
        status.wait_for(state="visible")
        assert expected in status.inner_text(), button
        assert "Tsunagi Children and Family Center" in status.inner_text()
    assert "連絡済み" in inbox.locator("table.facts").inner_text()

    # The resident writes to the office; the office reads it in the inbox.
    phone.locator("#message").fill("Please call after 6 pm.")
    phone.get_by_role("button", name="Send message").click()
    phone.get_by_text("Your message was sent to the office.").wait_for()
    inbox.reload()
    assert inbox.get_by_text("Please call after 6 pm.").is_visible()

    # The resident switches the page to Japanese; the token stays in the fragment.
    phone.get_by_role("link", name="日本語").click()
    phone.wait_for_url("**/f?lang=ja#*")
    status = phone.locator("#status")
    status.wait_for(state="visible")
    assert "つなぎ市こども家庭センターからあなたに連絡しました。" == status.inner_text()
    resident.close()
    office.close()
