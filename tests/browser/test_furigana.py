"""Furigana in Chromium: the toggle on Japanese pages, readings drawn above the kanji,
read-aloud that does not read them twice, やさしい日本語 with readings from the start,
the follow-up page's status with readings, and axe-core on those pages."""
from __future__ import annotations

import pytest

from tests.browser.test_kiosk_a11y import check, next_step, violations
from tests.browser.test_kiosk_speech import FAKE_ENGINE

pytestmark = pytest.mark.browser


def above(page, selector: str) -> bool:
    """The first reading of `selector` is drawn in the upper part of its ruby."""
    return page.evaluate("""(selector) => {
      const rt = document.querySelector(selector + " rt");
      const ruby = rt.closest("ruby").getBoundingClientRect();
      const reading = rt.getBoundingClientRect();
      return reading.height > 0 && reading.bottom <= ruby.top + ruby.height * 0.6;
    }""", selector)


def test_japanese_furigana_toggle_follows_the_journey(live_server, browser):
    context = browser.new_context(locale="ja-JP")
    context.add_init_script(FAKE_ENGINE)
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/ja/")
    assert page.locator("rt").count() == 0
    page.get_by_role("link", name="ふりがなをつける").click()
    page.wait_for_load_state()
    assert page.url.endswith("?furigana=1")
    assert page.locator("main rt").count() > 5 and above(page, "main")
    assert violations(page) == []
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    assert "furigana=1" in page.url
    legend = page.locator("main fieldset legend").nth(1)
    assert legend.locator("rt").all_inner_texts() == ["ひと", "なんさい"]
    assert violations(page) == []
    # Read aloud says the words once, without their readings.
    page.get_by_role("button", name="読み上げる").nth(1).click()
    spoken = page.evaluate("() => window.spoken")[0]["text"]
    assert spoken.startswith("その人は何歳ですか") and "なんさい" not in spoken and "(" not in spoken
    # An answer, then the next step keeps the furigana.
    check(page, "subject", "self")
    check(page, "age_band", "65_plus")
    next_step(page)
    assert "furigana=1" in page.url and page.locator("main rt").count() > 0
    page.get_by_role("link", name="ふりがなをけす").click()
    page.wait_for_load_state()
    assert page.url.endswith("furigana=0") and page.locator("rt").count() == 0
    assert page.locator("main h1").inner_text() != ""
    context.close()


def test_easy_japanese_reads_with_furigana_through_to_the_follow_up_page(live_server, browser):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    base = f"{live_server.url}/k/lib-chuo/ja@easy"
    page.goto(f"{base}/")
    # やさしい日本語 starts with readings over the kanji, drawn above them, not in brackets.
    assert page.locator("main rt").count() > 0 and above(page, "main")
    assert "（そうだん）" not in page.locator("main").inner_text()
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    check(page, "subject", "self")
    check(page, "age_band", "65_plus")
    next_step(page)
    check(page, "concerns", "health")
    next_step(page)
    check(page, "household", "lives_alone")
    next_step(page)
    check(page, "danger_now", "no")
    next_step(page)
    check(page, "area", "kita")
    next_step(page)
    page.locator("main input[name=name]").fill("山田花子")
    next_step(page)
    assert page.url.split("?")[0].endswith("/review")
    # What the resident typed has no guessed reading.
    assert page.get_by_text("山田花子", exact=True).count() == 1
    assert violations(page) == []
    page.locator("main .nav a.primary").click()
    page.wait_for_load_state()
    check(page, "share", "yes")
    check(page, "multi_agency_meeting", "no")
    check(page, "contact_methods", "visit")  # no phone number was given
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    assert page.locator("main rt").count() > 0 and violations(page) == []
    code = page.locator(".code").inner_text()

    page.goto(f"{live_server.url}/f?lang=ja@easy")
    page.locator("#code").fill(code)
    page.locator("#code-form button").click()
    page.locator("#status").wait_for(state="visible")
    assert page.locator("#status rt").count() > 0
    assert page.locator("#provider-name rt").count() > 0
    assert "（" not in page.locator("#status").evaluate(
        "(el) => { const c = el.cloneNode(true); c.querySelectorAll('rt, rp').forEach((n) => n.remove());"
        " return c.textContent; }")
    assert violations(page) == []
    page.get_by_role("link", name="ふりがなを けす").click()
    page.wait_for_load_state()
    page.locator("#code").fill(code)
    page.locator("#code-form button").click()
    page.locator("#status").wait_for(state="visible")
    assert page.locator("rt").count() == 0
    assert "（そうだん）" not in page.locator("#status").inner_text()
    context.close()


def test_outreach_app_in_japanese_toggles_furigana_without_losing_answers(live_server, browser):
    """A resident reading the worker's phone: the toggle shows the readings over the
    questions the app builds from the form spec, in the page, keeping what was chosen."""
    from tests.browser.test_pwa import sign_in

    context = browser.new_context(locale="ja-JP", service_workers="block")
    page = context.new_page()
    sign_in(page, live_server, "ja")
    page.locator("#new-intake").click()
    page.locator("#intake").wait_for(state="visible")
    page.locator("#intake input[name=subject][value=self]").check()
    legend = page.locator("#step-questions legend").nth(1)
    readings = legend.locator("rt")
    assert readings.count() == 2 and [r.is_visible() for r in readings.all()] == [False, False]
    toggle = page.get_by_role("button", name="ふりがなをつける")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert [r.is_visible() for r in readings.all()] == [True, True]
    assert readings.all_inner_texts() == ["ひと", "なんさい"]
    assert above(page, "#step-questions")
    assert page.locator("#step-title rt").count() > 0
    assert page.locator("#intake input[name=subject][value=self]").is_checked()
    assert violations(page) == []
    page.get_by_role("button", name="ふりがなをけす").click()
    assert [r.is_visible() for r in readings.all()] == [False, False]
    assert page.get_by_role("button", name="ふりがなをつける").get_attribute("aria-pressed") == "false"
    context.close()
