"""the municipality's preference among equally fitting providers

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provider") as batch_op:
        batch_op.add_column(sa.Column("preference", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("provider") as batch_op:
        batch_op.drop_column("preference")
