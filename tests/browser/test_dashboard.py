"""The coordinator's dashboard in Chromium: its SVG charts are drawn under the page's CSP
(no inline script or style refused), styled by the stylesheet, named for screen readers,
and axe-core finds no violation."""
from __future__ import annotations

import pytest

from tests.browser.steps import office_sign_in, submit_by_api
from tests.browser.test_kiosk_a11y import violations

pytestmark = pytest.mark.browser


def test_the_dashboard_draws_its_charts_within_the_csp(live_server, browser):
    for name in ("Ana Costa", "Rui Souza", "Lia Prado"):
        submit_by_api(live_server, name=name)
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    office_sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/provider/stats")
    chart = page.locator("#chart-channel")
    chart.wait_for()
    assert chart.get_attribute("role") == "img"
    assert page.locator("#chart-channel-title").text_content() == "経路"
    box = chart.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 40
    # the bars take their colour from charts.css, the stylesheet the CSP allows
    fill = page.locator("#chart-channel .rect").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(31, 95, 139)"
    # three outreach intakes at least (the server may hold other tests' too): shown, not "<3"
    assert int(page.locator("#h-channel ~ .chart-pair table td").first.inner_text()) >= 3
    assert refused == []
    assert violations(page) == []
    page.goto(f"{live_server.url}/provider/stats/report")
    assert page.locator("table.report tbody tr").count() == 13
    assert violations(page) == [] and refused == []
    context.close()
