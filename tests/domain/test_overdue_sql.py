"""The board's overdue filter in SQL says what `overdue.is_overdue` says of each intake,
across weekends and holidays, at any time of day, for urgent and normal intakes alike."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from tsunagi.domain import overdue
from tsunagi.domain.models import Intake
from tsunagi.domain.vocabulary import JST, WAITING


def test_the_sql_filter_matches_is_overdue(session, make_intake):
    first = make_intake().intake
    template = {c.name: getattr(first, c.name) for c in Intake.__table__.columns
                if c.name not in ("id", "routed_at", "priority") and c.computed is None}
    base = datetime(2026, 5, 8, 15, 0, tzinfo=JST)  # a Friday before a weekend; Golden Week behind
    rows = [dict(template, id=f"r{p[0]}{n:05d}", priority=p, routed_at=base - timedelta(hours=5 * n + n % 7))
            for p in ("urgent", "normal") for n in range(60)]
    session.execute(insert(Intake), rows)
    session.commit()
    policy = overdue.Policy()
    loaded = list(session.scalars(select(Intake).where(Intake.id.like("r%"))))
    assert len(loaded) == 120
    sizes = []
    for hours in (0, 3, 9, 26, 50, 75, 100):
        now = (base + timedelta(hours=hours, minutes=7)).astimezone(timezone.utc)
        late = set(session.scalars(select(Intake.id).where(Intake.id.like("r%"), Intake.status.in_(WAITING),
                                                           overdue.late_clause(policy, now))))
        assert late == {i.id for i in loaded if overdue.is_overdue(i, policy, now)}, hours
        sizes.append(len(late))
    assert all(0 < n < 120 for n in sizes[:-1]) and sizes == sorted(sizes)  # some late, some not yet
