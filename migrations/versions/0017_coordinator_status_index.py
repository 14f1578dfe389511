"""the coordinator's cases of one status in the worklist's order: urgent first, then by
routing time, of the routed intakes

Revision ID: 0017
Revises: 0016

The worklist's other indexes each lead with the office (ix_intake_worklist_status) or
hold the open cases only (ix_intake_worklist_all): the coordinator's inbox filtered by
status read every intake of that status and sorted them to show one page. This one is
partial on the coordinator's own condition (routed intakes), said in the same words.
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ROUTED = "provider_id IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_intake_worklist_status_all", "intake", ["status", "worklist_rank", "routed_at", "id"],
                    sqlite_where=sa.text(ROUTED), postgresql_where=sa.text(ROUTED))


def downgrade() -> None:
    op.drop_index("ix_intake_worklist_status_all", table_name="intake")
