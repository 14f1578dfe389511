"""Several offices on one case, through the staff pages: a cooperating office reads the
case only once the resident agreed to the 重層的支援会議 and never acts on it; the team hands
a case back to a lead office; meeting decisions and contacts are recorded in the staff's
words; the office that passed a case on sees how it went and nothing about the resident."""
from __future__ import annotations

import html
from datetime import datetime

import pytest
from babel.support import Translations
from sqlalchemy import func, select

from tests.conftest import PASSWORD, ROOT
from tests.inbox.test_inbox import login
from tests.kiosk_helpers import csrf_token
from tsunagi.domain import accounts, municipality
from tsunagi.domain.models import AuditEvent, ContactEntry, IntakeEvent, Provider
from tsunagi.domain.vocabulary import (
    ACTION_LABELS,
    CONTACT_KINDS,
    CONTACT_RESULTS,
    JST,
    MEETING_DECISIONS,
    MEETING_KINDS,
    OUTCOME_LABELS,
    REFUSALS,
    RETURN_REASONS,
    STATUS_LABELS,
)

# Staff read the pages in Japanese: expected texts go through the same catalog, so the
# tests hold before and after a msgid is translated.
JA = Translations.load(str(ROOT / "translations"), ["ja"])
TEAM_CASE = {"subject": "self", "age_band": "65_plus", "concerns": ["elder_care", "money"], "danger_now": "no",
             "area": "minami"}


def t(msgid: str, **params) -> str:
    text = JA.gettext(msgid)
    return text % params if params else text


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def page(client, intake_id: str):
    return client.get(f"/provider/intakes/{intake_id}")


def text(response) -> str:
    return html.unescape(response.text)


def history_of(shown: str) -> str:
    """The History list of an intake page (not the audit trail after it, which shows codes)."""
    return shown.split('<ul class="history">')[1].split("</ul>")[0]


def post(client, path: str, data: dict | None = None, follow: bool = False):
    token = csrf_token(client.get("/provider/").text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=follow)


def today() -> str:
    return datetime.now(JST).date().isoformat()


def name_of(session, code: str) -> str:
    return municipality.localized(session.scalar(select(Provider).where(Provider.code == code)).name, "ja")


def new_routes(intake_id: str) -> list[tuple[str, dict]]:
    base = f"/provider/intakes/{intake_id}"
    return [(f"{base}/offices", {"office": "jiritsu"}),
            (f"{base}/offices/shogai/end", {}),
            (f"{base}/meeting-consent", {"resident_agreed": "yes"}),
            (f"{base}/meetings", {"kind": "support_meeting", "decision": "plan", "held_on": today()}),
            (f"{base}/contacts", {"kind": "call", "result": "reached", "contacted_on": today()})]


def events(session, intake, action: str) -> int:
    return session.scalar(select(func.count()).select_from(IntakeEvent)
                          .where(IntakeEvent.intake_id == intake.id, IntakeEvent.action == action))


def test_a_named_office_reads_the_case_only_once_the_resident_agreed(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=False).intake
    lead, named, stranger = (signed_in(app, code) for code in ("houkatsu-minami", "shogai", "kodomo"))

    shown = text(page(lead, intake.id))
    assert 'id="add-office"' in shown and 'id="meeting-consent"' in shown
    assert t("The cooperating offices named here will see the case only once the resident agrees to the "
             "multi-agency support meeting.") in shown
    added = post(lead, f"/provider/intakes/{intake.id}/offices", {"office": "shogai"}, follow=True)
    assert t("%(office)s is named as a cooperating office. It will see the case once the resident agrees to the "
             "multi-agency support meeting.", office=name_of(session, "shogai")) in text(added)
    assert f"{name_of(session, 'shogai')} — {t('cooperating office')}" in text(added)
    assert events(session, intake, "office_added") == 1

    # Named, but the resident has not agreed: the office cannot tell the case exists.
    assert page(named, intake.id).status_code == 404
    assert f"/provider/intakes/{intake.id}" not in named.get("/provider/").text
    for path, data in new_routes(intake.id):
        assert post(named, path, data).status_code == 404, path

    # The box that says the staff member heard the resident agree is required.
    unticked = post(lead, f"/provider/intakes/{intake.id}/meeting-consent", follow=True)
    assert t(REFUSALS["confirm_required"]) in text(unticked)
    session.refresh(intake.consent)
    assert intake.consent.multi_agency_meeting is False
    agreed = post(lead, f"/provider/intakes/{intake.id}/meeting-consent", {"resident_agreed": "yes"}, follow=True)
    assert t("Recorded: the resident agreed to the multi-agency support meeting. The cooperating offices now see the case.") \
        in text(agreed)
    session.refresh(intake.consent)
    assert intake.consent.multi_agency_meeting is True and intake.consent.meeting_agreed_mode == "verbal"
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "intake_meeting_consent")) == 1

    # Now it reads the case, as a cooperating office: no action of the lead's is offered.
    seen = page(named, intake.id)
    assert seen.status_code == 200
    shown = text(seen)
    assert t("Your office cooperates on this case; %(office)s leads it.",
             office=name_of(session, "houkatsu-minami")) in shown
    for lead_only in ("/transitions", "/consent/withdraw", "/follow-up/revoke", 'id="add-office"',
                      'id="meeting-consent"'):
        assert lead_only not in shown, lead_only
    assert 'id="log-contact"' in shown and 'id="record-meeting"' in shown
    row = next(line for line in named.get("/provider/").text.split("<tr")
               if f"/provider/intakes/{intake.id}" in line)
    assert t("cooperating") in html.unescape(row)
    assert t("cooperating") not in html.unescape(next(
        line for line in lead.get("/provider/").text.split("<tr") if f"/provider/intakes/{intake.id}" in line))
    # A cooperating office does not act: the lifecycle refuses it.
    assert post(named, f"/provider/intakes/{intake.id}/transitions", {"action": "accept"}).status_code == 403

    # An office not on the case still gets 404, on the page and on every new route.
    assert page(stranger, intake.id).status_code == 404
    for path, data in new_routes(intake.id):
        assert post(stranger, path, data).status_code == 404, path
    assert events(session, intake, "office_added") == 1 and events(session, intake, "meeting") == 0
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 0

    # The lead ends the cooperation: the office no longer reads the case.
    ended = post(lead, f"/provider/intakes/{intake.id}/offices/shogai/end", follow=True)
    assert t("%(office)s no longer works on this case.", office=name_of(session, "shogai")) in text(ended)
    assert page(named, intake.id).status_code == 404


def test_the_offices_form_refuses_garbage_with_a_banner(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=True).intake
    lead = signed_in(app, "houkatsu-minami")
    for office in ("houkatsu-minami", "no-such-office", "\x00", "x" * 500):
        refused = post(lead, f"/provider/intakes/{intake.id}/offices", {"office": office}, follow=True)
        assert refused.status_code == 200
        assert t(REFUSALS["same_provider"]) in text(refused) or t(REFUSALS["unknown_provider"]) in text(refused)
    gone = post(lead, f"/provider/intakes/{intake.id}/offices/shogai/end", follow=True)
    assert t(REFUSALS["not_on_case"]) in text(gone)
    assert events(session, intake, "office_added") == 0 and events(session, intake, "office_ended") == 0
    assert post(lead, f"/provider/intakes/{intake.id}/offices", {"office": "shogai"}).status_code == 302
    again = post(lead, f"/provider/intakes/{intake.id}/offices", {"office": "shogai"}, follow=True)
    assert t(REFUSALS["already_on_case"]) in text(again)
    assert events(session, intake, "office_added") == 1


def test_the_team_hands_a_case_back_through_the_page(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=True, answers=TEAM_CASE).intake
    assert intake.provider.code == "takikan"
    team, shogai = signed_in(app, "takikan"), signed_in(app, "shogai")
    assert post(team, f"/provider/intakes/{intake.id}/transitions", {"action": "accept"}).status_code == 302
    shown = text(page(team, intake.id))
    assert 'id="action-hand_back"' in shown and t("The team stays on the case as a cooperating office") in shown
    # the hand-back offers lead offices, never the team itself
    form = shown.split('id="action-hand_back"')[1].split("</form>")[0]
    assert 'value="shogai"' in form and 'value="takikan"' not in form

    unconfirmed = post(team, f"/provider/intakes/{intake.id}/transitions",
                       {"action": "hand_back", "to_provider": "shogai"}, follow=True)
    assert t(REFUSALS["confirm_required"]) in text(unconfirmed)
    session.refresh(intake)
    assert intake.provider.code == "takikan"

    done = post(team, f"/provider/intakes/{intake.id}/transitions",
                {"action": "hand_back", "to_provider": "shogai", "reason": "支援計画を作成済み", "confirm": "yes"},
                follow=True)
    assert done.status_code == 200
    office = name_of(session, "shogai")
    assert t("Handed back to %(office)s, which now leads the case. The team stays on it.", office=office) \
        in text(done)
    session.refresh(intake)
    assert intake.provider.code == "shogai" and intake.status == "accepted"

    # The new lead acts on it; the team still reads it, as a cooperating office, without actions.
    lead_page = text(page(shogai, intake.id))
    assert "/transitions" in lead_page and 'id="action-close"' in lead_page
    assert 'id="action-hand_back"' not in lead_page  # only the team hands back
    team_page = text(page(team, intake.id))
    assert t("Your office cooperates on this case; %(office)s leads it.", office=office) in team_page
    assert "/transitions" not in team_page and "/follow-up/revoke" not in team_page
    # History: the hand-back by its label, the office it went to, the staff's words.
    history = history_of(team_page)
    assert t(ACTION_LABELS["hand_back"]) in history and t("to %(office)s", office=office) in history
    assert "支援計画を作成済み" in history and "hand_back" not in history


def test_meeting_decisions_and_contacts_in_the_staffs_words(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=False).intake
    lead = signed_in(app, "houkatsu-minami")
    assert post(lead, f"/provider/intakes/{intake.id}/transitions", {"action": "accept"}).status_code == 302

    recorded = post(lead, f"/provider/intakes/{intake.id}/meetings",
                    {"kind": "support_meeting", "decision": "plan", "held_on": today(), "note": "見守りを継続"},
                    follow=True)
    shown = text(recorded)
    assert t("Meeting decision recorded: %(decision)s.", decision=t(MEETING_DECISIONS["plan"])) in shown
    meetings = shown.split('class="meetings"')[1].split("</ul>")[0]
    assert today() in meetings and t(MEETING_KINDS["support_meeting"]) in meetings
    assert t(MEETING_DECISIONS["plan"]) in meetings and "見守りを継続" in meetings
    assert "support_meeting" not in meetings

    # The two meetings are separate choices.
    form = shown.split('id="record-meeting"')[1].split("</form>")[0]
    assert form.count('name="kind"') == 2 and 'type="date" name="held_on" required' in form

    # A 重層的支援会議 without the resident's consent: refused, nothing stored.
    refused = post(lead, f"/provider/intakes/{intake.id}/meetings",
                   {"kind": "multi_agency_meeting", "decision": "replan", "held_on": today()}, follow=True)
    assert refused.status_code == 200
    assert t("The resident has not agreed to the multi-agency support meeting, so no decision of one can be "
             "recorded. Record their agreement first, or record the decision of a support meeting under the "
             "Social Welfare Act (art. 106-6).") in text(refused)
    assert events(session, intake, "meeting") == 1
    # a date in the future is refused too
    tomorrow = datetime.now(JST).date().replace(year=datetime.now(JST).year + 1).isoformat()
    late = post(lead, f"/provider/intakes/{intake.id}/meetings",
                {"kind": "support_meeting", "decision": "plan", "held_on": tomorrow}, follow=True)
    assert t(REFUSALS["meeting_date_required"]) in text(late)
    assert events(session, intake, "meeting") == 1

    # The contact form starts at today in Japan time.
    contact_form = shown.split('id="log-contact"')[1].split("</form>")[0]
    assert f'name="contacted_on" required value="{today()}"' in contact_form
    before = intake.failed_contacts
    logged = post(lead, f"/provider/intakes/{intake.id}/contacts",
                  {"kind": "call", "result": "not_reached", "contacted_on": today(), "next_contact_on": tomorrow,
                   "note": "留守番電話"}, follow=True)
    session.refresh(intake)
    assert intake.failed_contacts == before + 1
    shown = text(logged)
    assert t("Contact recorded: not reached (%(n)s failed contact attempts so far).", n=before + 1) in shown
    log = shown.split('class="contacts"')[1].split("</table>")[0]
    assert t(CONTACT_KINDS["call"]) in log and t(CONTACT_RESULTS["not_reached"]) in log
    assert "留守番電話" in log and tomorrow in log and today() in log and "not_reached" not in log
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "intake_contact")) == 1
    # a reached contact does not count as failed
    post(lead, f"/provider/intakes/{intake.id}/contacts",
         {"kind": "visit", "result": "reached", "contacted_on": today()})
    session.refresh(intake)
    assert intake.failed_contacts == before + 1
    refused = post(lead, f"/provider/intakes/{intake.id}/contacts",
                   {"kind": "call", "result": "reached", "contacted_on": today(), "next_contact_on": "2001-01-01"},
                   follow=True)
    assert t(REFUSALS["next_contact_in_past"]) in text(refused)
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 2


def test_the_office_that_passed_a_case_on_sees_how_it_ended(app, session, provider_users, make_intake):
    intake = make_intake(multi_agency=True).intake
    minami, kita = signed_in(app, "houkatsu-minami"), signed_in(app, "houkatsu-kita")
    assert text(minami.get("/provider/")).count(t("Cases we passed on")) == 1  # the nav link
    moved = post(minami, f"/provider/intakes/{intake.id}/transitions",
                 {"action": "return", "return_reason": "wrong_area", "to_provider": "houkatsu-kita",
                  "reason": "北部に転居", "confirm": "yes"})
    assert moved.status_code == 302
    post(kita, f"/provider/intakes/{intake.id}/transitions", {"action": "accept"})
    closed = post(kita, f"/provider/intakes/{intake.id}/transitions",
                  {"action": "close", "outcome": "resolved", "confirm": "yes"}, follow=True)
    assert t("Closed: %(outcome)s.", outcome=t(OUTCOME_LABELS["resolved"])) in text(closed)

    listing = minami.get("/provider/passed-on")
    assert listing.status_code == 200
    shown = text(listing)
    row = next(line for line in shown.split("<tr") if intake.id[:8] in line)
    assert name_of(session, "houkatsu-kita") in row
    assert t(STATUS_LABELS["closed"]) in row and t(OUTCOME_LABELS["resolved"]) in row
    assert intake.id not in shown  # not even a link to a case it may no longer read
    for private in ("山田", "花子", "090-1234-5678", "北部に転居", "65"):
        assert private not in shown, private
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "passed_on_list")) == 1
    # kita passed nothing on; the coordinator and the admin have no office
    assert intake.id[:8] not in kita.get("/provider/passed-on").text
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    accounts.create_user(session, "root", PASSWORD, "admin")
    session.commit()
    for username in ("coord", "root"):
        client = signed_in(app, username)
        assert client.get("/provider/passed-on").status_code == 403
        assert t("Cases we passed on") not in text(client.get("/provider/outbox"))
    assert minami.get("/provider/passed-on?page=x").status_code == 400

    # (e) The history names what happened by its labels, never the codes.
    history = history_of(text(page(kita, intake.id)))
    assert t("reason: %(reason)s", reason=t(RETURN_REASONS["wrong_area"])) in history
    assert t("to %(office)s", office=name_of(session, "houkatsu-kita")) in history
    assert t("outcome: %(outcome)s", outcome=t(OUTCOME_LABELS["resolved"])) in history
    assert t("lead office: %(office)s", office=name_of(session, "houkatsu-kita")) in history
    assert "北部に転居" in history
    for code in ("why=", "outcome=", "wrong_area", "resolved", "return:", "close:"):
        assert code not in history, code


@pytest.mark.parametrize("mode", ["withdraw", "revoke"])
def test_case_events_outside_the_lifecycle_are_labelled(app, session, provider_users, make_intake, mode):
    intake = make_intake(multi_agency=True).intake
    lead = signed_in(app, "houkatsu-minami")
    post(lead, f"/provider/intakes/{intake.id}/offices", {"office": "jiritsu"})
    if mode == "withdraw":
        post(lead, f"/provider/intakes/{intake.id}/consent/withdraw")
    else:
        post(lead, f"/provider/intakes/{intake.id}/follow-up/revoke")
    history = history_of(text(page(lead, intake.id)))
    assert t("Cooperating office named") in history
    assert t("office: %(office)s", office=name_of(session, "jiritsu")) in history
    if mode == "withdraw":
        assert t("Consent withdrawn") in history and t("recorded by an office") in history
    else:
        assert t("QR and receipt code revoked, new ones issued") in history
    for code in ("office_added", "consent_withdrawn", "follow_up_revoked", "jiritsu"):
        assert code not in history, code
