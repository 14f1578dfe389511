"""the worklist's rank (urgent first) as a generated column, and indexes in the worklist's order: an office's open cases, the coordinator's open cases and
an office's cases of one status, urgent first, then by routing time; the waiting intakes
oldest first for the coordinator's board

Revision ID: 0016
Revises: 0015

The open and waiting ones are partial indexes: a page reads its rows in order from the
start of the index, whatever the number of closed cases behind them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# As tsunagi.domain.models says them (the worklist's queries use the same words).
RANK = "CASE WHEN priority = 'urgent' THEN 0 ELSE 1 END"
OPEN = "status NOT IN ('closed', 'interrupted', 'not_shared')"
WAITING = "status IN ('received', 'returned', 'transferred')"


def upgrade() -> None:
    # SQLite adds only a virtual generated column to a table (an index stores its values);
    # PostgreSQL 15 has stored ones only.
    stored = op.get_bind().dialect.name != "sqlite"
    op.add_column("intake", sa.Column("worklist_rank", sa.Integer(), sa.Computed(RANK, persisted=stored)))
    op.create_index("ix_intake_worklist", "intake", ["provider_id", "worklist_rank", "routed_at", "id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("ix_intake_worklist_all", "intake", ["worklist_rank", "routed_at", "id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("ix_intake_worklist_status", "intake", ["provider_id", "status", "worklist_rank", "routed_at", "id"])
    op.create_index("ix_intake_waiting", "intake", ["created_at", "id", "priority", "routed_at", "provider_id"],
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))


def downgrade() -> None:
    for name in ("ix_intake_waiting", "ix_intake_worklist_status", "ix_intake_worklist_all", "ix_intake_worklist"):
        op.drop_index(name, table_name="intake")
    op.drop_column("intake", "worklist_rank")
