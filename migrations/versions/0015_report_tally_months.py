"""report tallies per month beside the tallies per day: a fiscal year's dashboard reads
twelve months of rows, not a year of days; the waiting intakes tallied by priority and
day routed, for the overdue count

Revision ID: 0015
Revises: 0014

The waiting tallies are counted from the intakes waiting now; then the months are summed
from the day tallies.
"""
from collections import Counter
from datetime import datetime, timezone
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tsunagi.domain import reports
from tsunagi.domain.vocabulary import WAITING

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_tally_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "dimension", "value"),
        sqlite_with_rowid=False,
    )
    session = Session(bind=op.get_bind())
    day = sa.table("report_tally", sa.column("day", sa.Date()), sa.column("dimension"), sa.column("value"),
                   sa.column("n"))
    month = sa.table("report_tally_month", sa.column("month", sa.Date()), sa.column("dimension"),
                     sa.column("value"), sa.column("n"))
    intake = sa.table("intake", sa.column("created_at", sa.DateTime(timezone=True)), sa.column("status"),
                      sa.column("provider_id"), sa.column("priority"), sa.column("routed_at", sa.DateTime(timezone=True)))
    waiting: Counter = Counter()
    for row in session.execute(sa.select(intake).where(intake.c.status.in_(sorted(WAITING)))):
        found = SimpleNamespace(status=row.status, provider_id=row.provider_id, priority=row.priority,
                                routed_at=_aware(row.routed_at))
        value = reports.waiting_value(found)
        if value is not None:
            waiting[(reports.day_of(_aware(row.created_at)), reports.WAITING_TALLY, value)] += 1
    reports.add(session, waiting, months=False)
    sums: Counter = Counter()
    for row in session.execute(sa.select(day)):
        sums[(row.day.replace(day=1), row.dimension, row.value)] += row.n
    rows = [{"month": m, "dimension": k, "value": v, "n": n} for (m, k, v), n in sorted(sums.items())]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(month), rows[start:start + 5000])
    session.flush()


def _aware(at):
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at is None or at.tzinfo else at.replace(tzinfo=timezone.utc)


def downgrade() -> None:
    op.drop_table("report_tally_month")
    op.execute(sa.text("DELETE FROM report_tally WHERE dimension = 'waiting'"))
