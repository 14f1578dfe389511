"""Every "yes, send" reaches someone: residents the policy sends to the multi-agency team,
who agree to share but decline the meeting, land in exactly one office's inbox with the
reason; with the meeting agreed, in the team's. Kiosk in Chromium against gunicorn."""
from __future__ import annotations

import pytest
from babel.support import Translations
from sqlalchemy.orm import Session

from tests.browser.steps import intake_named, office_sign_in
from tsunagi.domain import ROOT
from tsunagi.domain.models import Provider
from tsunagi.domain.triage.reasons import Reason, render_reason

pytestmark = pytest.mark.browser

# Answers by their canonical values, step by step, so the journey reads the same in any language.
MOTHER = [("subject", "self"), ("age_band", "18_39"), ("pregnant", "no"), ("concerns", "child_rearing"),
          ("concerns", "money"), ("household", "child_under_18"), ("danger_now", "no"), ("area", "minami")]
COMPOUND = [("subject", "family"), ("age_band", "65_plus"), ("concerns", "disability"), ("concerns", "money"),
            ("household", "elderly_65_plus"), ("danger_now", "no"), ("area", "kita")]
URGENT = [("subject", "self"), ("age_band", "40_64"), ("pregnant", "no"), ("concerns", "isolation"),
          ("household", "elderly_65_plus"), ("danger_now", "yes"), ("area", "kita")]


def walk_to_consent(page, live_server, locale: str, answers, name: str | None) -> None:
    """One resident at the library kiosk, from the welcome screen to the consent screen."""
    page.goto(f"{live_server.url}/k/lib-chuo/{locale}/")
    page.locator("main form button.primary").click()
    remaining = list(answers)
    for _ in range(12):
        page.wait_for_load_state()
        path = page.url.split("?")[0]
        if path.endswith("/urgent"):
            page.locator("main form button.primary").click()
            continue
        if path.endswith("/review"):
            page.locator("main a.button.primary").last.click()
            break
        asked = {el.get_attribute("name") for el in page.locator("main form input").all()}
        for key, value in [a for a in remaining if a[0] in asked]:
            page.locator(f"main input[name={key}][value='{value}']").check()
            remaining.remove((key, value))
        if name and "name" in asked:
            page.locator("main input[name=name]").fill(name)
        page.locator("main form .nav button.primary").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/consent"), page.url


def kiosk_intake(page, live_server, locale: str, answers, meeting: str, name: str) -> None:
    """Agree to share, answer the meeting question, be visited; returns on the receipt."""
    walk_to_consent(page, live_server, locale, answers, name)
    page.locator("main input[name=share][value=yes]").check()
    page.locator(f"main input[name=multi_agency_meeting][value={meeting}]").check()
    page.locator("main input[name=contact_methods][value=visit]").check()
    page.locator("main form .nav button.primary").click()
    page.locator(".next-step").wait_for()


def inbox_names(context, live_server, username: str) -> list[str]:
    """The intakes an office's staff open from its inbox: the resident name of each."""
    office = context.browser.new_context()
    page = office.new_page()
    office_sign_in(page, live_server, username)
    names = []
    links = page.get_by_role("link", name="開く")
    for i in range(links.count()):
        links.nth(i).click()
        names.append(page.locator("main").inner_text())
        page.go_back()
    office.close()
    return names


def first_contact_reason_ja(service: str) -> str:
    """The reason as the office reads it (Japanese, the office's language)."""
    ja = Translations.load(str(ROOT / "translations"), ["ja"])
    return render_reason(Reason("first_contact_no_meeting", {"service": service}), ja.gettext, "ja")


@pytest.mark.parametrize(("locale", "answers", "office", "name"), [
    ("vi", MOTHER, "kodomo", "Nguyen Thi Lan"),
    ("en", COMPOUND, "shogai", "Kenji Compound"),
    ("en", URGENT, "houkatsu-kita", "Mari Urgent"),
])
def test_declining_the_meeting_reaches_one_office_with_the_reason(live_server, context, engine, locale, answers,
                                                                  office, name):
    page = context.new_page()
    # Before Send, the consent screen says where "No" to the meeting sends the answers.
    kiosk_intake(page, live_server, locale, answers, meeting="no", name=name)
    with Session(engine) as session:
        intake = intake_named(session, name)
        assert intake.status == "received" and session.get(Provider, intake.provider_id).code == office
        assert "first_contact_no_meeting" in [r["code"] for r in intake.decision["reasons"]]
        shown = session.get(Provider, intake.provider_id)
    # The receipt names the office and why; nothing about the needs.
    receipt = page.locator("main").inner_text()
    assert shown.phone in receipt

    reason = first_contact_reason_ja(shown.service)
    seen = [text for text in inbox_names(context, live_server, office) if name in text]
    assert len(seen) == 1 and reason in seen[0]
    assert not [text for text in inbox_names(context, live_server, "takikan") if name in text]

    # With the meeting agreed, the same resident goes to the team.
    agreed = f"{name} 2"
    kiosk_intake(page, live_server, locale, answers, meeting="yes", name=agreed)
    assert [text for text in inbox_names(context, live_server, "takikan") if agreed in text]
    assert not [text for text in inbox_names(context, live_server, office) if agreed in text]


def test_the_consent_screen_says_what_each_answer_does(live_server, context):
    page = context.new_page()
    walk_to_consent(page, live_server, "en", COMPOUND, name=None)
    hint = page.locator("ul.hint").inner_text()
    assert "Yes: your answers go to Tsunagi Multi-Agency Team" in hint
    assert "No: your answers go to Tsunagi Disability Support Center instead" in hint
    # "No, do not send" stops asking the meeting and the ways of contact.
    meeting = page.locator("fieldset.needs-share").first
    assert meeting.is_visible()
    page.locator("main input[name=share][value=no]").check()
    assert not meeting.is_visible()
    page.locator("main form .nav button.primary").click()
    page.locator(".next-step").wait_for()
    assert "Nothing was sent" in page.locator(".next-step").inner_text()
