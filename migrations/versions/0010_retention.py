"""retention: when an ended intake's personal data was erased; the waiting-count index

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_intake_provider_status", "intake", ["provider_id", "status", "priority"])


def downgrade() -> None:
    op.drop_index("ix_intake_provider_status", table_name="intake")
    with op.batch_alter_table("intake") as batch_op:
        batch_op.drop_column("erased_at")
