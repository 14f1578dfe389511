"""The coordinator's counts: tallies kept by submit and lifecycle equal the fixture's
intakes, unique persons come from the keyed contact hash, waits give exact medians and
90th percentiles, the overdue count follows the overdue rule, and small counts are
suppressed with their secondary suppression."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tsunagi.domain import accounts, intakes, lifecycle, overdue, reports
from tsunagi.domain.consent import ConsentGiven
from tsunagi.domain.models import Location, Provider, ReportTally, ReportTallyMonth, User

ELDER = {"subject": "self", "age_band": "65_plus", "danger_now": "no", "area": "minami"}


@pytest.fixture
def submit(session, demo):
    def make(phone: str | None = "090-1111-0000", answers=None, share=True, place="hub-minami", locale="ja"):
        location = session.scalar(select(Location).where(Location.code == place))
        consent = ConsentGiven(text_id="consent-default", text_version=1, text_hash="0" * 64, locale=locale,
                               share_with_provider=share, channel="kiosk", location_id=location.id,
                               contact_methods=("phone",) if phone else ("none",), multi_agency_meeting=False)
        result = intakes.submit(
            session, form_id="intake-default", form_version=2, locale=locale, channel="kiosk", location=location,
            answers=answers or ELDER, consent=consent,
            identifying={"name": "山田 花子", "phone": phone, "email": "", "free_text": None})
        session.commit()
        return result.intake
    return make


def staff(session, intake):
    provider = session.get(Provider, intake.provider_id)
    user = session.scalar(select(User).where(User.provider_id == provider.id))
    if user is None:
        user, _ = accounts.create_user(session, f"staff-{provider.code}", PASSWORD, "provider_staff", provider.code)
    return user


def today() -> date:
    return reports.day_of(datetime.now(timezone.utc))


def test_counts_unique_persons_and_waits_equal_the_fixture(session, submit):
    a1 = submit("090-1111-0001")
    a2 = submit("０９０－１１１１－０００１")  # the same number typed on a Japanese keyboard
    b = submit("090-2222-0002", answers={**ELDER, "age_band": "40_64", "concerns": ["money"], "area": "kita"})
    c = submit("090-3333-0003", place="lib-chuo", locale="en")
    submit(None, share=False, answers={**ELDER, "subject": "family"})
    for intake, minutes in ((a1, 10), (a2, 20), (b, 30), (c, 50)):
        lifecycle.transition(session, intake, "accept", staff(session, intake),
                             now=intake.created_at + timedelta(minutes=minutes))
    lifecycle.transition(session, a1, "contacted", staff(session, a1), now=a1.created_at + timedelta(hours=27))
    lifecycle.transition(session, a1, "close", staff(session, a1), outcome="resolved",
                         now=a1.created_at + timedelta(days=3))
    lifecycle.transition(session, c, "transfer", staff(session, c), reason="better fit", to_provider="shogai")
    session.commit()

    for span in (reports.period("fy", today()), reports.period("month", today()), reports.period("week", today()),
                 reports.Period("custom", today(), today())):
        board = reports.dashboard(session, span, overdue.Policy())
        assert (board.intakes, board.persons) == (5, 4), span  # a1 and a2 are one person
    board = reports.dashboard(session, reports.period("fy", today()), overdue.Policy())
    assert board.counts["status"] == Counter({"accepted": 2, "closed": 1, "transferred": 1, "not_shared": 1})
    assert board.counts["outcome"] == Counter({reports.NONE: 4, "resolved": 1})
    assert board.counts["location"] == Counter({"hub-minami": 4, "lib-chuo": 1})
    assert board.counts["kind"] == Counter({"hub": 4, "library": 1})
    assert board.counts["language"] == Counter({"ja": 4, "en": 1})
    assert board.counts["age_band"] == Counter({"65_plus": 4, "40_64": 1})
    assert board.counts["subject"] == Counter({"self": 4, "family": 1})
    assert board.counts["area"] == Counter({"minami": 4, "kita": 1})
    assert board.counts["need"] == Counter({"elderly": 4, "poverty": 1})
    assert board.counts["service"]["shogai"] == 1  # where the transferred intake is now
    assert board.count("event", "transferred") == 1 and board.count("event", "returned") == 0
    # nearest rank over 10, 20, 30, 50 minutes: the 2nd and the 4th
    assert (board.waits["accept_wait"].count, board.waits["accept_wait"].median, board.waits["accept_wait"].p90) \
        == (4, 20, 50)
    assert board.waits["contact_wait"].median == 27 * 60
    # nothing else in another year
    assert reports.dashboard(session, reports.period("fy", today()).previous(), overdue.Policy()).intakes == 0


def test_a_reopened_intake_is_not_accepted_twice_in_the_waits(session, submit):
    intake = submit()
    user = staff(session, intake)
    lifecycle.transition(session, intake, "accept", user, now=intake.created_at + timedelta(minutes=5))
    lifecycle.transition(session, intake, "close", user, outcome="resolved")
    lifecycle.transition(session, intake, "reopen", user, reason="came back")
    session.commit()
    board = reports.dashboard(session, reports.period("fy", today()), overdue.Policy())
    assert board.waits["accept_wait"].count == 1
    assert board.counts["status"] == Counter({"accepted": 1})
    assert board.counts["outcome"] == Counter({reports.NONE: 1})


def test_resource_gaps_are_the_services_without_an_office(session, submit):
    session.scalar(select(Provider).where(Provider.code == "shogai")).active = False
    session.commit()
    submit(answers={**ELDER, "age_band": "18_39", "concerns": ["disability"]})
    submit()
    board = reports.dashboard(session, reports.period("fy", today()), overdue.Policy())
    assert board.counts["gap"] == Counter({"shogai": 1})
    assert "shogai" not in board.counts["service"]  # it went to the first contact instead


def test_the_overdue_count_follows_the_overdue_rule(session, submit):
    policy = overdue.Policy()
    now = datetime.now(timezone.utc)
    made = []
    for hours in (1, 3, 5, 20, 30, 47, 50, 80, 130, 200, 400):
        for urgent in (False, True):
            intake = submit(answers={**ELDER, "danger_now": "yes"} if urgent else ELDER)
            was = reports.before(intake)
            intake.routed_at = now - timedelta(hours=hours)  # as if routed then: counted as a move is
            reports.moved(session, intake, was, now)
            made.append(intake)
    session.commit()
    assert {i.priority for i in made} == {"urgent", "normal"}
    expected = sum(overdue.is_overdue(i, policy, now) for i in made)
    assert 0 < expected < len(made)
    assert reports.overdue_count(session, today(), today(), policy, now) == expected
    # Later, on other days and hours (weekends and holidays among them), and once some are accepted.
    for later in (timedelta(hours=3), timedelta(hours=30), timedelta(days=3, hours=5), timedelta(days=9)):
        at = now + later
        assert reports.overdue_count(session, today(), today(), policy, at) == \
            sum(overdue.is_overdue(i, policy, at) for i in made), later
    for intake in made[::3]:
        lifecycle.transition(session, intake, "accept", staff(session, intake), now=now)
    session.commit()
    assert reports.overdue_count(session, today(), today(), policy, now) == \
        sum(overdue.is_overdue(i, policy, now) for i in made)


def test_tallies_hold_no_identifying_data(session, submit):
    submit("090-1234-5678")
    values = " ".join(f"{t.dimension}={t.value}" for t in session.scalars(select(ReportTally)))
    assert "090" not in values and "山田" not in values and "persons_fy=new" in values


def test_any_span_reads_the_same_counts_from_months_and_days(session):
    """The month tallies are the day tallies summed: whatever span is asked (whole months,
    parts of months, one day, a fiscal year), the counts equal the sum of its days, and a
    count taken away again leaves no trace in either."""
    rng = random.Random(7)
    added: Counter = Counter()
    start = date(2026, 3, 20)
    for _ in range(400):
        key = (start + timedelta(days=rng.randrange(80)), rng.choice(["status", "need"]), rng.choice("abc"))
        n = rng.choice([1, 1, 2, -1]) if added[key] > 0 else 1
        added[key] += n
        reports.add(session, {key: n})
    session.commit()
    months = Counter()
    for tally in session.scalars(select(ReportTallyMonth)):
        months[(tally.month, tally.dimension, tally.value)] = tally.n
    assert months and all(m.day == 1 for m, _, _ in months)
    assert +months == +_summed(added)
    spans = [(date(2026, 4, 1), date(2027, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30)),
             (date(2026, 3, 25), date(2026, 5, 3)), (date(2026, 4, 10), date(2026, 4, 10))]
    spans += [tuple(sorted(start + timedelta(days=rng.randrange(90)) for _ in range(2))) for _ in range(30)]
    for a, b in spans:
        expected: dict = {}
        for (d, k, v), n in added.items():
            if a <= d <= b and n:
                expected.setdefault(k, Counter())[v] += n
        assert reports.tallies(session, a, b) == {k: +c for k, c in expected.items() if +c}, (a, b)
        monthly: dict = {}
        for (d, k, v), n in added.items():
            if a <= d <= b and k == "status" and n:
                monthly.setdefault(d.strftime("%Y-%m"), Counter())[v] += n
        assert {m: +c for m, c in reports.by_month(session, a, b, "status").items() if +c} == \
            {m: +c for m, c in monthly.items() if +c}, (a, b)


def _summed(days: Counter) -> Counter:
    found: Counter = Counter()
    for (d, k, v), n in days.items():
        found[(d.replace(day=1), k, v)] += n
    return found


def test_periods():
    assert reports.period("fy", date(2027, 3, 31)) == reports.Period("fy", date(2026, 4, 1), date(2027, 3, 31))
    assert reports.period("fy", date(2027, 4, 1)).start == date(2027, 4, 1)
    assert reports.period("month", date(2026, 12, 3)) == reports.Period("month", date(2026, 12, 1), date(2026, 12, 31))
    assert reports.period("week", date(2026, 12, 3)) == reports.Period("week", date(2026, 11, 30), date(2026, 12, 6))
    assert reports.period("month", date(2026, 12, 3)).next().start == date(2027, 1, 1)
    assert [reports.wait_bucket(m) for m in (0, 59, 61, 1439, 1500, 10079, 20000, 90000)] == \
        [0, 55, 60, 1410, 1440, 9900, 18720, 80640]


def texts(table, threshold=3):
    return [[c.text(threshold) for c in row] for row in table.rows]


@pytest.mark.parametrize("values, cells, total", [
    ([5, 2, 7], ["x", "<3", "7"], "14"),        # a lone "<3" with a known total: the smallest other goes too
    ([1, 1, 9], ["<3", "<3", "x"], "11"),       # two 1s would sum to 2 = the rest: still revealed
    ([2, 2, 9, 9], ["<3", "<3", "x", "9"], "22"),  # a rest of 4 in two "<3" is 2 + 2: revealed
    ([1, 2, 9, 9], ["<3", "<3", "9", "9"], "21"),  # a rest of 3 is 1 + 2 or 2 + 1: safe
    ([1, 3], ["<3", "x"], "x"),                 # nothing else hides it: the total goes
    ([0, 4, 5], ["0", "4", "5"], "9"),          # zero reveals no one
    ([3, 4], ["3", "4"], "7"),
])
def test_suppression_of_one_breakdown_with_its_total(values, cells, total):
    table = reports.suppress([values], 3)
    assert texts(table) == [cells] and table.row_totals[0].text(3) == total


def test_suppression_without_a_total_is_primary_only():
    table = reports.suppress([[1, 5, 2]], 3, row_totals=False)
    assert texts(table) == [["<3", "5", "<3"]] and table.row_totals is None


def test_secondary_suppression_across_rows_and_columns():
    table = reports.suppress([[1, 4], [5, 6]], 3, row_totals=True, column_totals=True)
    # 1 is hidden; 4 hides it in its row, 5 in its column; then 4 could be read from its
    # column (10 - 6), so 6 goes too.
    assert texts(table) == [["<3", "x"], ["x", "x"]]
    assert [c.text(3) for c in table.row_totals] == ["5", "11"]
    assert [c.text(3) for c in table.column_totals] == ["6", "10"] and table.total.text(3) == "16"


def test_a_threshold_of_five():
    table = reports.suppress([[4, 10, 20]], 5)
    assert texts(table, 5) == [["<5", "x", "20"]]
