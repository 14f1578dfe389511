"""A receipt that stands alone, on A4 and on an 80 mm receipt printer: city, office, what
happens next and by when, the follow-up address, a QR a real scanner reads, and a code
without punctuation. Full-width input, as a Japanese keyboard types it, works."""
from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy.orm import Session

from tests.browser.steps import intake_named
from tests.browser.test_first_contact import walk_to_consent

pytestmark = pytest.mark.browser

ELDER = [("subject", "self"), ("age_band", "65_plus"), ("concerns", "health"), ("household", "lives_alone"),
         ("danger_now", "no"), ("area", "kita")]
CODE = r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{6}"
WIDE = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # ASCII to its full-width form


@pytest.mark.parametrize("paper", [{"width": 794, "height": 1123}, {"width": 302, "height": 1400}],
                         ids=["A4", "80mm"])
def test_printed_receipt_stands_alone(live_server, context, engine, tmp_path, paper):
    page = context.new_page()
    name = f"Print {paper['width']}"
    walk_to_consent(page, live_server, "en", ELDER, name)
    page.locator("main input[name=share][value=yes]").check()
    page.locator("main input[name=multi_agency_meeting][value=no]").check()
    page.locator("main input[name=contact_methods][value=visit]").check()
    page.locator("main form .nav button.primary").click()
    page.locator(".next-step").wait_for()

    page.set_viewport_size(paper)
    page.emulate_media(media="print")
    printed = page.locator("main")
    for part in (".receipt-city", ".provider-card", ".next-step", ".follow-up-address", "svg.qr", ".code"):
        assert page.locator(part).is_visible(), part
    text = printed.inner_text()
    assert "Tsunagi City" in text and "North Community General Support Center" in text
    assert "北部地域包括支援センター" in text  # the name on the office's door
    assert re.search(r"within 2 business days, by \w+ \d{1,2}, \d{4}", text)
    assert f"Follow-up page: {live_server.url}/f" in text
    code = page.locator(".code").inner_text()
    assert re.fullmatch(CODE, code)
    # No needs, no age: nothing of the answers (the code and the address are random or fixed).
    words = text.replace(code, "").replace(live_server.url, "")
    assert "Health" not in words and "65" not in words
    assert not page.locator("form").first.is_visible()  # no buttons on paper

    shot = tmp_path / "qr.png"
    page.locator("svg.qr").screenshot(path=str(shot))
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(shot)], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert re.fullmatch(re.escape(live_server.url) + r"/f#[A-Za-z0-9_-]{32}", scanned)

    # The resident types the code from the paper on a Japanese keyboard: full width.
    phone = context.browser.new_context(locale="ja-JP")
    follow = phone.new_page()
    follow.goto(f"{live_server.url}/f")
    follow.locator("#code").fill(code.translate(WIDE).replace("-", "－"))
    follow.locator("#code-form button").click()
    follow.locator("#status").wait_for(state="visible")
    assert "has been received" in follow.locator("#status").inner_text()  # in the language of the intake
    phone.close()


def test_a_full_width_phone_number_is_accepted(live_server, context, engine):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/ja/")
    page.locator("main form button.primary").click()
    answers = list(ELDER)
    for _ in range(10):
        page.wait_for_load_state()
        asked = {el.get_attribute("name") for el in page.locator("main form input").all()}
        for key, value in [a for a in answers if a[0] in asked]:
            page.locator(f"main input[name={key}][value='{value}']").check()
            answers.remove((key, value))
        if "phone" in asked:
            page.locator("main input[name=name]").fill("全角 花子")
            page.locator("main input[name=phone]").fill("０９０－１２３４－５６７８")
            page.locator("main form .nav button.primary").click()
            break
        page.locator("main form .nav button.primary").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/review"), page.locator("main").inner_text()
    page.locator("main a.button.primary").last.click()
    page.locator("main input[name=share][value=yes]").check()
    page.locator("main input[name=multi_agency_meeting][value=no]").check()
    page.locator("main input[name=contact_methods][value=phone]").check()
    page.locator("main form .nav button.primary").click()
    page.locator(".next-step").wait_for()
    with Session(engine) as session:
        intake = intake_named(session, "全角 花子")
        assert intake.contact == {"phone": "090-1234-5678"}
