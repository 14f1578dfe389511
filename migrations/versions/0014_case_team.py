"""case team: cooperating offices on a case, the contact log (also outreach contacts with
someone who has not consented yet, under an opaque reference), structured case events (action,
details, the office a case came from), a later agreement to the 重層的支援会議

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_office",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("intake_id", sa.String(length=32), sa.ForeignKey("intake.id"), nullable=False),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("provider.id"), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
    )
    op.create_index("ix_case_office_intake_provider", "case_office", ["intake_id", "provider_id"], unique=True)
    op.create_index("ix_case_office_provider_id", "case_office", ["provider_id"])
    op.create_table(
        "contact_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        # None while the contact is with someone who has not consented yet (outreach): then
        # only `person_ref`, an opaque reference the outreach app made, and the location.
        sa.Column("intake_id", sa.String(length=32), sa.ForeignKey("intake.id"), nullable=True),
        sa.Column("person_ref", sa.String(length=32), nullable=True),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("location.id"), nullable=True),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("provider.id"), nullable=True),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),  # sealed (tsunagi.domain.sealed)
        sa.Column("next_contact_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_contact_entry_intake_id", "contact_entry", ["intake_id"])
    op.create_index("ix_contact_entry_person_ref", "contact_entry", ["person_ref"])
    with op.batch_alter_table("intake_event") as batch:
        batch.add_column(sa.Column("action", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("from_provider_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_intake_event_from_provider", "provider", ["from_provider_id"], ["id"])
        batch.create_index("ix_intake_event_from_provider_id", ["from_provider_id"])
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("meeting_agreed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("meeting_agreed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("meeting_agreed_mode", sa.String(length=16), nullable=True))
        batch.create_foreign_key("fk_consent_meeting_agreed_by", "user_account", ["meeting_agreed_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.drop_constraint("fk_consent_meeting_agreed_by", type_="foreignkey")
        batch.drop_column("meeting_agreed_mode")
        batch.drop_column("meeting_agreed_by_id")
        batch.drop_column("meeting_agreed_at")
    with op.batch_alter_table("intake_event") as batch:
        batch.drop_index("ix_intake_event_from_provider_id")
        batch.drop_constraint("fk_intake_event_from_provider", type_="foreignkey")
        batch.drop_column("from_provider_id")
        batch.drop_column("details")
        batch.drop_column("action")
    op.drop_index("ix_contact_entry_person_ref", table_name="contact_entry")
    op.drop_index("ix_contact_entry_intake_id", table_name="contact_entry")
    op.drop_table("contact_entry")
    op.drop_index("ix_case_office_provider_id", table_name="case_office")
    op.drop_index("ix_case_office_intake_provider", table_name="case_office")
    op.drop_table("case_office")
