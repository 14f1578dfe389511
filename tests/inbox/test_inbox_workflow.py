"""Inbox behaviour providers rely on: per-provider read state, duplicates flagged,
overdue on the coordinator's board, counts-only notifications, session limits."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.inbox.test_inbox import login
from tests.kiosk_helpers import Journey, csrf_token
from tsunagi.domain import accounts, lifecycle, municipality, reports
from tsunagi.domain.models import Intake, OutboxMessage


def test_read_state_is_per_provider(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=True).intake
    minami, kita = app.test_client(), app.test_client()
    login(minami, "houkatsu-minami")
    login(kita, "houkatsu-kita")
    assert "Unread" in minami.get("/provider/").text or "未読" in minami.get("/provider/").text
    minami.get(f"/provider/intakes/{intake.id}")
    assert "未読" not in minami.get("/provider/").text
    # handed to kita: it is unread there although minami has read it
    staff = session.scalar(select(accounts.User).where(accounts.User.username == "houkatsu-minami"))
    lifecycle.transition(session, intake, "transfer", staff, reason="北部に転居", to_provider="houkatsu-kita")
    session.commit()
    assert "未読" in kita.get("/provider/").text


def test_probable_duplicates_are_flagged_not_merged(app, session, provider_users, make_intake):
    first, second = make_intake().intake, make_intake().intake  # same phone number
    client = app.test_client()
    login(client, "houkatsu-minami")
    page = client.get("/provider/").text
    assert page.count("重複の可能性") == 2
    assert session.scalar(select(Intake).where(Intake.id == first.id)) is not None
    assert session.scalar(select(Intake).where(Intake.id == second.id)) is not None


def test_overdue_intakes_are_on_the_coordinators_board(app, session, provider_users, make_intake):
    late = make_intake().intake
    late.routed_at = datetime.now(timezone.utc) - timedelta(days=10)
    fresh = make_intake(answers={"subject": "self", "age_band": "65_plus", "danger_now": "yes", "area": "minami"}).intake
    session.commit()
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    client = app.test_client()
    login(client, "coord")
    board = client.get("/provider/board").text
    assert f"/provider/intakes/{late.id}" in board and f"/provider/intakes/{fresh.id}" in board
    overdue_only = client.get("/provider/?overdue=1").text
    assert late.id in overdue_only and fresh.id not in overdue_only
    assert "山田" not in board


def test_notifications_carry_counts_and_a_link_only(app, session, demo):
    accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita", email="kita@example.jp")
    session.commit()
    client = app.test_client()
    Journey(client, locale="en").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["violence"], "danger_now": "yes", "area": "kita"},
        {"name": "Ana Lima", "phone": "090-1111-2222", "email": "ana@example.com", "free_text": "my son hits me"})
    messages = session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in messages] == ["kita@example.jp"]
    text = messages[0].subject + messages[0].body
    assert "1" in messages[0].subject and "/provider/" in messages[0].body
    for private in ("Ana", "Lima", "090-1111-2222", "ana@example.com", "son", "violence", "暴力", "65"):
        assert private not in text, private


def test_idle_sessions_end(app, provider_users):
    client = app.test_client()
    login(client, "houkatsu-minami")
    assert client.get("/provider/").status_code == 200
    with client.session_transaction() as s:
        s["seen_at"] -= 31 * 60
    response = client.get("/provider/")
    assert response.status_code == 302 and "/provider/login" in response.headers["Location"]


def test_sessions_end_after_twelve_hours_even_when_active(app, provider_users):
    client = app.test_client()
    login(client, "houkatsu-minami")
    with client.session_transaction() as s:
        s["login_at"] -= 12 * 3600 + 1
    assert client.get("/provider/").status_code == 302


def test_login_rate_limit_is_per_account(app, provider_users):
    attacker = app.test_client()
    for i in range(6):
        assert login(attacker, "houkatsu-minami", f"guess {i}").status_code == 401
    assert login(attacker, "houkatsu-minami", PASSWORD).status_code == 429
    # another account from the same place is not locked out by it
    assert login(app.test_client(), "houkatsu-kita").status_code == 302


def test_the_owner_signs_in_from_their_own_address_during_an_attack(app, provider_users):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    codes = [login(attacker, "houkatsu-minami", f"guess {i}").status_code for i in range(50)]
    assert codes[:6] == [401] * 6 and set(codes[6:]) == {429}
    assert login(attacker, "houkatsu-minami", PASSWORD).status_code == 429  # the attacker stays slowed
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(owner, "houkatsu-minami", PASSWORD).status_code == 302


def test_a_busy_database_is_not_a_failed_sign_in(app, provider_users, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from tsunagi.domain import accounts

    def busy(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    client = app.test_client()
    monkeypatch.setattr(accounts, "authenticate", busy)
    assert {login(client, "houkatsu-minami", PASSWORD).status_code for _ in range(10)} == {503}
    monkeypatch.undo()
    assert login(client, "houkatsu-minami", PASSWORD).status_code == 302


def act(client, intake, **fields):
    page = client.get(f"/provider/intakes/{intake.id}")
    return client.post(f"/provider/intakes/{intake.id}/transitions",
                       data={"csrf_token": csrf_token(page.text), **fields}, follow_redirects=True)


def test_actions_are_buttons_most_likely_first_with_a_banner(app, session, provider_users, make_intake):
    intake = make_intake().intake
    client = app.test_client()
    login(client, "houkatsu-minami")
    page = client.get(f"/provider/intakes/{intake.id}").text
    assert 'name="action"' in page and "<select name=\"action\"" not in page
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)" class="([^"]+)"', page)
    assert buttons == [("accept", "button primary")]
    summaries = re.findall(r'<summary class="button">([^<]+)</summary>', page)
    assert summaries == ["つなぎもどす（振り分け直し）", "引き継ぐ"]
    assert page.index('value="accept"') < page.index('id="action-return"') < page.index('id="action-transfer"')

    done = act(client, intake, action="accept")
    assert "完了しました。この受付は「受付済み」になりました。" in done.text
    # after accepting, the first offer is "contacted", not a transfer or a failed contact
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)" class="([^"]+)"', done.text)
    assert buttons[0] == ("contacted", "button primary")
    refused = act(client, intake, action="reopen")
    assert "この操作はできません" in refused.text and "cannot" not in refused.text
    session.refresh(intake)
    assert intake.status == "accepted"


def test_closing_needs_an_outcome_and_a_confirmation(app, session, provider_users, make_intake):
    intake = make_intake().intake
    client = app.test_client()
    login(client, "houkatsu-minami")
    act(client, intake, action="accept")
    unconfirmed = act(client, intake, action="close", outcome="resolved")
    assert "確認のチェックを入れてください。" in unconfirmed.text
    no_outcome = act(client, intake, action="close", confirm="yes")
    assert "終結の結果を選んでください。" in no_outcome.text
    session.refresh(intake)
    assert intake.status == "accepted"
    closed = act(client, intake, action="close", outcome="resolved", confirm="yes")
    session.refresh(intake)
    assert intake.status == "closed" and intake.outcome == "resolved"
    assert "終結しました：" in closed.text


def test_return_for_another_area_lands_with_the_named_office_and_says_so(app, session, provider_users,
                                                                        make_intake):
    intake = make_intake().intake  # a minami resident at the minami centre
    minami, kita = app.test_client(), app.test_client()
    login(minami, "houkatsu-minami")
    login(kita, "houkatsu-kita")
    refused = act(minami, intake, action="return", return_reason="wrong_area", reason="北部に住んでいる",
                  confirm="yes")
    assert "相談者の住む地域を担当する窓口を選んでください。" in refused.text
    done = act(minami, intake, action="return", return_reason="wrong_area", reason="北部に住んでいる",
               to_provider="houkatsu-kita", confirm="yes")
    session.refresh(intake)
    assert intake.provider.code == "houkatsu-kita" and intake.status == "returned"
    kita_name = municipality.localized(intake.provider.name, "ja")
    assert f"{kita_name}に引き継ぎました。当窓口の受付一覧からは外れました。" in done.text
    assert f"/provider/intakes/{intake.id}" not in minami.get("/provider/").text
    # the receiving office reads why, in its language
    page = kita.get(f"/provider/intakes/{intake.id}").text
    assert "相談者は別の窓口の担当地域に住んでいる" in page and "つなぎもどした窓口の指定による" in page


def test_counts_include_unshared_intakes_and_nothing_identifying(app, session, make_intake):
    make_intake()
    make_intake(share=False)
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    client = app.test_client()
    login(client, "coord")
    today = reports.day_of(datetime.now(timezone.utc))  # counts go by the day in Japan
    # the counts' old address still answers, with the dashboard's CSV
    csv_text = client.get(f"/provider/stats?from={today}&to={today}&format=csv&lang=en").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0] == "\ufeffSection,Item,Count"
    assert "Summary,Intakes,<3" in lines  # 2: suppressed
    assert "Status,not shared,<3" in lines
    assert "山田" not in csv_text and "090" not in csv_text
    assert client.get("/provider/stats?from=yesterday").status_code == 400


def test_notifications_go_through_a_real_smtp_server(app, session, demo, smtp_server):
    """A local SMTP server on loopback receives the counts-only message of an urgent
    intake at once (the others wait for the office's digest)."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_SENDER="tsunagi@city.example.jp")
    accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita", email="kita@example.jp")
    session.commit()
    Journey(app.test_client(), locale="en").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["violence"], "danger_now": "yes", "area": "kita"},
        {"name": "Ana Lima", "phone": "090-1111-2222"})
    assert len(smtp_server.received) == 1
    recipients, content = smtp_server.received[0]
    assert recipients == ["kita@example.jp"] and "From: tsunagi@city.example.jp" in content
    assert "Ana" not in content and "090-1111-2222" not in content
    message = session.scalar(select(OutboxMessage))
    assert message.sent_at is not None


def test_a_failing_mail_server_loses_nothing(app, session, demo):
    from tests.browser.conftest import free_port

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens there
    accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita", email="kita@example.jp")
    session.commit()
    receipt = Journey(app.test_client(), locale="en").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["violence"], "danger_now": "yes", "area": "kita"})
    assert receipt.status_code == 200
    assert session.scalar(select(Intake)).provider_id is not None
    assert session.scalar(select(OutboxMessage)).sent_at is None


def test_a_duplicate_at_another_office_is_never_revealed(app, session, provider_users, make_intake):
    """The same phone number consulted the disability office too: the elderly office's
    inbox does not say so (that sharing was never consented), the coordinator's does."""
    elder = make_intake().intake
    other = make_intake(answers={"subject": "self", "age_band": "40_64", "concerns": ["disability"],
                                 "danger_now": "no", "area": "minami"}).intake
    assert elder.contact_key == other.contact_key and elder.provider_id != other.provider_id
    client = app.test_client()
    login(client, "houkatsu-minami")
    assert "重複の可能性" not in client.get("/provider/").text
    api = app.test_client()
    rows = api.get("/api/v1/inbox", headers={"Authorization": f"Bearer {provider_users['shogai']}"}).json["intakes"]
    assert [r["duplicate_of"] for r in rows] == [[]]
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coord")
    assert coordinator.get("/provider/").text.count("重複の可能性") == 2
