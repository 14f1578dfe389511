"""The coordinator's dashboard, its CSV and the yearly report as a coordinator reads them:
display names in Japanese, accessible SVG charts beside their tables, small counts
suppressed everywhere, a CSV a Japanese spreadsheet opens; offices may not read it."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest

from tests.conftest import PASSWORD
from tests.inbox.test_inbox import login
from tsunagi.domain import accounts, reports

ELDER = {"subject": "self", "age_band": "65_plus", "danger_now": "no", "area": "minami"}


@pytest.fixture
def coordinator(app, session, make_intake):
    for _ in range(4):
        make_intake()
    make_intake(answers={**ELDER, "age_band": "40_64", "concerns": ["money"], "area": "kita"})
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    client = app.test_client()
    assert login(client, "coord").status_code == 302
    return client


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_dashboard_shows_names_charts_and_tables_with_small_counts_suppressed(coordinator):
    page = coordinator.get("/provider/stats")
    assert page.status_code == 200
    html = page.text
    assert "みなみ地域交流サロン" in html and "hub-minami" not in html  # names, not codes
    assert "地域包括支援センター" in html or "高齢者" in html
    summary = re.search(r'<table class="figures">(.*?)</table>', html, re.S).group(1)
    assert re.search(r"<th scope=\"row\">相談受付</th><td>5</td>", summary)
    # the same phone number in every fixture intake: one person
    assert re.search(r"<th scope=\"row\">実人数</th><td>&lt;3</td>", summary)
    # age: 1 at 40-64 -> "<3", and with the total 5 known, the 4 at 65+ goes too
    age = re.search(r'<section class="counts" aria-labelledby="h-age_band">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", age) == ["&lt;3", "x", "5"]
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(charts) >= 10
    for svg in charts:
        title = re.search(r'<title id="([^"]+)">([^<]+)</title>', svg)
        desc = re.search(r'<desc id="([^"]+)">', svg)
        assert title and desc and f'aria-labelledby="{title.group(1)} {desc.group(1)}"' in svg and 'role="img"' in svg
    assert "40〜64歳: &lt;3" in age and "65歳以上: x" in age  # the chart's labels say what the table says
    # every chart has its table beside it; nothing the CSP would refuse
    assert html.count('<figure class="chart">') == len(charts) <= html.count("<table")
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert 'href="/static/shared/charts.css"' in html


def test_the_csv_opens_as_japanese_and_suppresses_like_the_page(coordinator):
    response = coordinator.get("/provider/stats?format=csv")
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = rows_of(body.decode("utf-8"))
    assert rows[0] == ["区分", "項目", "件数"]
    assert ["概要", "相談受付", "5"] in rows
    assert ["年齢", "65歳以上", "x"] in rows and ["年齢", "40〜64歳", "<3"] in rows and ["年齢", "合計", "5"] in rows
    assert ["受付場所", "みなみ地域交流サロン", "5"] in rows
    english = rows_of(coordinator.get("/provider/stats?format=csv&lang=en").get_data(as_text=True))
    assert english[0] == ["Section", "Item", "Count"] and ["Summary", "Intakes", "5"] in english
    assert "山田" not in body.decode() and "090" not in body.decode()


def test_the_yearly_report_by_month_and_service(coordinator):
    today = reports.day_of(datetime.now(timezone.utc))
    year = reports.period("fy", today).start.year
    page = coordinator.get(f"/provider/stats/report?fy={year}")
    assert page.status_code == 200 and f"{year}年度 年次報告" in page.text
    rows = rows_of(coordinator.get(f"/provider/stats/report?fy={year}&format=csv").get_data(as_text=True))
    assert rows[0][0] == "月" and rows[0][-1] == "合計" and len(rows[0]) == 8
    months = [r for r in rows[1:13]]
    assert [r[0] for r in months][0] == f"{year}-04" and months[-1][0] == f"{year + 1}-03"
    this_month = next(r for r in months if r[0] == today.strftime("%Y-%m"))
    houkatsu, jiritsu = rows[0].index("地域包括支援センター"), rows[0].index("自立相談支援（くらし・しごとの相談）")
    # 4 and 1 in a row of 5: the 1 is "<3", and the 4 is hidden with it
    assert (this_month[houkatsu], this_month[jiritsu], this_month[-1]) == ("x", "<3", "5")
    assert rows[13][0] == "合計" and rows[13][-1] == "5"
    # the yearly CSV holds the dashboard's sections too
    assert ["概要", "相談受付", "5"] in rows
    assert rows_of(coordinator.get(f"/provider/stats/report?fy={year}&format=csv&lang=en")
                   .get_data(as_text=True))[0][0] == "Month"


def test_periods_month_and_week_and_old_links(coordinator):
    today = reports.day_of(datetime.now(timezone.utc))
    for query in ("period=month", "period=week", f"period=month&on={today}", f"from={today}&to={today}"):
        page = coordinator.get(f"/provider/stats?{query}")
        assert page.status_code == 200 and '<th scope="row">相談受付</th><td>5</td>' in page.text, query
    last_year = coordinator.get(f"/provider/stats?period=fy&on={today.replace(year=today.year - 1)}")
    assert '<th scope="row">相談受付</th><td>0</td>' in last_year.text


@pytest.mark.parametrize("query", ["period=decade", "on=tomorrow", "on=0001-01-01&period=fy", "from=2026-05-01&to=2026-04-01",
                                   "on=9999-12-31&period=month", "from=%E3%81%82"])
def test_bad_periods_are_refused(coordinator, query):
    assert coordinator.get(f"/provider/stats?{query}").status_code == 400
    assert coordinator.get(f"/provider/stats?{query}&format=csv").status_code == 400


@pytest.mark.parametrize("query", ["fy=abc", "fy=0", "fy=99999", "fy=" + "9" * 40])
def test_bad_years_are_refused(coordinator, query):
    assert coordinator.get(f"/provider/stats/report?{query}").status_code == 400


def test_offices_may_not_read_the_counts(app, session, provider_users, make_intake):
    make_intake()
    client = app.test_client()
    login(client, "houkatsu-minami")
    for url in ("/provider/stats", "/provider/stats?format=csv", "/provider/stats/report",
                "/provider/stats/report?format=csv"):
        assert client.get(url).status_code == 403, url
    assert app.test_client().get("/provider/stats/report").status_code == 302  # sign in first

