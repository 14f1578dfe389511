"""the municipality's readings of local names, for furigana on Japanese pages

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("municipality") as batch_op:
        batch_op.add_column(sa.Column("furigana", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("municipality") as batch_op:
        batch_op.drop_column("furigana")
