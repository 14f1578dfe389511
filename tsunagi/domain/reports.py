"""Counts the municipality reports to the ministry and uses in its yearly evaluation
(実施要綱 L208, L6983-6995): consultations by period, place, route and outcome.

Counts only: no identifying data, and intakes without consent to share count too.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain.models import Intake, Location

COLUMNS = ("month", "location", "channel", "service", "priority", "status", "outcome", "count")


def counts(session: Session, start: date, end: date) -> list[dict]:
    """One row per combination that occurred between `start` and `end` (inclusive)."""
    since = datetime.combine(start, time.min, tzinfo=timezone.utc)
    until = datetime.combine(end, time.max, tzinfo=timezone.utc)
    rows = session.execute(
        select(Intake.created_at, Location.code, Intake.channel, Intake.service, Intake.priority,
               Intake.status, Intake.outcome)
        .join(Location, Location.id == Intake.location_id)
        .where(Intake.created_at >= since, Intake.created_at <= until)
    )
    tally: Counter = Counter()
    for created, location, channel, service, priority, status, outcome in rows:
        tally[(created.strftime("%Y-%m"), location, channel, service, priority, status, outcome or "")] += 1
    return [dict(zip(COLUMNS, (*key, n))) for key, n in sorted(tally.items())]


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
