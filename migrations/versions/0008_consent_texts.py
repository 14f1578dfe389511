"""keep every consent text and form version the product served

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("text_id", sa.String(length=64), nullable=False),
        sa.Column("text_version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("first_served_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "form_version",
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_served_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.PrimaryKeyConstraint("form_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("form_version")
    op.drop_table("consent_text")
