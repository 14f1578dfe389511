"""report tallies: the coordinator's counts per day, dimension and value; indexes for the
overdue count and the unique persons

Revision ID: 0013
Revises: 0012

The tallies of the intakes already stored are counted here from their (sealed) answers and
decisions and their lifecycle events, in batches.
"""
from collections import Counter
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tsunagi.domain import reports, sealed

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "report_tally",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "dimension", "value"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_intake_status_routed", "intake", ["status", "priority", "routed_at", "provider_id", "created_at"])
    op.create_index("ix_intake_contact_created", "intake", ["contact_key", "created_at"])
    _count_existing(Session(bind=op.get_bind()))


def _count_existing(session: Session) -> None:
    intake = sa.table(
        "intake", sa.column("id"), sa.column("created_at", sa.DateTime(timezone=True)), sa.column("locale"),
        sa.column("channel"), sa.column("location_id"), sa.column("service"), sa.column("priority"),
        sa.column("area"), sa.column("status"), sa.column("outcome"), sa.column("contact_key"),
        sa.column("answers", sealed.Sealed("intake.answers", document=True)),
        sa.column("decision", sealed.Sealed("intake.decision", document=True)))
    event = sa.table("intake_event", sa.column("id"), sa.column("intake_id"), sa.column("to_status"),
                     sa.column("at", sa.DateTime(timezone=True)))
    location = sa.table("location", sa.column("id"), sa.column("code"), sa.column("kind"))
    places = {row.id: row for row in session.execute(sa.select(location))}
    seen: dict[str, set] = {scope: set() for scope in reports.PERSON_SCOPES}
    last = None
    while True:
        query = sa.select(intake).order_by(intake.c.created_at, intake.c.id).limit(BATCH)
        if last is not None:
            query = query.where(sa.or_(intake.c.created_at > last[0],
                                       sa.and_(intake.c.created_at == last[0], intake.c.id > last[1])))
        rows = session.execute(query).all()
        if not rows:
            break
        firsts = _first_events(session, event, [r.id for r in rows])
        counts: Counter = Counter()
        for row in rows:
            created = _aware(row.created_at)
            day = reports.day_of(created)
            place = places[row.location_id]
            pairs = reports.facts(location_code=place.code, location_kind=place.kind, channel=row.channel,
                                  locale=row.locale, service=row.service, priority=row.priority,
                                  answers=row.answers or {}, area=row.area, decision=row.decision or {},
                                  status=row.status)
            pairs = [(k, row.outcome or reports.NONE) if k == "outcome" else (k, v) for k, v in pairs]
            for scope in reports.PERSON_SCOPES:
                key = (reports.period(scope, day).start, row.contact_key)
                if row.contact_key is None or key not in seen[scope]:
                    pairs.append((f"persons_{scope}", "new"))
                    seen[scope].add(key)
            for status in ("returned", "transferred"):
                pairs += [("event", status)] * firsts.get((row.id, status), (None, 0))[1]
            for name, status in (("accept_wait", "accepted"), ("contact_wait", "contacted")):
                at = firsts.get((row.id, status), (None, 0))[0]
                if at is not None:
                    minutes = int((_aware(at) - created).total_seconds() // 60)
                    pairs.append((name, str(reports.wait_bucket(minutes))))
            counts.update((day, k, v) for k, v in pairs)
        reports.add(session, counts, months=False)  # 0015 sums the months
        last = (rows[-1].created_at, rows[-1].id)
    session.flush()


def _first_events(session: Session, event, ids: list[str]) -> dict:
    """(intake id, status) -> (time of the first event into it, how many events into it)."""
    found = {}
    for row in session.execute(
            sa.select(event.c.intake_id, event.c.to_status, sa.func.min(event.c.at), sa.func.count())
            .where(event.c.intake_id.in_(ids), event.c.to_status.in_(("accepted", "contacted", "returned",
                                                                          "transferred")))
            .group_by(event.c.intake_id, event.c.to_status)):
        found[(row[0], row[1])] = (row[2], row[3])
    return found


def _aware(at):
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def downgrade() -> None:
    op.drop_index("ix_intake_contact_created", table_name="intake")
    op.drop_index("ix_intake_status_routed", table_name="intake")
    op.drop_table("report_tally")
