"""The kiosk leaves nothing for the next person: idle warning and reset, quick exit, the
review screen, the printed receipt — in Chromium against gunicorn, with short idle times."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.browser.steps import answer_default_form, choose

pytestmark = pytest.mark.browser

IDLE, WARNING = 4, 3
NAME, PHONE, FREE_TEXT = "Ana Lima", "090-1111-2222", "My knees hurt"


@pytest.fixture(scope="module")
def live_server_env():
    return {"TSUNAGI_KIOSK_IDLE_SECONDS": str(IDLE), "TSUNAGI_KIOSK_WARNING_SECONDS": str(WARNING)}


def answer_to_review(page, base: str) -> None:
    """An elderly resident answers every step in English and reaches the review screen."""
    page.set_default_timeout(5000)  # well inside the idle time: a miss fails, not a reset
    page.goto(f"{base}/k/lib-chuo/")
    page.get_by_role("link", name="English").click()
    page.get_by_role("button", name="Start").click()
    answer_default_form(page, subject="Myself", concerns=["Health", "Loneliness or staying at home"],
                        name=NAME, phone=PHONE, free_text=FREE_TEXT)
    page.get_by_role("heading", name="Check your answers").wait_for()


SEED = """async (secret) => {
  localStorage.setItem("resident", secret);
  sessionStorage.setItem("resident", secret);
  await new Promise((resolve, reject) => {
    const open = indexedDB.open("resident", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("answers");
    open.onsuccess = () => {
      const tx = open.result.transaction("answers", "readwrite");
      tx.objectStore("answers").put(secret, "name");
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  });
  const cache = await caches.open("resident");
  await cache.put("/resident-answers", new Response(secret));
  window.lastVisitor = secret;
}"""

STORAGE = """async () => ({
  local: localStorage.length,
  session: sessionStorage.length,
  indexedDB: (await indexedDB.databases()).map((d) => d.name),
  caches: await caches.keys(),
  lastVisitor: window.lastVisitor === undefined ? null : window.lastVisitor,
})"""

NOTHING = {"local": 0, "session": 0, "indexedDB": [], "caches": [], "lastVisitor": None}


def seed_browser_state(page) -> None:
    """Put resident data everywhere a page could keep it, as a careless script might;
    the reset has to remove it all."""
    page.evaluate(SEED, NAME)
    state = page.evaluate(STORAGE)
    assert state["local"] == 1 and state["indexedDB"] == ["resident"] and state["caches"] == ["resident"]


def assert_nothing_left(page, context, secrets) -> None:
    """What a new visitor at the same browser can reach: this page, every page back in the
    history (from the network or the back/forward cache), storage and cookies."""
    assert page.evaluate(STORAGE) == NOTHING
    assert context.cookies() == []
    seen = 0
    while True:
        response = page.go_back(wait_until="load")
        if response is None and page.url == "about:blank":
            break
        seen += 1
        page.wait_for_load_state("load")
        text = page.locator("body").inner_text()
        for secret in secrets:
            assert secret not in text, (page.url, secret)
        # A page restored from the back/forward cache would still hold the last
        # visitor's script state; a page fetched again does not.
        assert page.evaluate(STORAGE) == NOTHING, page.url
        assert page.locator("input:checked").count() == 0, page.url
        typed = page.eval_on_selector_all(
            "input[type=text], input[type=tel], input[type=email], input:not([type]), textarea",
            "fields => fields.map(f => f.value).filter(Boolean)")
        assert typed == [], page.url
        if seen > 20:
            break
    assert seen >= 8  # language, welcome, six steps and the review were all revisited


def test_review_lists_answers_and_changes_go_back_to_it(live_server, context):
    page = context.new_page()
    answer_to_review(page, live_server.url)
    main = page.locator("main")
    for text in ("About the person", "Myself", "65 or over", "Health", "Loneliness or staying at home",
                 "Lives alone", "North district", NAME, PHONE, FREE_TEXT):
        assert text in main.inner_text(), text
    assert "Pregnancy" not in main.inner_text()  # a step not shown is not listed
    # Change the age: the pregnancy question now applies, so it is asked before returning.
    page.get_by_role("region", name="About the person").get_by_role("link", name="Change").click()
    assert page.get_by_label("65 or over", exact=True).is_checked()
    choose(page, "18 to 39")
    page.get_by_role("button", name="Next").click()
    assert page.get_by_role("heading", name="Pregnancy").is_visible()
    choose(page, "No")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Check your answers").wait_for()
    assert "18 to 39" in main.inner_text() and "65 or over" not in main.inner_text()
    page.get_by_role("link", name="These answers are right: next").click()
    assert page.get_by_role("heading", name="Your agreement").is_visible()
    page.get_by_role("link", name="Back").click()
    assert page.get_by_role("heading", name="Check your answers").is_visible()


def test_progress_back_and_touch_targets(live_server, context):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/en/")
    page.get_by_role("button", name="Start").click()
    assert page.locator(".progress").inner_text() == "1 / 6"
    choose(page, "Myself")
    choose(page, "18 to 39")
    page.get_by_role("button", name="Next").click()
    assert page.locator(".progress").inner_text() == "2 / 7"  # the pregnancy step now applies
    page.get_by_role("link", name="Back").click()
    assert page.locator(".progress").inner_text() == "1 / 7"
    assert page.get_by_label("Myself", exact=True).is_checked()
    targets = page.locator("main label.option, main .button, main button, header button").all()
    for target in [t for t in targets if t.is_visible()]:  # read-aloud stays hidden without a voice
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, target.inner_text()
    body_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('legend')).fontSize)")
    assert body_px >= 20


def test_idle_warning_counts_down_and_one_tap_continues(live_server, context):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/en/")
    page.get_by_role("button", name="Start").click()
    choose(page, "Myself")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=(IDLE + 2) * 1000)
    first = int(page.locator("#idle-count").inner_text())
    assert 1 <= first <= WARNING
    page.wait_for_function("(first) => Number(document.getElementById('idle-count').textContent) < first",
                           arg=first)
    page.get_by_role("button", name="I am still here").click()
    assert not dialog.is_visible()
    # Past the moment the countdown would have ended: the tap restarted the idle clock,
    # and this is still the same resident, on the same step, with the answer given.
    page.wait_for_timeout(WARNING * 1000)
    assert not dialog.is_visible()
    assert "/q/about" in page.url
    assert page.get_by_label("Myself", exact=True).is_checked()


def test_idle_reset_leaves_nothing_for_the_next_visitor(live_server, context):
    page = context.new_page()
    answer_to_review(page, live_server.url)
    seed_browser_state(page)
    page.get_by_role("dialog", name="Are you still there?").wait_for(state="visible",
                                                                       timeout=(IDLE + 2) * 1000)
    page.wait_for_url(f"{live_server.url}/k/lib-chuo/", timeout=(WARNING + 3) * 1000)
    assert page.get_by_text("Choose your language").is_visible()
    assert_nothing_left(page, context, (NAME, PHONE, FREE_TEXT, "North district"))


def test_quick_exit_leaves_nothing_for_the_next_visitor(live_server, context):
    page = context.new_page()
    answer_to_review(page, live_server.url)
    seed_browser_state(page)
    page.get_by_role("button", name="Quit and clear").click()
    page.wait_for_url(f"{live_server.url}/k/lib-chuo/")
    assert_nothing_left(page, context, (NAME, PHONE, FREE_TEXT, "North district"))


def test_quick_exit_on_every_kiosk_screen(live_server, context):
    page = context.new_page()
    page.goto(f"{live_server.url}/k/lib-chuo/")
    assert page.get_by_role("button", name="Quit and clear").count() == 0  # nothing to clear yet
    page.get_by_role("link", name="English").click()
    screens = 0
    quit = page.get_by_role("button", name="Quit and clear")
    assert quit.is_visible()
    page.get_by_role("button", name="Start").click()
    answers = [("Myself", "18 to 39"), ("No",), ("Violence or abuse",), (), ("No",), ("North district",), ()]
    for labels in answers:
        assert quit.is_visible(), page.url
        screens += 1
        for label in labels:
            choose(page, label)
        page.get_by_role("button", name="Next").click()
        page.wait_for_load_state()
        if "/urgent" in page.url:
            assert quit.is_visible()
            page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Check your answers").is_visible() and quit.is_visible()
    # Back at the picker in the middle of a consultation, the exit is offered there too.
    page.goto(f"{live_server.url}/k/lib-chuo/")
    assert quit.is_visible()
    page.go_back()
    page.get_by_role("link", name="These answers are right: next").click()
    assert quit.is_visible()
    choose(page, "No, do not send them")  # the meeting and contact questions are then not asked
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Thank you. Here is your receipt.").is_visible() and quit.is_visible()
    assert screens == 7


def test_printed_receipt_shows_the_essentials_and_never_the_answers(live_server, context, tmp_path):
    page = context.new_page()
    answer_to_review(page, live_server.url)
    page.get_by_role("link", name="These answers are right: next").click()
    choose(page, "Yes, send them")
    page.locator("input[name=multi_agency_meeting][value=yes]").check()
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("button", name="Print this receipt").is_visible()
    code = page.locator(".code").inner_text()

    page.emulate_media(media="print")
    printed = page.locator("body").inner_text()
    assert code in printed
    assert "North Community General Support Center" in printed and "03-5555-0101" in printed
    assert re.search(r"Date: \w+ \d{1,2}, \d{4}", printed), printed
    assert page.locator("svg.qr").is_visible()
    for answer in ("Why this office", "Aged 65 or over", NAME, PHONE, FREE_TEXT, "Health", "Quit and clear",
                   "Finish and clear this screen", "Print this receipt"):
        assert answer not in printed, answer
    shot = tmp_path / "printed-qr.png"
    page.locator("svg.qr").screenshot(path=str(shot))
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(shot)], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert scanned.startswith(f"{live_server.url}/f#")
