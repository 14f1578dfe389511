"""The multi-agency team hands a case back to a lead office through the inbox, in
Chromium against gunicorn: the hand-back needs its box ticked, the banner names the office,
the new lead acts on the case and the team still reads it as a cooperating office; axe-core
finds no violation on the pages it goes through."""
from __future__ import annotations

import pytest
from babel.support import Translations

from tests.browser.steps import office_sign_in, submit_by_api
from tests.browser.test_inbox_actions import banner, open_intake
from tests.browser.test_kiosk_a11y import violations
from tests.conftest import ROOT
from tsunagi.domain import municipality
from tsunagi.domain.vocabulary import ACTION_LABELS

pytestmark = pytest.mark.browser

JA = Translations.load(str(ROOT / "translations"), ["ja"])
# An older resident of the south district with care and money worries, who agreed to the
# 重層的支援会議: the policy sends the case to the multi-agency team.
CARE_AND_MONEY = {"subject": "self", "age_band": "65_plus", "concerns": ["elder_care", "money"], "danger_now": "no",
                  "area": "minami"}


def test_the_team_hands_a_case_back_and_stays_on_it(live_server, browser):
    created = submit_by_api(live_server, answers=CARE_AND_MONEY, name="Hana Team", multi_agency=True)
    assert created["decision"]["provider"]["id"] == "takikan"
    intake_id = created["intake_id"]

    team = browser.new_context(locale="ja-JP").new_page()
    office_sign_in(team, live_server, "takikan")
    open_intake(team, live_server, intake_id)
    team.locator("form[action$='/transitions'] button[value=accept]").click()
    banner(team, JA.gettext("Done: the intake is now %(status)s.").split("%")[0])

    team.locator("summary", has_text=JA.gettext(ACTION_LABELS["hand_back"])).click()
    form = team.locator("#action-hand_back")
    form.locator("select[name=to_provider]").select_option("shogai")
    assert form.locator("select[name=to_provider] option[value=takikan]").count() == 0
    form.locator("input[name=reason]").fill("支援プランを作成済み")
    submit = form.locator("button[type=submit]")
    submit.click()
    # the browser asks for the confirmation before anything is sent
    assert form.locator("input[name=confirm]:invalid").count() == 1
    form.locator("input[name=confirm]").check()
    assert violations(team) == []
    submit.click()
    shogai = next(p for p in municipality.load_file(municipality.DEMO_FILE).providers if p.code == "shogai")
    office = shogai.name.ja
    said = banner(team, office)
    assert said == JA.gettext("Handed back to %(office)s, which now leads the case. The team stays on it.") % {
        "office": office}
    # the team stays on the page, as a cooperating office, with no action of the lead's
    assert team.url == f"{live_server.url}/provider/intakes/{intake_id}"
    main = team.locator("main").inner_text()
    assert JA.gettext("Your office cooperates on this case; %(office)s leads it.") % {"office": office} in main
    assert team.locator("form[action$='/transitions']").count() == 0
    assert "支援プランを作成済み" in team.locator("ul.history").inner_text()
    assert violations(team) == []
    team.context.close()

    lead = browser.new_context(locale="ja-JP").new_page()
    office_sign_in(lead, live_server, "shogai")
    assert lead.locator(f"a[href='/provider/intakes/{intake_id}']").count() == 1
    open_intake(lead, live_server, intake_id)
    assert lead.locator("form[action$='/transitions']").count() > 0
    assert lead.locator("#action-close").count() == 1 and lead.locator("#action-hand_back").count() == 0
    assert lead.locator("#add-office").count() == 1 and lead.locator("#log-contact").count() == 1
    assert violations(lead) == []
    lead.context.close()
