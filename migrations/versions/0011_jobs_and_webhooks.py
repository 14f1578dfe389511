"""scheduled jobs and notifications: job locks, notices given about intakes, webhooks and their deliveries

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_lock",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("holder", sa.String(64)),
        sa.Column("locked_until", TS),
        sa.Column("last_run_at", TS),
    )
    op.create_table(
        "intake_notice",
        sa.Column("intake_id", sa.String(32), sa.ForeignKey("intake.id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("routed_at", TS, primary_key=True),
        sa.Column("sent_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "webhook",
        sa.Column("provider_id", sa.Integer, sa.ForeignKey("provider.id"), primary_key=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider_id", sa.Integer, sa.ForeignKey("provider.id"), nullable=False, index=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_attempt_at", TS),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(200)),
        sa.Column("delivered_at", TS),
        sa.Column("gave_up_at", TS),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["delivered_at", "gave_up_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    for table in ("webhook_delivery", "webhook", "intake_notice", "job_lock"):
        op.drop_table(table)
