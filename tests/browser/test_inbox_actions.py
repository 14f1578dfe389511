"""An office works a case with buttons, each step confirmed by a banner; a return that
says "another area" and names the office lands there and says so; axe-core finds no
violation on any staff page (WCAG 2.x A/AA, as for the resident pages)."""
from __future__ import annotations

import pytest

from tests.browser.steps import office_sign_in, submit_by_api
from tests.browser.test_kiosk_a11y import violations

pytestmark = pytest.mark.browser

OLDER_IN_MINAMI = {"subject": "self", "age_band": "65_plus", "concerns": ["elder_care"], "danger_now": "no",
                   "area": "minami"}


def banner(page, text: str) -> str:
    """The banner of the page just loaded that contains `text` (waits for it)."""
    found = page.locator(".flashes [role=status]").filter(has_text=text)
    found.wait_for()
    return found.inner_text()


def open_intake(page, live_server, intake_id: str) -> None:
    page.goto(f"{live_server.url}/provider/intakes/{intake_id}")


def test_accept_contacted_close_with_banners_and_no_drop_down(live_server, browser):
    created = submit_by_api(live_server, name="Ana Costa")
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    office_sign_in(page, live_server, "kodomo")
    open_intake(page, live_server, created["intake_id"])
    assert page.locator("select[name=action]").count() == 0
    assert violations(page) == []

    page.get_by_role("button", name="受け付ける", exact=True).click()
    assert banner(page, "完了しました") == "完了しました。この受付は「受付済み」になりました。"
    # the most likely next step is offered first, and a failed contact is not the default
    assert page.locator(".actions > :first-child").inner_text().strip() == "連絡済みにする"
    page.get_by_role("button", name="連絡済みにする", exact=True).click()
    assert banner(page, "完了しました") == "完了しました。この受付は「連絡済み」になりました。"

    page.locator("summary", has_text="終結する").click()
    close = page.locator("#action-close")
    close.get_by_label("解決", exact=True).check()
    # the browser asks for the confirmation before anything is sent
    close.get_by_role("button", name="終結する").click()
    assert close.locator("input[name=confirm]:invalid").count() == 1
    assert "終結" not in page.locator(".flashes").inner_text()  # still the page of the last step
    close.locator("input[name=confirm]").check()
    assert violations(page) == []
    close.get_by_role("button", name="終結する").click()
    assert banner(page, "終結しました") == "終結しました：解決。"
    assert "終結" in page.locator("table.facts").inner_text()
    assert violations(page) == []
    context.close()


def test_a_return_for_another_area_lands_with_the_named_office(live_server, browser):
    created = submit_by_api(live_server, answers=OLDER_IN_MINAMI, name="Taro Kita")
    assert created["decision"]["provider"]["id"] == "houkatsu-minami"
    intake_id = created["intake_id"]
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    office_sign_in(page, live_server, "houkatsu-minami")
    open_intake(page, live_server, created["intake_id"])
    page.locator("summary", has_text="つなぎもどす").click()
    form = page.locator("#action-return")
    form.get_by_label("相談者は別の窓口の担当地域に住んでいる").check()
    form.get_by_label("合っている窓口（地域が違う場合は必須）").select_option("houkatsu-kita")
    form.get_by_role("textbox", name="理由").fill("北部に引っ越した")
    form.locator("input[name=confirm]").check()
    assert violations(page) == []
    form.get_by_role("button", name="つなぎもどす（振り分け直し）").click()
    page.wait_for_url(f"{live_server.url}/provider/")
    said = banner(page, "引き継ぎました")
    assert said.endswith("に引き継ぎました。当窓口の受付一覧からは外れました。") and "北部" in said
    assert page.locator(f"a[href='/provider/intakes/{intake_id}']").count() == 0
    context.close()

    kita = browser.new_context(locale="ja-JP").new_page()
    office_sign_in(kita, live_server, "houkatsu-kita")
    assert kita.locator(f"a[href='/provider/intakes/{intake_id}']").count() == 1
    open_intake(kita, live_server, created["intake_id"])
    routing = kita.locator("p.reroute").inner_text()
    assert "相談者は別の窓口の担当地域に住んでいる" in routing and "つなぎもどした窓口の指定による" in routing
    assert "北部に引っ越した" in kita.locator("main").inner_text()  # the note, in the history
    kita.context.close()


def test_every_staff_page_has_no_axe_violations(live_server, browser):
    submit_by_api(live_server, name="Maria Lopes")
    found: dict[str, list[str]] = {}
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server.url}/provider/login")
    found["login"] = violations(page)
    for username, paths in (("kodomo", ["/provider/", "/provider/?status=closed", "/provider/passed-on"]),
                            ("coordinator", ["/provider/", "/provider/board", "/provider/directory",
                                             "/provider/stats", "/provider/stats?period=month",
                                             "/provider/stats/report", "/provider/outbox", "/provider/kiosks"]),
                            ("admin", ["/provider/users", "/provider/outbox", "/provider/webhooks"])):
        context.clear_cookies()
        office_sign_in(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            found[f"{username} {path}"] = violations(page)
        if username == "kodomo":
            page.goto(f"{live_server.url}/provider/")
            page.locator("table a").first.click()
            found["kodomo detail"] = violations(page)
    assert {k: v for k, v in found.items() if v} == {}
    context.close()
