"""Keep in touch in the outreach app (issue 14): a contact with someone not yet in support,
recorded offline under the worker's own label, reaches the server once when back online
with nothing identifying; the label never leaves the phone; the intake taken later for the
person brings the contact into the case. axe finds nothing on the two new screens."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.steps import answer_default_form, choose
from tests.browser.test_kiosk_a11y import violations
from tests.browser.test_pwa import QUEUE_ROWS, STORAGE_TEXT, sign_in, wait_for_service_worker
from tsunagi.domain.models import ContactEntry, Intake
from tsunagi.domain.vocabulary import JST

pytestmark = pytest.mark.browser
LABEL = "Grey coat, bench by the station"


def contacts(engine) -> list[ContactEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(ContactEntry).order_by(ContactEntry.id)))


def test_a_contact_recorded_offline_is_sent_once_and_joins_the_intake(live_server, context, engine):
    page = context.new_page()
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    sign_in(page, live_server)
    wait_for_service_worker(page)
    before = len(contacts(engine))

    context.set_offline(True)
    page.get_by_role("button", name="Keep in touch").click()
    expect(page.get_by_role("heading", name="Keep in touch")).to_be_focused()
    page.get_by_label("A short label to recognize the person (stays on this phone only)").fill(LABEL)
    page.get_by_role("button", name="Add this person").click()
    assert violations(page) == []
    page.locator("#people-items").get_by_role("button", name=LABEL).click()
    expect(page.locator("#person-title")).to_have_text(LABEL)
    today = datetime.now(JST).date()
    expect(page.get_by_label("Date of the contact")).to_have_value(today.isoformat())
    # Nothing chosen: the errors are said and focused, nothing is queued.
    page.get_by_role("button", name="Save the contact").click()
    expect(page.locator("#contact-error")).to_be_focused()
    assert violations(page) == []
    assert page.evaluate(QUEUE_ROWS) == []
    choose(page, "Home visit", "#person")
    choose(page, "Could not reach them", "#person")
    following = (today + timedelta(days=7)).isoformat()
    page.get_by_label("Next planned contact (optional)").fill(following)
    page.get_by_role("button", name="Save the contact").click()
    expect(page.locator("#person-saved")).to_be_visible()
    expect(page.locator("#person-history-note")).to_have_text(
        "The contacts recorded so far are shown when there is a connection.")
    assert len(page.evaluate(QUEUE_ROWS)) == 1
    assert LABEL not in page.evaluate(STORAGE_TEXT)  # encrypted at rest
    assert len(contacts(engine)) == before

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.get_by_role("button", name="Back to the list").click()
    expect(page.locator("#people-items li")).to_contain_text(f"Next planned contact: {following}")
    page.locator("#people-items").get_by_role("button", name=LABEL).click()
    expect(page.locator("#person-history li")).to_have_count(1, timeout=20000)
    expect(page.locator("#person-history li")).to_contain_text("Home visit, Could not reach them")
    assert page.evaluate(QUEUE_ROWS) == []
    stored = contacts(engine)[before:]
    assert len(stored) == 1 and stored[0].intake_id is None and stored[0].note is None
    assert (stored[0].kind, stored[0].result, stored[0].next_contact_on.isoformat()) == ("visit", "not_reached", following)
    ref = stored[0].person_ref
    assert len(ref) == 32

    # The person agrees: the intake taken from their screen carries the reference.
    page.get_by_role("button", name="Start an intake for this person").click()
    answer_default_form(page, subject="Myself", concerns=["Money or debt"], name="Eri Later",
                        phone="090-3333-4444", within="#intake")
    page.locator("#consent").wait_for(state="visible")
    page.locator("input[name=mode][value=verbal]").check()
    choose(page, "Yes, send them", "#consent")
    page.locator("input[name=multi_agency_meeting][value=no]").check()
    choose(page, "Phone call", "#consent")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you. Here is your receipt.").wait_for()
    with Session(engine) as session:
        entry = session.get(ContactEntry, stored[0].id)
        intake = session.get(Intake, entry.intake_id)
        assert intake is not None and intake.name == "Eri Later" and entry.person_ref is None
    page.get_by_role("button", name="Done: clear this screen").click()
    page.get_by_role("button", name="Keep in touch").click()
    expect(page.locator("#people-items li")).to_have_count(0)
    # The label never left the phone.
    assert bodies and not any(LABEL in b for b in bodies)
