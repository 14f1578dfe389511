"""The outreach app in Chromium against gunicorn: installable, works offline, sends each
queued intake exactly once and keeps nothing of a resident on the phone afterwards."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.browser.steps import answer_default_form, choose, offline_for_this_document
from tsunagi.domain.models import Consent, Intake, SessionToken

pytestmark = pytest.mark.browser
# A receipt code: Crockford's alphabet only, the check symbol too.
CODE = r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{6}"

QUEUE_ROWS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("tsunagi-outreach");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const names = Array.from(db.objectStoreNames);
    if (!names.includes("queue")) { db.close(); resolve([]); return; }
    const get = db.transaction("queue").objectStore("queue").getAll();
    get.onsuccess = () => { db.close(); resolve(get.result.map((i) => ({
      id: i.id, owner: i.owner, size: i.data.byteLength, lastError: i.lastError}))); };
    get.onerror = () => reject(get.error);
  };
})"""

STORAGE_TEXT = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("tsunagi-outreach");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const names = Array.from(db.objectStoreNames);
    if (!names.length) { db.close(); resolve(""); return; }
    const t = db.transaction(names);
    const found = [];
    names.forEach((name) => {
      const r = t.objectStore(name).getAll();
      r.onsuccess = () => found.push(JSON.stringify(r.result, (k, v) =>
        v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? new TextDecoder().decode(v) : v));
    });
    t.oncomplete = () => { db.close(); resolve(found.join("\\n") + JSON.stringify(localStorage) +
                                                   JSON.stringify(sessionStorage)); };
  };
})"""


def intake_count(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Intake))


def sign_in(page, live_server, locale="en"):
    creds = live_server.credentials()["outreach"]
    page.goto(f"{live_server.url}/outreach/{locale}/")
    page.locator("#username").fill("outreach")
    page.locator("#password").fill(creds["password"])
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#home").wait_for(state="visible")


def wait_for_service_worker(page) -> None:
    """Until the app says it is ready offline: its page and form spec are in the service
    worker's cache (what opening it offline needs), and the worker controls the page."""
    page.locator("#offline-ready").wait_for(state="visible")
    page.wait_for_function("""async () => {
        const r = await navigator.serviceWorker.getRegistration("/outreach/");
        return !!(r && r.active && r.active.state === "activated" && navigator.serviceWorker.controller);
    }""")


def take_intake(page, name: str, mode: str = "verbal") -> None:
    """One resident at a home visit: a 65+ person in the north district, worried about care."""
    page.get_by_role("button", name="New intake").click()
    answer_default_form(page, subject="Someone in my family", concerns=["Care of an older person"],
                        name=name, phone="090-1111-2222", within="#intake")
    page.locator("#consent").wait_for(state="visible")
    page.locator(f"input[name=mode][value={mode}]").check()
    if mode == "proxy":
        page.locator("#relationship").fill("daughter")
    choose(page, "Yes, send them", "#consent")
    page.locator("input[name=multi_agency_meeting][value=no]").check()
    choose(page, "Phone call", "#consent")
    page.get_by_role("button", name="Send").click()
    page.locator("#result").wait_for(state="visible")


def test_three_intakes_taken_offline_are_sent_once_when_back_online(live_server, context, engine):
    page = context.new_page()
    sign_in(page, live_server)
    wait_for_service_worker(page)
    before = intake_count(engine)

    log_before = len(live_server.log.read_text())
    context.set_offline(True)
    # The installed app opens at its start URL: shell, form spec and session come from the phone.
    page.goto(f"{live_server.url}/outreach/")
    page.wait_for_url(f"{live_server.url}/outreach/en/")
    page.locator("#home").wait_for(state="visible")
    offline_for_this_document(context)
    expect(page.locator("#connection")).to_have_text("Offline")
    names = ["Aiko Offline", "Bao Offline", "Carla Offline"]
    for i, name in enumerate(names):
        take_intake(page, name, mode=("verbal", "proxy", "self")[i])
        assert page.get_by_text("Saved on this phone").is_visible()
        page.get_by_role("button", name="Done: clear this screen").click()
    expect(page.locator("#queue-count")).to_have_text("Not sent yet: 3")
    rows = page.evaluate(QUEUE_ROWS)
    assert len(rows) == 3 and all(r["owner"] == "outreach" for r in rows)
    stored = page.evaluate(STORAGE_TEXT)
    for secret in names + ["090-1111-2222", "daughter", "elder_care"]:
        assert secret not in stored  # encrypted at rest
    assert intake_count(engine) == before
    # Not one request of the app reached the server (Chromium's own check for a newer
    # service worker script is not the app's, and Playwright does not take it offline).
    offline_requests = [line for line in live_server.log.read_text()[log_before:].splitlines()
                        if '"GET /outreach/sw.js ' not in line]
    assert offline_requests == []

    context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("No intakes are waiting to be sent.", timeout=20000)
    assert intake_count(engine) == before + 3
    assert page.evaluate(QUEUE_ROWS) == []
    expect(page.get_by_role("button", name="Send now")).to_be_hidden()
    with Session(engine) as session:
        recent = session.scalars(select(Intake).order_by(Intake.created_at.desc()).limit(3)).all()
        assert sorted(i.name for i in recent) == names
        modes = sorted(session.scalar(select(Consent.mode).where(Consent.intake_id == i.id)) for i in recent)
        assert modes == ["proxy", "self", "verbal"]
    stored = page.evaluate(STORAGE_TEXT)
    for secret in names + ["090-1111-2222"]:
        assert secret not in stored
    # The residents have gone: the worker sees each receipt code to give them, and each works.
    expect(page.locator("#sent-items li")).to_have_count(3)
    codes = page.locator("#sent-items .code").all_inner_texts()
    assert all(re.fullmatch(CODE, c) for c in codes), codes
    for code in codes:
        found = page.request.post(f"{live_server.url}/api/v1/follow-up", data={"code": code})
        assert found.status == 200 and found.json()["status"] == "received"
    stored = page.evaluate(STORAGE_TEXT)
    for code in codes:
        assert code not in stored  # the sent list is encrypted too
    page.locator("#sent-items .sent-given").first.click()
    expect(page.locator("#sent-items li")).to_have_count(2)


def test_online_intake_shows_the_receipt_and_keeps_nothing(live_server, context, engine):
    page = context.new_page()
    sign_in(page, live_server)
    take_intake(page, "Dana Online")
    page.get_by_role("heading", name="Thank you. Here is your receipt.").wait_for()
    assert page.locator("#receipt-provider-name").inner_text() == "North Community General Support Center"
    # The receipt stands alone: city, what happens next and by when, where to follow up.
    assert page.locator("#receipt-city").inner_text() == "Tsunagi City"
    assert "within 2 business days" in page.locator("#receipt-next").inner_text()
    assert page.locator("#receipt-address").inner_text() == f"Follow-up page: {live_server.url}/f"
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(CODE, code)
    assert page.locator("#receipt-qr").get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate(QUEUE_ROWS) == []
    page.get_by_role("button", name="Done: clear this screen").click()
    expect(page.locator("#receipt-code")).to_have_text("")
    stored = page.evaluate(STORAGE_TEXT)
    assert code not in stored and "Dana Online" not in stored
    # Nothing of the resident in the server's log either.
    log = live_server.log.read_text()
    assert "Dana Online" not in log and code not in log


def test_discard_needs_confirmation_and_sign_out_warns_about_unsent_intakes(live_server, context, engine):
    page = context.new_page()
    sign_in(page, live_server)
    wait_for_service_worker(page)
    context.set_offline(True)
    take_intake(page, "Eri Discard")
    page.get_by_role("button", name="Done: clear this screen").click()
    take_intake(page, "Fumi Discard")
    page.get_by_role("button", name="Done: clear this screen").click()
    page.get_by_role("button", name="Send now").click()
    page.locator("#queue-error").wait_for(state="visible")
    assert "No connection" in page.locator("#queue-error").inner_text()

    first = page.locator(".queue-item").first
    first.get_by_role("button", name="Discard").click()
    first.get_by_role("button", name="No, keep this intake").click()
    assert len(page.evaluate(QUEUE_ROWS)) == 2
    first.get_by_role("button", name="Discard").click()
    first.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("#queue-count")).to_have_text("Not sent yet: 1")
    assert len(page.evaluate(QUEUE_ROWS)) == 1

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signout-warning")).to_have_text(
        "Intakes not sent yet: 1. If you sign out now, they are deleted from this phone.")
    page.get_by_role("button", name="Cancel").click()
    assert len(page.evaluate(QUEUE_ROWS)) == 1
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Delete them and sign out").click()
    page.locator("#signin").wait_for(state="visible")
    assert page.evaluate(QUEUE_ROWS) == []
    keys = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("tsunagi-outreach");
        open.onsuccess = () => { const r = open.result.transaction(["keys", "session"]).objectStore("keys").count();
                                 r.onsuccess = () => resolve(r.result); };
    })""")
    assert keys == 0
    context.set_offline(False)


def live_tokens(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(SessionToken).where(SessionToken.revoked_at.is_(None)))


def test_sign_out_revokes_the_session_token(live_server, context, engine):
    page = context.new_page()
    before = live_tokens(engine)
    sign_in(page, live_server)
    assert live_tokens(engine) == before + 1
    page.get_by_role("button", name="Sign out").click()
    page.locator("#signin").wait_for(state="visible")
    deadline = time.monotonic() + 5
    while live_tokens(engine) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_tokens(engine) == before


def test_the_app_is_installable(live_server, browser, tmp_path):
    # Chromium offers no installation in incognito, which every new_context() is: this
    # test runs a profile on disk.
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    profile = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, locale="en-US")
    try:
        page = profile.new_page()
        page.goto(f"{live_server.url}/outreach/en/")
        wait_for_service_worker(page)
        cdp = profile.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"].endswith("/outreach/en/manifest.webmanifest")
    finally:
        profile.close()


def test_kiosk_pages_register_no_service_worker_and_no_queue(live_server, context):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    state = page.evaluate("""async () => ({
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        controlled: !!navigator.serviceWorker.controller,
        databases: (await indexedDB.databases()).map((d) => d.name),
    })""")
    assert state == {"workers": 0, "controlled": False, "databases": []}


def test_a_refused_intake_stays_with_its_error_until_discarded(live_server, context, engine):
    from sqlalchemy import update

    from tsunagi.domain.models import Location

    page = context.new_page()
    sign_in(page, live_server)
    wait_for_service_worker(page)
    context.set_offline(True)
    take_intake(page, "Gen Refused")
    page.get_by_role("button", name="Done: clear this screen").click()
    before = intake_count(engine)
    with engine.begin() as connection:  # the team is closed while the phone is offline
        connection.execute(update(Location).where(Location.code == "outreach").values(active=False))
    try:
        context.set_offline(False)
        item = page.locator(".queue-item")
        expect(item.locator(".queue-item-error")).to_have_text(
            "The server did not accept this intake. Discard it and take it again, or ask the office.",
            timeout=20000)
    finally:
        with engine.begin() as connection:
            connection.execute(update(Location).where(Location.code == "outreach").values(active=True))
    assert intake_count(engine) == before and len(page.evaluate(QUEUE_ROWS)) == 1
    item.get_by_role("button", name="Discard").click()
    item.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("#queue-count")).to_have_text("No intakes are waiting to be sent.")
    assert page.evaluate(QUEUE_ROWS) == []
