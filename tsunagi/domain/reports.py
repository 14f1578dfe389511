"""Counts the municipality reports to the ministry and uses in its yearly evaluation
(実施要綱 L208, L6983-6995) and the team meeting's view of missing resources (L1299-1315).

Counts only: no identifying data, and intakes without consent to share count too. The
counts are kept as tallies per day of receipt (Japan time), dimension and value
(`ReportTally`), updated in the same transaction as the intake they count: the dashboard
reads a year as one indexed GROUP BY over at most a few tens of thousands of rows, however
many intakes there are, and the counts outlive the erasure of the answers (retention).

Every figure is about the intakes received in the period (a cohort): their status and
outcome today, how long they waited, whether they were returned or transferred.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from tsunagi.domain import overdue
from tsunagi.domain.models import Intake, IntakeEvent, Location, ReportTally, ReportTallyMonth
from tsunagi.domain.vocabulary import JST, MULTI_AGENCY, PRIORITIES, WAITING

# Dimensions with one value per intake: their counts add up to the intakes of the period.
SINGLE = ("location", "kind", "channel", "language", "service", "priority", "age_band", "subject", "area",
          "status", "outcome")
# Dimensions where an intake counts under several values (or none): no total adds up.
MULTIPLE = ("need", "gap", "event")
# Intakes of a person not yet seen in the same week, month or fiscal year (value "new").
PERSON_SCOPES = ("week", "month", "fy")
WAITS = ("accept_wait", "contact_wait")
NONE = "none"  # the value of an intake with no need named, no outcome yet, no area
PERIOD_KINDS = ("fy", "month", "week")


def day_of(at: datetime) -> date:
    """The day (Japan time) an intake counts under."""
    return at.astimezone(JST).date()


# --- periods -------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str  # fy | month | week | custom
    start: date
    end: date  # inclusive

    def previous(self) -> "Period":
        return period(self.kind, self.start - timedelta(days=1)) if self.kind in PERIOD_KINDS else self

    def next(self) -> "Period":
        return period(self.kind, self.end + timedelta(days=1)) if self.kind in PERIOD_KINDS else self


def period(kind: str, day: date) -> Period:
    """The fiscal year (April to March), month or week (Monday to Sunday) holding `day`."""
    if kind == "fy":
        year = day.year if day.month >= 4 else day.year - 1
        return Period(kind, date(year, 4, 1), date(year + 1, 3, 31))
    if kind == "month":
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return Period(kind, day.replace(day=1), following - timedelta(days=1))
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    raise ValueError(f"unknown period kind {kind!r}")


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 JST, the day after end 00:00 JST) in UTC."""
    return (datetime.combine(start, time.min, tzinfo=JST).astimezone(timezone.utc),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=JST).astimezone(timezone.utc))


# --- keeping the tallies -------------------------------------------------------------

# (below this many minutes, a wait is kept to this many minutes)
WAIT_GRAINS = ((60, 5), (1440, 30), (10080, 180), (86400, 1440))


def wait_bucket(minutes: int) -> int:
    """A wait in minutes, kept to 5 minutes under an hour, to half an hour under a day, to 3
    hours under a week, to the day under 60 days and to the week beyond: the percentiles
    are read at that grain, and a day holds at most some 170 values per wait."""
    minutes = max(0, minutes)
    for limit, grain in WAIT_GRAINS:
        if minutes < limit:
            return minutes - minutes % grain
    return minutes - minutes % 10080


def gap_services(decision: Mapping[str, Any]) -> list[str]:
    """The services the triage wanted but found no office for (resource gaps): the
    service its rule chose when it said "no provider of this kind" (the rule's reason
    names it), and the multi-agency team when it had no office either."""
    reasons = decision.get("reasons") or []
    codes = [r["code"] for r in reasons]
    found = []
    if "provider_missing" in codes:
        wanted = next((r["params"]["service"] for r in reversed(reasons[:codes.index("provider_missing")])
                       if (r.get("params") or {}).get("service")), None)
        if wanted:
            found.append(wanted)
    if "first_contact_no_team" in codes or (decision.get("service") == MULTI_AGENCY
                                             and decision.get("provider_id") is None):
        found.append(MULTI_AGENCY)
    return list(dict.fromkeys(found))


def facts(*, location_code: str, location_kind: str, channel: str, locale: str, service: str, priority: str,
          answers: Mapping[str, Any], area: str | None, decision: Mapping[str, Any], status: str) -> list[tuple[str, str]]:
    """The (dimension, value) pairs an intake counts under when it is received."""
    found = [("location", location_code), ("kind", location_kind), ("channel", channel), ("language", locale),
             ("service", service), ("priority", priority), ("age_band", answers.get("age_band") or NONE),
             ("subject", answers.get("subject") or NONE), ("area", area or NONE), ("status", status),
             ("outcome", NONE)]
    found += [("need", d) for d in decision.get("domains") or [NONE]]
    found += [("gap", s) for s in gap_services(decision)]
    return found


def add(session: Session, counts: Mapping[tuple[date, str, str], int], *, months: bool = True) -> None:
    """Add `counts` ((day, dimension, value) -> n, negative to take away) to the tallies of
    the days and of their months, as one upsert per row: concurrent submits add up, never
    overwrite each other. Rows are written in key order, so two transactions that touch the
    same rows take their locks in the same order (no deadlock on PostgreSQL). `months=False`
    is for migration 0013, which runs before the month tallies exist (0015 sums them)."""
    days = {key: n for key, n in counts.items() if n}
    if not days:
        return
    summed: Counter = Counter()
    for (d, k, v), n in days.items():
        summed[(d.replace(day=1), k, v)] += n
    dialect = session.get_bind().dialect.name
    for table, column, found in ((ReportTally, "day", days), (ReportTallyMonth, "month", summed if months else {})):
        rows = [{column: d, "dimension": k, "value": v, "n": n} for (d, k, v), n in sorted(found.items()) if n]
        if rows:
            session.execute(_upsert(dialect, table, column), rows)


@functools.cache
def _upsert(dialect: str, table, column: str):
    """The tally upsert of `table` for `dialect`, built once: a statement object keeps its
    compiled form's cache key, so a submit does not work it out again."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    return statement.on_conflict_do_update(index_elements=[column, "dimension", "value"],
                                           set_={"n": table.n + statement.excluded.n})


# Built once (its cache key with it): the latest other intake of a contact in a time range.
_LATEST_OF_CONTACT = select(func.max(Intake.created_at)).where(
    Intake.contact_key == bindparam("key"), Intake.created_at >= bindparam("since"),
    Intake.created_at <= bindparam("until"), Intake.id != bindparam("id"))


def _new_person_in(session: Session, intake: Intake, day: date) -> list[str]:
    """The scopes of PERSON_SCOPES in which `intake` is the person's first, from one query:
    the latest other intake with the same contact since the earliest scope's start."""
    if not intake.contact_key:
        return list(PERSON_SCOPES)  # no contact kept: each such intake is one person
    starts = {scope: _utc_bounds(period(scope, day).start, day)[0] for scope in PERSON_SCOPES}
    # Every other intake stored so far came first (two in one transaction share its time).
    latest = session.scalar(_LATEST_OF_CONTACT, {"key": intake.contact_key, "since": min(starts.values()),
                                                 "until": intake.created_at, "id": intake.id})
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=timezone.utc)
    return [scope for scope, since in starts.items() if latest is None or latest < since]


def submitted(session: Session, intake: Intake) -> None:
    """Count a just-stored intake (after its flush)."""
    day = day_of(intake.created_at)
    location = intake.location
    pairs = facts(location_code=location.code, location_kind=location.kind, channel=intake.channel,
                  locale=intake.locale, service=intake.service, priority=intake.priority, answers=intake.answers,
                  area=intake.area, decision=intake.decision, status=intake.status)
    pairs += [(f"persons_{scope}", "new") for scope in _new_person_in(session, intake, day)]
    if (waiting := waiting_value(intake)) is not None:
        pairs.append((WAITING_TALLY, waiting))
    add(session, Counter((day, k, v) for k, v in pairs))


@dataclass(frozen=True)
class Before:
    status: str
    outcome: str | None
    service: str
    waiting: str | None


def before(intake: Intake) -> Before:
    return Before(intake.status, intake.outcome, intake.service, waiting_value(intake))


# The waiting intakes (routed, not yet accepted) counted by priority and the day (Japan
# time) they were routed, as dimension WAITING_TALLY, value "<priority>:<YYYY-MM-DD>", on
# their day of receipt like every count: the overdue count reads whole late days from here
# and only the edge days from the intakes (`overdue_count`).
WAITING_TALLY = "waiting"


def waiting_value(intake) -> str | None:
    """The `waiting` tally value of `intake` (anything with status, provider_id, priority
    and routed_at), or None when it waits for nobody."""
    if intake.status not in WAITING or intake.provider_id is None or intake.routed_at is None:
        return None
    return f"{intake.priority}:{day_of(_aware(intake.routed_at)).isoformat()}"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def moved(session: Session, intake: Intake, was: Before, now: datetime) -> None:
    """Count a lifecycle step of `intake` (before its event is stored): its status,
    outcome and service now; a return or transfer; the first acceptance and first contact,
    with how long they took from receipt."""
    day = day_of(intake.created_at)
    counts: Counter = Counter()
    for dimension, old, new in (("status", was.status, intake.status), ("outcome", was.outcome, intake.outcome),
                                ("service", was.service, intake.service)):
        if (old or NONE) != (new or NONE):
            counts[(day, dimension, old or NONE)] -= 1
            counts[(day, dimension, new or NONE)] += 1
    if was.waiting != (waiting := waiting_value(intake)):
        for value, n in ((was.waiting, -1), (waiting, 1)):
            if value is not None:
                counts[(day, WAITING_TALLY, value)] += n
    if intake.status != was.status and intake.status in ("returned", "transferred"):
        counts[(day, "event", intake.status)] += 1
    for dimension, status in (("accept_wait", "accepted"), ("contact_wait", "contacted")):
        if intake.status == status != was.status and not session.scalar(select(exists(
                select(IntakeEvent.id).where(IntakeEvent.intake_id == intake.id, IntakeEvent.to_status == status)))):
            minutes = int((now - intake.created_at).total_seconds() // 60)
            counts[(day, dimension, str(wait_bucket(minutes)))] += 1
    add(session, counts)


def event_counted(session: Session, intake: Intake, value: str) -> None:
    """Count a step that changes no status under `event` (a hand-back to a lead office, a
    meeting's decision as `meeting_<decision>`), on the intake's day like every count."""
    add(session, {(day_of(intake.created_at), "event", value): 1})


# --- reading the tallies -------------------------------------------------------------

def _spans(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """[start, end] as the day ranges outside whole months, and the whole months inside it
    (first days of the first and last month), or None when it holds no whole month."""
    first = start if start.day == 1 else period("month", start).end + timedelta(days=1)
    last = period("month", end).start  # the first day of the month after the last whole one
    if end == period("month", end).end:
        last = end + timedelta(days=1)
    if first >= last:
        return [(start, end)], None
    edges = [(a, b) for a, b in ((start, first - timedelta(days=1)), (last, end)) if a <= b]
    return edges, (first, period("month", last - timedelta(days=1)).start)


def _parts(start: date, end: date) -> list[tuple[type, Any, date, date]]:
    """Where the counts of the days from `start` to `end` are read: (table, its date
    column, first, last) for the whole months from the month tallies and the days around
    them from the day tallies."""
    edges, months = _spans(start, end)
    found = [(ReportTally, ReportTally.day, a, b) for a, b in edges]
    if months:
        found.append((ReportTallyMonth, ReportTallyMonth.month, *months))
    return found


def tallies(session: Session, start: date, end: date) -> dict[str, Counter]:
    """dimension -> Counter(value -> intakes) for the intakes received from `start` to `end`."""
    found: dict[str, Counter] = {}
    for table, column, a, b in _parts(start, end):
        for dimension, value, n in session.execute(
                select(table.dimension, table.value, func.sum(table.n))
                .where(column >= a, column <= b).group_by(table.dimension, table.value)):
            if n:
                found.setdefault(dimension, Counter())[value] += int(n)
    return {k: Counter({v: n for v, n in c.items() if n}) for k, c in found.items()}


def by_month(session: Session, start: date, end: date, dimension: str) -> dict[str, Counter]:
    """"YYYY-MM" -> Counter(value -> intakes) of one dimension, month by month."""
    found: dict[str, Counter] = {}
    for table, column, a, b in _parts(start, end):
        for day, value, n in session.execute(
                select(column, table.value, table.n).where(column >= a, column <= b, table.dimension == dimension)):
            if n:
                found.setdefault(day.strftime("%Y-%m"), Counter())[value] += n
    return found


def percentile(histogram: Mapping[str, int], share: float) -> int | None:
    """The nearest-rank percentile (the smallest value with at least `share` of the counts
    at or below it) of a histogram {minutes as text: count}; None when it is empty."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value in sorted(histogram, key=int):
        seen += histogram[value]
        if seen >= rank:
            return int(value)
    return None


def persons(session: Session, found: Mapping[str, Counter], span: Period) -> int:
    """Unique persons among the period's intakes: intakes with the same keyed contact hash
    are one person; an intake without a contact kept is one person. Read from the tallies for
    a week, month or fiscal year; counted from the intakes for any other span."""
    if span.kind in PERIOD_KINDS:
        return found.get(f"persons_{span.kind}", Counter())["new"]
    since, until = _utc_bounds(span.start, span.end)
    inside = and_(Intake.created_at >= since, Intake.created_at < until)
    keyed = session.scalar(select(func.count(func.distinct(Intake.contact_key))).where(inside)) or 0
    unkeyed = session.scalar(select(func.count()).select_from(Intake).where(inside, Intake.contact_key.is_(None)))
    return int(keyed) + int(unkeyed or 0)


def overdue_count(session: Session, start: date, end: date, policy: overdue.Policy, now: datetime) -> int:
    """Intakes of the period waiting now past their deadline (tsunagi.domain.overdue). The
    days routed wholly before the cutoffs are read from the `waiting` tallies (a few rows per
    day of the period, however long the backlog); only the intakes routed on the days a
    cutoff falls in are counted from the index on (status, priority, routed_at)."""
    cut = overdue.cutoffs(policy, now)
    urgent_day = day_of(cut.urgent_before)
    late = 0
    for table, column, a, b in _parts(start, end):
        for value, n in session.execute(select(table.value, func.sum(table.n)).where(
                column >= a, column <= b, table.dimension == WAITING_TALLY).group_by(table.value)):
            priority, _, routed = value.partition(":")
            routed_on = date.fromisoformat(routed)
            if routed_on < urgent_day if priority == "urgent" else routed_on <= cut.last_late_day:
                late += int(n or 0)
    # The edge days, from the index: each range one seek of (status, priority, routed_at).
    others = tuple(p for p in PRIORITIES if p != "urgent")
    edges = [(("urgent",), datetime.combine(urgent_day, time.min, tzinfo=JST), cut.urgent_before)]
    edges += [(others, a, b) for a, b in cut.edges]
    since, until = _utc_bounds(start, end)
    for priorities, a, b in edges:
        if a < b:
            late += int(session.scalar(select(func.count()).select_from(Intake).where(
                Intake.status.in_(WAITING), Intake.priority.in_(priorities), Intake.routed_at >= a,
                Intake.routed_at < b, Intake.provider_id.is_not(None), Intake.created_at >= since,
                Intake.created_at < until)) or 0)
    return late


def waiting_total(session: Session, priority: str) -> int:
    """Intakes of `priority` waiting now for acceptance, whenever they were received (the
    coordinator's board): the sum of their `waiting` month tallies (a few rows a month,
    however many intakes wait)."""
    return int(session.scalar(select(func.sum(ReportTallyMonth.n)).where(
        ReportTallyMonth.dimension == WAITING_TALLY, ReportTallyMonth.value.startswith(f"{priority}:"))) or 0)


def overdue_total(session: Session, policy: overdue.Policy, now: datetime) -> int:
    """Intakes waiting now past their deadline, whenever they were received (the
    coordinator's board): `overdue_count` over every day the tallies hold, each end found
    by one seek of their primary key."""
    first = session.scalar(select(func.min(ReportTally.day)))
    if first is None:
        return 0
    last = session.scalar(select(func.max(ReportTally.day)))
    return overdue_count(session, first, max(last, day_of(now)), policy, now)


# --- small-count suppression ---------------------------------------------------------

SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"


@dataclass
class Cell:
    value: int
    state: str = SHOWN

    def text(self, threshold: int) -> str:
        if self.state == PRIMARY:
            return f"<{threshold}"
        if self.state == SECONDARY:
            return "x"
        return str(self.value)

    @property
    def hidden(self) -> bool:
        return self.state != SHOWN


def _pinned(cells: list[Cell], total: int, threshold: int) -> bool:
    """Whether a reader who knows `total`, the shown cells and that a "<t" cell is 1..t-1
    and an "x" cell at least t could work out the exact value of a hidden cell (an "x"
    worked out in one line would reveal a "<t" in another)."""
    hidden = [c for c in cells if c.hidden]
    rest = total - sum(c.value for c in cells if not c.hidden)
    bounds = [(1, threshold - 1) if c.state == PRIMARY else (threshold, rest) for c in hidden]
    low_sum, high_sum = sum(lo for lo, _hi in bounds), sum(hi for _lo, hi in bounds)
    for lo, hi in bounds:
        if min(hi, rest - (low_sum - lo)) <= max(lo, rest - (high_sum - hi)):
            return True
    return False


def _protect(cells: list[Cell], total: Cell | None, threshold: int) -> bool:
    """Hide more cells of one line (cells and its published total) until no hidden cell can
    be worked out; the total is hidden when nothing else helps. True if anything changed."""
    if total is None or total.hidden or not any(c.hidden for c in cells):
        return False
    changed = False
    while _pinned(cells, total.value, threshold):
        candidates = [c for c in cells if not c.hidden and c.value > 0]
        if not candidates:
            total.state = SECONDARY
            return True
        min(candidates, key=lambda c: c.value).state = SECONDARY
        changed = True
    return changed


@dataclass
class Table:
    """Counts by row and column with their totals, as published after suppression."""

    rows: list[list[Cell]]
    row_totals: list[Cell] | None = None
    column_totals: list[Cell] | None = None
    total: Cell | None = None


def suppress(values: list[list[int]], threshold: int, *, row_totals: bool = True, column_totals: bool = False,
             totals: Iterable[int] | None = None) -> Table:
    """Small-count suppression, the one rule for the page, the CSV and the charts: every
    cell from 1 to `threshold` - 1 is shown as "<threshold" (primary); then, wherever a
    published total and the shown cells of its row or column would reveal such a cell,
    the smallest other cell is hidden too ("x", secondary), or else the total, until none
    can be worked out. Zero reveals no one and is shown.

    `totals`: the published row totals when they are not the sums of the row (a breakdown
    where one intake counts under several values has no total: pass row_totals=False).
    """
    def cell(n: int) -> Cell:
        return Cell(n, PRIMARY if 0 < n < threshold else SHOWN)

    table = Table([[cell(n) for n in row] for row in values])
    sums = list(totals) if totals is not None else [sum(row) for row in values]
    if row_totals:
        table.row_totals = [cell(n) for n in sums]
    if column_totals:
        width = max((len(r) for r in values), default=0)
        table.column_totals = [cell(sum(r[i] for r in values if i < len(r))) for i in range(width)]
    if row_totals and column_totals:
        table.total = cell(sum(sums))
    changed = True
    while changed:
        changed = False
        for i, row in enumerate(table.rows):
            changed |= _protect(row, table.row_totals[i] if table.row_totals else None, threshold)
        if table.column_totals:
            for i, total in enumerate(table.column_totals):
                changed |= _protect([r[i] for r in table.rows if i < len(r)], total, threshold)
        if table.total is not None:
            changed |= _protect(table.row_totals, table.total, threshold)
            changed |= _protect(table.column_totals, table.total, threshold)
    return table


# --- the dashboard -------------------------------------------------------------------

@dataclass
class Wait:
    count: int
    median: int | None  # minutes
    p90: int | None


@dataclass
class Dashboard:
    period: Period
    intakes: int
    persons: int
    counts: dict[str, Counter] = field(default_factory=dict)
    waits: dict[str, Wait] = field(default_factory=dict)
    overdue: int = 0

    def count(self, dimension: str, value: str) -> int:
        return self.counts.get(dimension, Counter())[value]


def dashboard(session: Session, span: Period, policy: overdue.Policy, now: datetime | None = None) -> Dashboard:
    found = tallies(session, span.start, span.end)
    waits = {}
    for name in WAITS:
        histogram = found.get(name, Counter())
        waits[name] = Wait(sum(histogram.values()), percentile(histogram, 0.5), percentile(histogram, 0.9))
    return Dashboard(
        period=span, intakes=sum(found.get("status", Counter()).values()), persons=persons(session, found, span),
        counts={k: v for k, v in found.items() if k in SINGLE or k in MULTIPLE}, waits=waits,
        overdue=overdue_count(session, span.start, span.end, policy, now or datetime.now(timezone.utc)))


def locations(session: Session) -> list[Location]:
    return list(session.scalars(select(Location).order_by(Location.id)))
