"""Answering the default intake form in English, shared by the kiosk and PWA tests; an
intake through the API and an office's sign-in, shared by the inbox tests."""
from __future__ import annotations

import json
import urllib.request
import uuid

PREGNANT_IN_MINAMI = {"subject": "self", "age_band": "18_39", "pregnant": "yes", "concerns": ["pregnancy"],
                      "danger_now": "no", "area": "minami"}


def submit_by_api(live_server, answers: dict | None = None, name: str = "Joana Silva",
                  multi_agency: bool = True) -> dict:
    """An intake made by the demo outreach worker through the API, in English (by default
    a pregnant resident of the south district, for the children and family center)."""
    token = live_server.credentials()["outreach"]["api_token"]

    def call(method, path, body=None, headers=None):
        request = urllib.request.Request(f"{live_server.url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}", **(headers or {})})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    version = call("GET", "/api/v1/forms/intake-default?locale=en")["consent"]["version"]
    return call("POST", "/api/v1/intakes", {
        "form_id": "intake-default", "locale": "en", "channel": "outreach", "location": "outreach",
        "answers": answers or PREGNANT_IN_MINAMI,
        "contact": {"name": name, "phone": "070-3333-4444"},
        "consent": {"version": version, "mode": "verbal",
                    "scopes": {"share_with_provider": True, "multi_agency_meeting": multi_agency,
                               "contact_methods": ["phone"]}},
    }, {"Idempotency-Key": str(uuid.uuid4())})


def choose(page, label: str, within: str = "main") -> None:
    page.locator(within).get_by_label(label, exact=True).check()


def answer_default_form(page, *, subject: str, concerns: list[str], name: str, phone: str,
                        free_text: str | None = None, within: str = "main") -> None:
    """Every step for a resident aged 65 or over who lives alone in the north district and
    is in no danger, from the first question to the contact step (which it submits)."""

    def next_step() -> None:
        page.locator(within).get_by_role("button", name="Next").click()

    choose(page, subject, within)
    choose(page, "65 or over", within)
    next_step()
    for concern in concerns:
        choose(page, concern, within)
    next_step()
    choose(page, "Lives alone", within)
    next_step()
    choose(page, "No", within)
    next_step()
    choose(page, "North district", within)
    next_step()
    page.locator(within).get_by_label("Your name (a nickname is fine)").fill(name)
    page.locator(within).get_by_label("Phone number").fill(phone)
    if free_text is not None:
        page.locator(within).get_by_label("Anything else you want to tell us (optional)").fill(free_text)
    next_step()


def office_sign_in(page, live_server, username: str) -> None:
    """An office's staff signs in to the inbox with the demo credentials of `username`."""
    page.goto(f"{live_server.url}/provider/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(live_server.credentials()[username]["password"])
    page.locator("button[type=submit]").click()
    # staff land on the inbox, an administrator on the users
    page.wait_for_url(lambda url: url in (f"{live_server.url}/provider/", f"{live_server.url}/provider/users"))


def intake_named(session, name: str):
    """The newest intake whose resident gave `name` (names are sealed: compared after opening)."""
    from sqlalchemy import select

    from tsunagi.domain.models import Intake

    return next((i for i in session.scalars(select(Intake).order_by(Intake.created_at.desc())) if i.name == name), None)


def offline_for_this_document(context) -> None:
    """Take `context` offline again for the document it shows now. Chromium 150 (with
    Playwright 1.65) gives a document loaded while the context is offline
    `navigator.onLine` true, though its requests fail; the document that was open when the
    context went offline reads false. Toggling sets it for the new document too, as a
    phone opened without a network reads false. The app's "online" handler runs between
    the two (a send of an empty queue asks the server nothing)."""
    context.set_offline(False)
    context.set_offline(True)
