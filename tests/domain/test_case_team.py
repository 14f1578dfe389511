"""Several offices on one case (tsunagi.domain.case_team): a cooperating office reads the
case only once the resident's consent covers it, the team hands the case back to a lead
office and stays on it, meetings decide with their date and kind, contacts are logged, and
the office that passed a case on still sees how it ended."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.domain.test_lifecycle import staff_of
from tsunagi.domain import access, accounts, case_team, consent, lifecycle, reports
from tsunagi.domain.consent import ConsentRequired
from tsunagi.domain.models import IntakeEvent, Provider, User
from tsunagi.domain.vocabulary import JST

COMPOUND = {"subject": "self", "age_band": "65_plus", "concerns": ["money"], "danger_now": "no", "area": "minami"}


def user_of(session, code: str, role: str = "provider_staff") -> User:
    user = session.scalar(select(User).where(User.username == f"{role}-{code}"))
    if user is None:
        user, _ = accounts.create_user(session, f"{role}-{code}", "correct horse battery staple", role,
                                       code if role != "coordinator" else None)
    return user


def office(session, intake) -> str:
    return session.get(Provider, intake.provider_id).code


def team_intake(make_intake, session):
    intake = make_intake(answers=COMPOUND, multi_agency=True).intake
    assert office(session, intake) == "takikan"
    return intake


def test_a_cooperating_office_reads_the_case_only_once_the_consent_covers_it(session, make_intake):
    intake = make_intake(multi_agency=False).intake  # shared with the lead, not with the meeting
    lead, shogai, kodomo = staff_of(session, intake), user_of(session, "shogai"), user_of(session, "kodomo")
    case_team.add_office(session, intake, lead, "shogai", note="障害の相談も")
    session.commit()
    visible = lambda user: set(session.scalars(access.visible_intakes(user).with_only_columns(  # noqa: E731
        access.Intake.id)))
    assert not access.can_read(shogai, intake) and intake.id not in visible(shogai)
    with pytest.raises(access.NoSuchIntake):
        access.readable_intake(session, shogai, intake.id)

    assert case_team.record_meeting_consent(session, intake, lead) is True
    session.commit()
    assert access.can_read(shogai, intake) and intake.id in visible(shogai)
    assert intake.consent.meeting_agreed_by_id == lead.id and intake.consent.meeting_agreed_mode == "verbal"
    # An office not on the case still sees nothing; the cooperating one may not act.
    assert not access.can_read(kodomo, intake) and intake.id not in visible(kodomo)
    assert not lifecycle.may_act(shogai, intake, "accept")

    consent.withdraw(session, intake, via="follow_up")
    session.commit()
    assert not access.can_read(shogai, intake) and intake.id not in visible(shogai)
    assert access.can_read(lead, intake)  # the lead keeps the (erased) case


def test_only_the_lead_or_the_coordinator_names_offices(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    with pytest.raises(case_team.CaseTeamRefused) as info:
        case_team.add_office(session, intake, user_of(session, "shogai"), "kodomo")
    assert info.value.code == "forbidden"
    coordinator = user_of(session, "x", "coordinator")
    case_team.add_office(session, intake, coordinator, "kodomo")
    for code, refusal in (("kodomo", "already_on_case"), (office(session, intake), "same_provider"),
                          ("nope", "unknown_provider"), (None, "unknown_provider")):
        with pytest.raises(case_team.CaseTeamRefused) as info:
            case_team.add_office(session, intake, coordinator, code)
        assert info.value.code == refusal
    with pytest.raises(case_team.CaseTeamRefused) as info:
        case_team.record_meeting_consent(session, intake, coordinator)
    assert info.value.code == "forbidden"  # only the lead office hears the resident agree
    case_team.end_office(session, intake, user_of(session, "kodomo"), "kodomo")  # it may leave itself
    assert case_team.cooperating(session, intake) == []
    withdrawn = make_intake().intake
    consent.withdraw(session, withdrawn, via="follow_up")
    with pytest.raises(ConsentRequired):  # nothing more is shared
        case_team.add_office(session, withdrawn, coordinator, "kodomo")


def test_the_team_hands_the_case_back_to_a_lead_office_and_stays_on_it(session, make_intake):
    intake = team_intake(make_intake, session)
    team = staff_of(session, intake)
    lifecycle.transition(session, intake, "accept", team)
    case_team.add_office(session, intake, team, "jiritsu")
    case_team.record_meeting(session, intake, team, kind="multi_agency_meeting", decision="plan",
                             held_on=date.today() - timedelta(days=1), note="役割分担")
    event = lifecycle.transition(session, intake, "hand_back", team, to_provider="jiritsu", reason="プランに基づき")
    session.commit()
    assert office(session, intake) == "jiritsu" and intake.service == "jiritsu" and intake.status == "accepted"
    assert event.action == "hand_back" and event.details == {"to": "jiritsu"} and event.from_provider_id == team.provider_id
    roles = [(role, p.code) for role, p in case_team.offices_on(session, intake)]
    assert roles == [("lead", "jiritsu"), ("cooperating", "takikan")]  # the lead is no longer cooperating
    lead = user_of(session, "jiritsu")
    assert lifecycle.may_act(lead, intake, "close") and not lifecycle.may_act(team, intake, "close")
    assert access.can_read(team, intake)  # the team keeps backing the lead office (L589-596)
    assert list(session.scalars(case_team.passed_on_by(team.provider_id))) == []  # still on the case
    lifecycle.transition(session, intake, "close", lead, outcome="connected")
    closed = session.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id)
                             .order_by(IntakeEvent.id.desc())).first()
    assert closed.details == {"outcome": "connected", "lead": "jiritsu"}  # closing names the lead office
    day = reports.day_of(intake.created_at)
    events = reports.tallies(session, day, day)["event"]
    assert (events["hand_back"], events["meeting_plan"]) == (1, 1)  # the coordinator's counts


def test_only_the_team_hands_back_and_only_to_a_lead_office(session, make_intake):
    plain = make_intake(multi_agency=True).intake
    lifecycle.transition(session, plain, "accept", staff_of(session, plain))
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, plain, "hand_back", staff_of(session, plain), to_provider="shogai")
    assert info.value.code == "forbidden"
    intake = team_intake(make_intake, session)
    team = staff_of(session, intake)
    with pytest.raises(lifecycle.TransitionRefused) as info:  # not before the team took it on
        lifecycle.transition(session, intake, "hand_back", team, to_provider="jiritsu")
    assert info.value.code == "invalid_transition"
    lifecycle.transition(session, intake, "accept", team)
    for code, refusal in (("takikan", "same_provider"), ("nope", "unknown_provider"), (None, "unknown_provider")):
        with pytest.raises(lifecycle.TransitionRefused) as info:
            lifecycle.transition(session, intake, "hand_back", team, to_provider=code)
        assert info.value.code == refusal
    assert office(session, intake) == "takikan"


def test_meetings_are_recorded_with_date_and_kind_and_the_two_are_kept_apart(session, make_intake):
    intake = make_intake(multi_agency=False).intake
    lead = staff_of(session, intake)
    with pytest.raises(ConsentRequired):  # the 重層的支援会議 needs the resident's consent
        case_team.record_meeting(session, intake, lead, kind="multi_agency_meeting", decision="plan",
                                 held_on=date.today())
    # The 支援会議 may discuss the case without it (社会福祉法 106条の6).
    event = case_team.record_meeting(session, intake, lead, kind="support_meeting", decision="plan",
                                     held_on=date.today().isoformat(), note="見守り")
    assert event.details == {"kind": "support_meeting", "decision": "plan", "held_on": date.today().isoformat()}
    assert event.reason == "見守り"
    tomorrow_in_japan = datetime.now(JST).date() + timedelta(days=1)
    for kind, decision, held_on, refusal in (
            ("committee", "plan", date.today(), "unknown_meeting"),
            ("support_meeting", "celebrate", date.today(), "unknown_meeting"),
            ("support_meeting", "plan", tomorrow_in_japan, "meeting_date_required"),
            ("support_meeting", "plan", "2026-13-45", "meeting_date_required"),
            ("support_meeting", "plan", None, "meeting_date_required"),
            ("support_meeting", "plan", "1900-01-01", "meeting_date_required")):
        with pytest.raises(case_team.CaseTeamRefused) as info:
            case_team.record_meeting(session, intake, lead, kind=kind, decision=decision, held_on=held_on)
        assert info.value.code == refusal
    with pytest.raises(case_team.CaseTeamRefused) as info:
        case_team.record_meeting(session, intake, user_of(session, "shogai"), kind="support_meeting",
                                 decision="plan", held_on=date.today())
    assert info.value.code == "forbidden"


def test_a_meeting_decision_to_interrupt_allows_interruption_until_reopened(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    lead = staff_of(session, intake)
    lifecycle.transition(session, intake, "accept", lead)
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "interrupt", lead, reason="連絡が取れない")
    assert info.value.code == "contact_attempts_required"
    case_team.record_meeting(session, intake, lead, kind="multi_agency_meeting", decision="interruption",
                             held_on=date.today())
    lifecycle.transition(session, intake, "interrupt", lead, reason="会議で決定")
    assert intake.status == "interrupted"
    lifecycle.transition(session, intake, "reopen", lead, reason="本人から連絡")
    with pytest.raises(lifecycle.TransitionRefused):  # the decision was about the earlier episode
        lifecycle.transition(session, intake, "interrupt", lead, reason="again")


def test_contacts_are_logged_and_one_that_did_not_reach_counts_as_a_failed_attempt(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    lead = staff_of(session, intake)
    lifecycle.transition(session, intake, "accept", lead)
    today = datetime.now(JST).date()
    case_team.log_contact(session, intake, lead, kind="visit", result="not_reached", contacted_on=today,
                          next_contact_on=today + timedelta(days=7), note="不在、手紙を残した")
    case_team.log_contact(session, intake, lead, kind="call", result="reached", contacted_on=today.isoformat())
    assert intake.failed_contacts == 1
    entries = case_team.contacts(session, intake)
    assert [(e.kind, e.result) for e in entries] == [("call", "reached"), ("visit", "not_reached")]
    assert entries[1].note == "不在、手紙を残した" and entries[1].next_contact_on == today + timedelta(days=7)
    for kwargs, refusal in (({"kind": "pigeon"}, "unknown_contact"), ({"result": "maybe"}, "unknown_contact"),
                            ({"contacted_on": "soon"}, "contact_date_required"),
                            ({"next_contact_on": today - timedelta(days=1)}, "next_contact_in_past"),
                            ({"next_contact_on": "later"}, "next_contact_in_past")):
        args = {"kind": "call", "result": "reached", "contacted_on": today, **kwargs}
        with pytest.raises(case_team.CaseTeamRefused) as info:
            case_team.log_contact(session, intake, lead, **args)
        assert info.value.code == refusal
    with pytest.raises(case_team.CaseTeamRefused) as info:
        case_team.log_contact(session, intake, user_of(session, "shogai"), kind="call", result="reached",
                              contacted_on=today)
    assert info.value.code == "forbidden"
    # A cooperating office logs its own contacts once it reads the case.
    case_team.add_office(session, intake, lead, "shogai")
    entry = case_team.log_contact(session, intake, user_of(session, "shogai"), kind="letter", result="left_word",
                                  contacted_on=today)
    assert entry.provider_id == user_of(session, "shogai").provider_id


def test_the_office_that_passed_a_case_on_sees_where_it_went_and_how_it_ended(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    first = staff_of(session, intake)
    lifecycle.transition(session, intake, "transfer", first, to_provider="shogai", reason="障害の相談")
    passed = lambda: list(session.scalars(case_team.passed_on_by(first.provider_id)))  # noqa: E731
    assert passed() == [intake]
    assert not access.can_read(first, intake)  # where it went and how it ended, not the case
    lead = user_of(session, "shogai")
    lifecycle.transition(session, intake, "accept", lead)
    lifecycle.transition(session, intake, "close", lead, outcome="connected")
    session.commit()
    assert passed()[0].outcome == "connected" and passed()[0].provider.code == "shogai"
    assert list(session.scalars(case_team.passed_on_by(lead.provider_id))) == []
    other = make_intake(multi_agency=True).intake  # never passed on: not in the list
    assert other not in passed()


def test_events_keep_the_staff_words_apart_from_the_codes(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    lead = staff_of(session, intake)
    event = lifecycle.transition(session, intake, "accept", lead)
    assert event.action == "accept" and event.reason is None and lifecycle.event_summary(event) == "accept"
    legacy = IntakeEvent(intake_id=intake.id, at=datetime.now(timezone.utc), from_status="accepted",
                         to_status="accepted", reason="close: outcome=resolved: 旧形式")
    assert lifecycle.event_summary(legacy) == "close: outcome=resolved: 旧形式"
