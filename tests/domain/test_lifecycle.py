"""The case lifecycle, checked in the domain layer: every allowed transition works, every
other is refused; returns are re-routed with reasons; consent gates every share."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tsunagi.domain import accounts, follow_up, lifecycle
from tsunagi.domain.consent import ConsentRequired
from tsunagi.domain.models import FollowUp, IntakeEvent, Provider, User

# How to bring an intake from "received" to each status (by its own provider's staff).
PATHS = {
    "received": [],
    "returned": [("return", {"reason": "outside our area", "return_reason": "wrong_area", "to_provider": "houkatsu-kita"})],
    "transferred": [("transfer", {"reason": "disability focus", "to_provider": "shogai"})],
    "accepted": [("accept", {})],
    "contacted": [("accept", {}), ("contacted", {})],
    "in_support": [("accept", {}), ("contacted", {}), ("start_support", {})],
    "closed": [("accept", {}), ("close", {"outcome": "resolved"})],
    "interrupted": [("accept", {})] + [("contact_failed", {})] * 3 + [("interrupt", {"reason": "no answer"})],
}
ARGS = {
    "accept": {}, "return": {"reason": "not ours"}, "transfer": {"reason": "better fit", "to_provider": "kodomo"},
    "contact_failed": {}, "contacted": {}, "start_support": {}, "close": {"outcome": "connected"},
    "interrupt": {"reason": "lost contact"}, "reopen": {"reason": "came back"},
}


def staff_of(session, intake) -> User:
    user = session.scalar(select(User).where(User.provider_id == intake.provider_id))
    if user is None:
        provider = session.get(Provider, intake.provider_id)
        user, _ = accounts.create_user(session, f"staff-{provider.code}", PASSWORD, "provider_staff", provider.code)
    return user


def bring_to(session, intake, status):
    for action, kwargs in PATHS[status]:
        lifecycle.transition(session, intake, action, staff_of(session, intake), **kwargs)
    assert intake.status == status


# The hand-back is the team's alone (tests/domain/test_case_team.py); the others, every status.
CASES = [(status, action) for status in PATHS for action in lifecycle.TRANSITIONS if action != "hand_back"]


@pytest.mark.parametrize(("status", "action"), CASES)
def test_transition_table(session, make_intake, status, action):
    intake = make_intake(multi_agency=True).intake
    bring_to(session, intake, status)
    if action == "interrupt":
        intake.failed_contacts = 3
    allowed = status in lifecycle.TRANSITIONS[action][0]
    if allowed:
        event = lifecycle.transition(session, intake, action, staff_of(session, intake), **ARGS[action])
        expected = lifecycle.TRANSITIONS[action][1] or status
        assert intake.status == expected == event.to_status
        assert event.from_status == status and event.actor_id is not None and event.action == action
        assert lifecycle.event_summary(event).startswith(action)
    else:
        with pytest.raises(lifecycle.TransitionRefused) as info:
            lifecycle.transition(session, intake, action, staff_of(session, intake), **ARGS[action])
        assert info.value.code == "invalid_transition"
        assert intake.status == status


def test_return_never_sends_the_resident_to_another_areas_office(session, make_intake):
    """A minami resident returned by the minami centre does not go to the kita centre
    because it "speaks the language": no other centre covers minami, so the team takes it."""
    intake = make_intake(multi_agency=True).intake  # a 65+ resident of minami → houkatsu-minami
    first = intake.provider_id
    lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="対象外")
    assert intake.status == "returned" and intake.provider_id != first
    assert session.get(Provider, intake.provider_id).code == "takikan"
    entry = intake.decision["reroutes"][-1]
    assert entry["action"] == "return" and entry["why"] == "other"
    assert entry["reasons"][0]["code"] == "provider_missing"
    # returned again by the team: nobody else can take it, and it says so
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="対象外")
    assert info.value.code == "no_provider"


def test_return_for_another_area_goes_to_the_office_named(session, make_intake):
    intake = make_intake(multi_agency=True).intake
    staff = staff_of(session, intake)
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "return", staff, reason="北部に転居", return_reason="wrong_area")
    assert info.value.code == "provider_required" and intake.status == "received"
    lifecycle.transition(session, intake, "return", staff, reason="北部に転居", return_reason="wrong_area",
                         to_provider="houkatsu-kita")
    assert session.get(Provider, intake.provider_id).code == "houkatsu-kita"
    entry = intake.decision["reroutes"][-1]
    assert entry["why"] == "wrong_area" and entry["reasons"] == [{"code": "provider_named", "params": {}}]
    # the office that returned it cannot be named again
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="x",
                             return_reason="wrong_area", to_provider="houkatsu-minami")
    assert info.value.code == "same_provider"


def test_return_for_another_service_re_triages_into_it(session, make_intake):
    """"This is about disability": the intake goes to the disability office, not the next
    elderly-care centre."""
    intake = make_intake(multi_agency=True).intake
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="障害の相談",
                             return_reason="wrong_service")
    assert info.value.code == "unknown_service"
    lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="障害の相談",
                         return_reason="wrong_service", to_service="shogai")
    target = session.get(Provider, intake.provider_id)
    assert target.service == "shogai" == intake.service
    assert intake.decision["reroutes"][-1]["why"] == "wrong_service"
    last = session.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id)
                           .order_by(IntakeEvent.id.desc())).first()
    assert last.action == "return" and last.reason == "障害の相談"  # the staff's own words, apart
    assert last.details == {"why": "wrong_service", "to": target.code}
    assert lifecycle.event_summary(last) == "return: why=wrong_service: 障害の相談"


def test_return_asking_for_the_team_goes_there_only_with_its_consent(session, make_intake):
    without = make_intake(multi_agency=False).intake
    with pytest.raises(ConsentRequired):
        lifecycle.transition(session, without, "return", staff_of(session, without), reason="複合",
                             return_reason="needs_team")
    assert without.status == "received"
    team = make_intake(multi_agency=True).intake
    lifecycle.transition(session, team, "return", staff_of(session, team), reason="複合", return_reason="needs_team")
    assert session.get(Provider, team.provider_id).code == "takikan"
    other = make_intake().intake
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, other, "return", staff_of(session, other), reason="x", return_reason="bored")
    assert info.value.code == "unknown_return_reason"


def test_return_to_the_team_needs_the_multi_agency_scope(session, make_intake):
    intake = make_intake(multi_agency=False).intake
    with pytest.raises(ConsentRequired):
        lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="対象外")
    assert intake.status == "received"


def test_transfer_and_return_need_consent_to_share(session, make_intake):
    intake = make_intake().intake
    intake.consent.withdrawn_at = datetime.now(timezone.utc)
    with pytest.raises(ConsentRequired):
        lifecycle.transition(session, intake, "transfer", staff_of(session, intake), reason="x", to_provider="kodomo")
    with pytest.raises(ConsentRequired):
        lifecycle.transition(session, intake, "return", staff_of(session, intake), reason="x")


@pytest.mark.parametrize(("action", "kwargs", "code"), [
    ("return", {}, "reason_required"),
    ("transfer", {"reason": "x"}, "unknown_provider"),
    ("transfer", {"reason": "x", "to_provider": "houkatsu-minami"}, "same_provider"),
    ("fly", {}, "unknown_action"),
])
def test_refusals_say_why(session, make_intake, action, kwargs, code):
    intake = make_intake().intake
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, action, staff_of(session, intake), **kwargs)
    assert info.value.code == code


def test_close_needs_an_outcome_and_interrupt_needs_failed_attempts(session, make_intake):
    intake = make_intake().intake
    staff = staff_of(session, intake)
    lifecycle.transition(session, intake, "accept", staff)
    with pytest.raises(lifecycle.TransitionRefused, match="outcome"):
        lifecycle.transition(session, intake, "close", staff)
    lifecycle.transition(session, intake, "contact_failed", staff)
    with pytest.raises(lifecycle.TransitionRefused) as info:
        lifecycle.transition(session, intake, "interrupt", staff, reason="gone")
    assert info.value.code == "contact_attempts_required"


def test_other_providers_and_admins_may_not_act(session, make_intake):
    intake = make_intake().intake
    other, _ = accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita")
    admin, _ = accounts.create_user(session, "root", PASSWORD, "admin")
    coordinator, _ = accounts.create_user(session, "coord", PASSWORD, "coordinator")
    for user in (other, admin, coordinator):
        with pytest.raises(lifecycle.TransitionRefused, match="may not act"):
            lifecycle.transition(session, intake, "accept", user)
    lifecycle.transition(session, intake, "transfer", coordinator, reason="re-assign", to_provider="houkatsu-kita")
    assert intake.status == "transferred"


def test_closing_sets_the_follow_up_expiry_and_reopening_clears_it(session, make_intake):
    made = make_intake()
    intake = made.intake
    staff = staff_of(session, intake)
    lifecycle.transition(session, intake, "accept", staff)
    lifecycle.transition(session, intake, "close", staff, outcome="resolved",
                         settings=lifecycle.Settings(follow_up_days_after_closure=180))
    row = session.scalar(select(FollowUp).where(FollowUp.intake_id == intake.id))
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
    assert timedelta(days=179) < expires - datetime.now(timezone.utc) <= timedelta(days=180)
    assert follow_up.find(session, token=made.secrets.token) is not None  # still valid after closure
    assert follow_up.find(session, token=made.secrets.token,
                          now=datetime.now(timezone.utc) + timedelta(days=181)) is None
    lifecycle.transition(session, intake, "reopen", staff, reason="new worry")
    assert row.expires_at is None and intake.status == "accepted"


def test_revoking_the_follow_up_issues_new_secrets(session, make_intake):
    made = make_intake()
    new = lifecycle.revoke_follow_up(session, made.intake, staff_of(session, made.intake))
    assert follow_up.find(session, token=made.secrets.token) is None
    assert follow_up.find(session, token=new.token).id == made.intake.id
