"""lifecycle, read state, messages, outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:14:02.720875
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('intake_read',
    sa.Column('intake_id', sa.String(length=32), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('first_read_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], ),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], ),
    sa.PrimaryKeyConstraint('intake_id', 'provider_id')
    )
    op.create_table('resident_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resident_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_message_intake_id'), ['intake_id'], unique=False)

    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_time', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('proxy_relationship', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_via', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_consent_withdrawn_by', 'user_account', ['withdrawn_by_id'], ['id'])

    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('failed_contacts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('routed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False))
        batch_op.create_index(batch_op.f('ix_intake_contact_key'), ['contact_key'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('email')

    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_contact_key'))
        batch_op.drop_column('routed_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('failed_contacts')
        batch_op.drop_column('contact_key')

    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_constraint('fk_consent_withdrawn_by', type_='foreignkey')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_via')
        batch_op.drop_column('proxy_relationship')
        batch_op.drop_column('contact_time')

    with op.batch_alter_table('resident_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_message_intake_id'))

    op.drop_table('resident_message')
    op.drop_table('intake_read')
    op.drop_table('outbox_message')
