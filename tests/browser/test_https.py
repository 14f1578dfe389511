"""Behind HTTPS every form works: gunicorn serves TLS itself with a throwaway certificate,
so Flask-WTF's strict HTTPS check (a same-origin Referer) applies to every post."""
from __future__ import annotations

import pytest

from tests.browser.steps import office_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server_tls():
    return True


def test_kiosk_and_sign_in_work_over_https(live_server, browser):
    assert live_server.url.startswith("https://")
    context = browser.new_context(locale="en-US", ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/en/")
    page.locator("main form button.primary").click()  # a POST with its CSRF token
    page.wait_for_load_state()
    assert "/q/" in page.url, page.locator("body").inner_text()
    page.locator("main input[name=subject][value=self]").check()
    page.locator("main input[name=age_band][value='65_plus']").check()
    page.locator("main form .nav button.primary").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/q/concerns"), page.locator("body").inner_text()

    office = browser.new_context(ignore_https_errors=True)
    office_sign_in(office.new_page(), live_server, "houkatsu-kita")  # a POST with its CSRF token
    office.close()
    context.close()
