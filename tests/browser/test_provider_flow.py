"""A provider works the case in the inbox and the resident sees each step on the
follow-up page, in the resident's language, on the next load."""
from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from tests.browser.steps import office_sign_in

pytestmark = pytest.mark.browser


def submit_by_api(live_server) -> dict:
    """An intake made by the demo outreach worker through the API, in English."""
    creds = live_server.credentials()
    token = creds["outreach"]["api_token"]

    def call(method, path, body=None, headers=None):
        request = urllib.request.Request(f"{live_server.url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}", **(headers or {})})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    version = call("GET", "/api/v1/forms/intake-default?locale=en")["consent"]["version"]
    return call("POST", "/api/v1/intakes", {
        "form_id": "intake-default", "locale": "en", "channel": "outreach", "location": "outreach",
        "answers": {"subject": "self", "age_band": "18_39", "pregnant": "yes", "concerns": ["pregnancy"],
                    "danger_now": "no", "area": "minami"},
        "contact": {"name": "Joana Silva", "phone": "070-3333-4444"},
        "consent": {"version": version, "mode": "verbal",
                    "scopes": {"share_with_provider": True, "multi_agency_meeting": True,
                               "contact_methods": ["phone"]}},
    }, {"Idempotency-Key": str(uuid.uuid4())})


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

    for action, expected in (("accept", "has taken on your consultation"), ("contacted", "has contacted you")):
        inbox.locator("select[name=action]").select_option(action)
        inbox.get_by_role("button", name="実行").click()
        inbox.wait_for_load_state()
        phone.reload()
        status = phone.locator("#status")
        status.wait_for(state="visible")
        assert expected in status.inner_text(), action
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
