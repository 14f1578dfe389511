"""Answering the default intake form in English, shared by the kiosk and PWA tests."""
from __future__ import annotations


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
    page.wait_for_url(f"{live_server.url}/provider/")


def intake_named(session, name: str):
    """The newest intake whose resident gave `name` (names are sealed: compared after opening)."""
    from sqlalchemy import select

    from tsunagi.domain.models import Intake

    return next((i for i in session.scalars(select(Intake).order_by(Intake.created_at.desc())) if i.name == name), None)
