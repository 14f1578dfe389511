"""The walking skeleton end to end: a resident at the library kiosk, the QR read by a real
scanner, the follow-up page, and the provider's inbox — in Chromium against gunicorn."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.browser.steps import office_sign_in

pytestmark = pytest.mark.browser


def choose(page, label: str) -> None:
    page.get_by_label(label, exact=True).check()


def test_resident_journey_to_provider_inbox(live_server, browser, context, tmp_path):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/")
    page.get_by_role("link", name="English").click()
    page.get_by_role("button", name="Start").click()

    assert page.locator(".progress").inner_text().startswith("1 /")
    choose(page, "Myself")
    choose(page, "65 or over")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()  # no worry chosen: the step asks again
    assert page.get_by_text("Please choose at least one answer.").is_visible()
    choose(page, "Health")
    choose(page, "Loneliness or staying at home")
    page.get_by_role("button", name="Next").click()
    choose(page, "Lives alone")
    page.get_by_role("button", name="Next").click()
    choose(page, "No")
    page.get_by_role("button", name="Next").click()
    choose(page, "North district")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Your name (a nickname is fine)").fill("Ana Lima")
    page.get_by_label("Phone number").fill("090-1111-2222")
    page.get_by_role("button", name="Next").click()

    assert page.get_by_role("heading", name="Check your answers").is_visible()
    page.get_by_role("link", name="These answers are right: next").click()
    assert page.get_by_role("heading", name="Your agreement").is_visible()
    assert page.locator(".destination .provider").inner_text() == "North Community General Support Center"
    choose(page, "Yes, send them")
    page.locator("input[name=multi_agency_meeting][value=yes]").check()
    choose(page, "Phone call")
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("heading", name="Thank you. Here is your receipt.").is_visible()
    assert page.get_by_text("03-5555-0101").is_visible()
    code = page.locator(".code").inner_text()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{6}", code)

    # A real scanner reads the QR from the screen.
    shot = tmp_path / "qr.png"
    page.locator("svg.qr").screenshot(path=str(shot))
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(shot)], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert re.fullmatch(re.escape(live_server.url) + r"/f#[A-Za-z0-9_-]{32}", scanned)

    page.get_by_role("button", name="Finish and clear this screen").click()
    assert page.get_by_text("Choose your language").is_visible()

    # The resident's phone opens the scanned URL.
    phone = context.browser.new_context(locale="en-US")
    follow = phone.new_page()
    follow.goto(scanned)
    status = follow.locator("#status")
    status.wait_for(state="visible")
    assert "North Community General Support Center" in status.inner_text()
    assert "has been received" in status.inner_text()
    phone.close()

    # The routed provider finds it; another provider does not.
    for username, sees in (("houkatsu-kita", True), ("houkatsu-minami", False)):
        office = context.browser.new_context()
        inbox = office.new_page()
        office_sign_in(inbox, live_server, username)
        links = inbox.get_by_role("link", name="開く")
        assert links.count() == (1 if sees else 0), username
        if sees:
            links.first.click()
            assert inbox.get_by_text("Ana Lima").is_visible()
            assert inbox.get_by_text("65歳以上").first.is_visible()
        office.close()

    # Nothing in the server's log carries the token, the code or the name.
    log = live_server.log.read_text()
    token = scanned.split("#", 1)[1]
    for secret in (token, code, code.replace("-", ""), "Ana Lima", "090-1111-2222"):
        assert secret not in log
