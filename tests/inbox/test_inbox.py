"""Provider side: sign in, see only your own provider's intakes, every read audited."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.kiosk_helpers import csrf_token
from tsunagi.domain.models import AuditEvent


def login(client, username, password=PASSWORD):
    page = client.get("/provider/login")
    return client.post("/provider/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_token(page.text)})


def test_routed_provider_sees_the_intake_and_others_do_not(app, session, provider_users, submitted):
    intake = submitted.intake
    owner, other = app.test_client(), app.test_client()
    assert login(owner, "houkatsu-minami").status_code == 302
    assert login(other, "houkatsu-kita").status_code == 302

    inbox = owner.get("/provider/")
    assert f"/provider/intakes/{intake.id}" in inbox.text
    detail = owner.get(f"/provider/intakes/{intake.id}")
    assert detail.status_code == 200
    assert "山田 花子" in detail.text and "090-1234-5678" in detail.text
    assert "65歳以上" in detail.text  # reasons in Japanese for providers
    assert "その人は何歳ですか。" in detail.text and "65歳以上" in detail.text

    assert f"/provider/intakes/{intake.id}" not in other.get("/provider/").text
    assert other.get(f"/provider/intakes/{intake.id}").status_code == 404


def test_every_read_is_audited_without_the_data(app, session, provider_users, submitted):
    client = app.test_client()
    login(client, "houkatsu-minami")
    client.get(f"/provider/intakes/{submitted.intake.id}")
    client.get(f"/provider/intakes/{submitted.intake.id}")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_read")).all()
    assert len(events) == 2
    assert {e.intake_id for e in events} == {submitted.intake.id}
    assert all(e.actor_id is not None and e.remote_addr for e in events)


def test_wrong_password_is_refused(client, provider_users):
    response = login(client, "houkatsu-minami", "not the password")
    assert response.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません。" in response.text
    assert client.get("/provider/").status_code == 302


def test_login_failures_are_rate_limited(client, provider_users):
    codes = [login(client, "houkatsu-minami", f"wrong {i}").status_code for i in range(8)]
    assert codes[:6] == [401] * 6
    assert codes[-1] == 429


def test_anonymous_is_sent_to_login(client, submitted):
    response = client.get(f"/provider/intakes/{submitted.intake.id}")
    assert response.status_code == 302 and "/provider/login" in response.headers["Location"]


def test_signing_out_ends_the_session_on_the_server(app, session, provider_users):
    """A copy of the cookie taken before sign-out (another tab, a shared PC's browser
    profile, a stolen cookie) no longer opens the inbox."""
    staff = app.test_client()
    assert login(staff, "houkatsu-kita").status_code == 302
    inbox = staff.get("/provider/")
    assert inbox.status_code == 200
    copy = app.test_client()
    copy.set_cookie("session", staff.get_cookie("session").value)
    assert copy.get("/provider/").status_code == 200
    signed_out = staff.post("/provider/logout", data={"csrf_token": csrf_token(inbox.text)})
    assert signed_out.status_code == 302
    again = copy.get("/provider/")
    assert again.status_code == 302 and "/provider/login" in again.headers["Location"]
    assert login(staff, "houkatsu-kita").status_code == 302  # the password still works


def test_an_office_past_500_cases_still_sees_every_new_one(app, session, provider_users, make_intake):
    """505 open cases and 30 closed ones at one office: the pages of the inbox (HTML and
    API) hold every open case once, closed ones only when asked for."""
    from sqlalchemy import insert, select

    from tsunagi.domain.models import Intake

    first = make_intake().intake
    template = {c.name: getattr(first, c.name) for c in Intake.__table__.columns
                if c.name not in ("id", "created_at", "status_changed_at", "routed_at") and c.computed is None}
    session.execute(insert(Intake), [dict(template, id=f"bulk{n:08d}", status="closed" if n < 30 else "received")
                                     for n in range(534)])
    session.commit()
    newest = make_intake().intake
    open_ids = set(session.scalars(select(Intake.id).where(Intake.provider_id == first.provider_id,
                                                            Intake.status != "closed")))
    assert len(open_ids) == 506

    api = app.test_client()
    headers = {"Authorization": f"Bearer {provider_users['houkatsu-minami']}"}
    seen, after = [], None
    while True:
        page = api.get("/api/v1/inbox" + (f"?after={after}" if after else ""), headers=headers).json
        seen += [row["id"] for row in page["intakes"]]
        if not page["next"]:
            break
        after = page["next"]
    assert len(seen) == len(set(seen)) and set(seen) == open_ids and newest.id in seen
    closed = api.get("/api/v1/inbox?status=closed", headers=headers).json
    assert len(closed["intakes"]) == 30
    assert api.get("/api/v1/inbox?after=not-a-cursor!", headers=headers).status_code == 400

    staff = app.test_client()
    assert login(staff, "houkatsu-minami").status_code == 302
    url, pages, links = "/provider/", 0, 0
    while url:
        html = staff.get(url).text
        links += html.count(">開く<")
        pages += 1
        found = re.search(r'<p class="pager"><a class="button" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert links == 506 and pages == 11


def test_staff_read_times_in_japan_time(app, session, provider_users, make_intake):
    from datetime import datetime, timezone

    intake = make_intake().intake
    intake.created_at = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)  # 00:30 the next day in Japan
    session.commit()
    staff = app.test_client()
    login(staff, "houkatsu-minami")
    inbox = staff.get("/provider/").text
    detail = staff.get(f"/provider/intakes/{intake.id}").text
    for page in (inbox, detail):
        assert "2026-12-02 00:30" in page and " UTC" not in page
        assert page.count("日本時間（JST）") == 1  # the time zone, said once


def test_a_refused_read_is_audited(app, session, provider_users, submitted):
    """Another office asks for the intake: 404 as for an unknown one, and the attempt is on
    the audit trail with who asked and for which id, in the inbox and the API alike."""
    from sqlalchemy import select

    from tsunagi.domain.models import AuditEvent, User

    intake = submitted.intake
    other = app.test_client()
    login(other, "houkatsu-kita")
    assert other.get(f"/provider/intakes/{intake.id}").status_code == 404
    api = app.test_client().get(f"/api/v1/intakes/{intake.id}",
                                headers={"Authorization": f"Bearer {provider_users['shogai']}"})
    assert api.status_code == 404
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_read_denied")).all()
    askers = {session.get(User, r.actor_id).username for r in rows if r.intake_id == intake.id}
    assert askers == {"houkatsu-kita", "shogai"}
    assert app.test_client().get("/api/v1/intakes/../x", headers={
        "Authorization": f"Bearer {provider_users['shogai']}"}).status_code == 404


def test_staff_find_a_case_by_receipt_code_phone_or_email(app, session, provider_users, make_intake):
    """A resident phones with the code from their receipt, or gives their number: the office
    finds the case (a post: nothing in the URL), the search is audited, and another
    office finds nothing."""
    from sqlalchemy import select

    from tsunagi.domain.models import AuditEvent

    made = make_intake()
    staff = app.test_client()
    login(staff, "houkatsu-minami")

    def search(client, text):
        page = client.get("/provider/")
        return client.post("/provider/search", data={"q": text, "csrf_token": csrf_token(page.text)})

    wide = made.secrets.grouped_code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    for text in (made.secrets.grouped_code.lower(), wide, "090 1234 5678", "０９０－１２３４－５６７８"):
        found = search(staff, text)
        assert found.status_code == 200 and f"/provider/intakes/{made.intake.id}" in found.text, text
    assert "該当する受付はありません" in search(staff, "080-0000-0000").text
    other = app.test_client()
    login(other, "houkatsu-kita")
    assert made.intake.id not in search(other, made.secrets.grouped_code).text
    audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_search")).all()
    assert len(audited) == 4 and {a.intake_id for a in audited} == {made.intake.id}
    assert staff.get("/provider/search").status_code == 405  # never a GET with the number in the URL


def test_a_row_says_enough_to_choose_and_nothing_identifying(app, session, provider_users, make_intake):
    intake = make_intake(answers={"subject": "self", "age_band": "65_plus", "concerns": ["health", "money"],
                                  "danger_now": "no", "area": "minami"}, locale="vi").intake
    client = app.test_client()
    login(client, "houkatsu-minami")
    row = re.search(r"<tr class=\"unread\">(.*?)</tr>", client.get("/provider/").text, re.S).group(1)
    assert "65歳以上" in row and "南部地区" in row and "Tiếng Việt" in row and "みなみ地域交流サロン" in row
    assert row.count(", ") >= 1  # two concerns, in Japanese
    deadline = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)
    assert len(deadline) == 2  # received and deadline, in Japan time
    # Neither the name nor the phone number, in the text or in an attribute (the row's
    # link holds the intake's random id, which may hold any digits).
    assert "山田" not in row and "1234-5678" not in row and "12345678" not in row
    api = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {provider_users['houkatsu-minami']}"})
    first = api.json["intakes"][0]
    assert first["id"] == intake.id and first["age_band"] == "65_plus" and first["concerns"] == ["health", "money"]
    assert first["locale"] == "vi" and first["location"] == "hub-minami" and first["deadline"]


def test_an_inbox_page_issues_the_same_number_of_statements_for_2_or_50_rows(app, session, provider_users,
                                                                               make_intake):
    """No query per row: the inbox's first page (HTML and API) costs the same number of SQL
    statements with 2 intakes as with a full page of 50."""
    from sqlalchemy import event

    client = app.test_client()
    login(client, "houkatsu-minami")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {provider_users['houkatsu-minami']}"}
    bind = app.extensions["tsunagi.db"].kw["bind"]

    def statements() -> tuple[int, int]:
        counted: list[str] = []

        def count(_conn, _cursor, statement, *_rest):
            counted.append(statement)

        event.listen(bind, "before_cursor_execute", count)
        try:
            assert client.get("/provider/").status_code == 200
            html = len(counted)
            assert api.get("/api/v1/inbox", headers=headers).status_code == 200
            return html, len(counted) - html
        finally:
            event.remove(bind, "before_cursor_execute", count)

    for _ in range(2):
        make_intake()
    few = statements()
    for _ in range(60):
        make_intake()
    many = statements()
    assert many == few and max(many) <= 20, (few, many)
