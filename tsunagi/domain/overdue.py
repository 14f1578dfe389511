"""When an intake waiting for acceptance is overdue: N business days (weekends and Japanese
public holidays do not count), or a few hours when it is urgent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import holidays

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
