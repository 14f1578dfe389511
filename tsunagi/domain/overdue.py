"""When an intake waiting for acceptance is overdue: N business days (weekends and Japanese
public holidays do not count), or a few hours when it is urgent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays
from sqlalchemy import and_, not_, or_

from tsunagi.domain.models import Intake
from tsunagi.domain.vocabulary import JST, WAITING


@dataclass(frozen=True)
class Policy:
    business_days: int = 2
    urgent_hours: int = 4


@lru_cache(maxsize=8)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_days(start: datetime, days: int) -> datetime:
    """The same local time `days` business days after `start` (in Japan time)."""
    local = start.astimezone(JST)
    day = local.date()
    added = 0
    while added < days:
        day += timedelta(days=1)
        if is_business_day(day):
            added += 1
    return datetime.combine(day, local.timetz())


def deadline(intake: Intake, policy: Policy) -> datetime:
    routed = intake.routed_at
    if intake.priority == "urgent":
        return routed + timedelta(hours=policy.urgent_hours)
    return add_business_days(routed, policy.business_days)


def is_overdue(intake: Intake, policy: Policy, now: datetime | None = None) -> bool:
    if intake.status not in WAITING or intake.provider_id is None:
        return False
    return (now or datetime.now(timezone.utc)) > deadline(intake, policy)


@dataclass(frozen=True)
class Cutoffs:
    """When waiting intakes are late at a moment, as ranges of routing time (the one rule
    `late_clause` and the coordinator's count `reports.overdue_count` read): an urgent one
    routed before `urgent_before`; another routed on a day up to `last_late_day` (Japan
    time), or inside one of `edges` (the days due today, up to the time of day of now: the
    deadline keeps the time of day, `add_business_days`)."""
    urgent_before: datetime
    last_late_day: date
    edges: tuple[tuple[datetime, datetime], ...]


def cutoffs(policy: Policy, now: datetime | None = None) -> Cutoffs:
    now = now or datetime.now(timezone.utc)
    local = now.astimezone(JST)
    today = local.date()
    # The last day whose intakes are all due before today (deadlines grow with routing time).
    day = today
    while add_business_days(datetime.combine(day, time(12), tzinfo=JST), policy.business_days).date() >= today:
        day -= timedelta(days=1)
    since_midnight = local - datetime.combine(today, time.min, tzinfo=JST)
    edges = []
    boundary = day + timedelta(days=1)
    while boundary <= today and add_business_days(
            datetime.combine(boundary, time(12), tzinfo=JST), policy.business_days).date() == today:
        start = datetime.combine(boundary, time.min, tzinfo=JST)
        edges.append((start, start + since_midnight))
        boundary += timedelta(days=1)
    return Cutoffs(now - timedelta(hours=policy.urgent_hours), day, tuple(edges))


def late_clause(policy: Policy, now: datetime | None = None):
    """SQL: a waiting intake is past its deadline at `now` (`is_overdue` of each row), by
    `cutoffs`. The caller keeps to waiting, routed intakes, in its own words for the status
    (said twice, a planner would count its selectivity twice and expect few late rows)."""
    cut = cutoffs(policy, now)
    edges = [and_(Intake.routed_at >= a, Intake.routed_at < b) for a, b in cut.edges]
    # Said as "not on time": most waiting intakes are late on a backlog.
    normal = Intake.routed_at >= datetime.combine(cut.last_late_day + timedelta(days=1), time.min, tzinfo=JST)
    on_time = or_(and_(Intake.priority == "urgent", Intake.routed_at >= cut.urgent_before),
                  and_(Intake.priority != "urgent", and_(normal, not_(or_(*edges))) if edges else normal))
    return not_(on_time)
