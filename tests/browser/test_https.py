"""Behind HTTPS every form works: Debian's nginx terminates TLS with deploy/nginx.conf and a
throwaway certificate, in front of gunicorn, so Flask-WTF's strict HTTPS check (a same-origin
Referer) applies to every post."""
from __future__ import annotations

import pytest

from tests.browser.steps import answer_default_form, choose, office_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server_tls():
    return True


def test_kiosk_journey_and_sign_in_work_over_https(live_server, browser):
    assert live_server.url.startswith("https://")
    context = browser.new_context(locale="en-US", ignore_https_errors=True)
    page = context.new_page()
    first = page.goto(f"{live_server.url}/k/lib-chuo/en/")
    assert first.headers["strict-transport-security"].startswith("max-age=")
    page.locator("main form button.primary").click()  # a POST with its CSRF token
    page.wait_for_load_state()
    assert "/q/" in page.url, page.locator("body").inner_text()
    answer_default_form(page, subject="Myself", concerns=["Health"], name="Tls Resident", phone="090-3333-4444")
    page.get_by_role("link", name="These answers are right: next").click()
    choose(page, "Yes, send them")
    page.locator("input[name=multi_agency_meeting][value=no]").check()
    choose(page, "Phone call")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Thank you. Here is your receipt.").is_visible()
    session = next(c for c in context.cookies() if "session" in c["name"])
    assert session["name"] == "__Host-session" and session["secure"] and session["httpOnly"]
    assert session["path"] == "/"

    office = browser.new_context(ignore_https_errors=True)
    office_sign_in(office.new_page(), live_server, "houkatsu-kita")  # a POST with its CSRF token
    assert any(c["name"] == "__Host-session" and c["secure"] for c in office.cookies())
    office.close()
    context.close()
    # What nginx logged holds no personal data: the resident's name and phone were posted.
    access = (live_server.instance / "nginx-access.log").read_text()
    assert "/consent" in access and "Tls" not in access and "3333" not in access


def test_plain_http_only_redirects_to_https(live_server):
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(live_server.http_url)
    for method, path in (("GET", "/k/lib-chuo/en/"), ("POST", "/provider/login")):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request(method, path, body=b"username=x&password=y" if method == "POST" else None)
        response = connection.getresponse()
        assert response.status == 301
        assert response.getheader("Location") == f"{live_server.url}{path}"
        assert b"<form" not in response.read()
        connection.close()
