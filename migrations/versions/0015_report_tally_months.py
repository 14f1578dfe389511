"""report tallies per month beside the tallies per day: a fiscal year's dashboard reads
twelve months of rows, not a year of days

Revision ID: 0015
Revises: 0014

The months are summed from the day tallies already kept.
"""
from collections import Counter

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

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
    sums: Counter = Counter()
    for row in session.execute(sa.select(day)):
        sums[(row.day.replace(day=1), row.dimension, row.value)] += row.n
    rows = [{"month": m, "dimension": k, "value": v, "n": n} for (m, k, v), n in sorted(sums.items())]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(month), rows[start:start + 5000])
    session.flush()


def downgrade() -> None:
    op.drop_table("report_tally_month")
