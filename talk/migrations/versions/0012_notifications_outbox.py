"""notifications outbox

The email outbox (one row per email, written in the transaction of the change it reports, and
the delivery log), what is known of recipient addresses (disabled after a permanent failure),
the workers' leases, and the local mailbox the demo delivers to (issue 9).

Revision ID: 0012_notifications_outbox
Revises: 0011_talk_account_email
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0012_notifications_outbox'
down_revision = '0011_talk_account_email'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=400), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('smtp_reply', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_outbox_messages_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    )
    op.create_index(
        'ix_outbox_messages_due', 'outbox_messages', ['state', 'next_attempt_at']
    )
    op.create_index(
        op.f('ix_outbox_messages_user_id'), 'outbox_messages', ['user_id']
    )
    op.create_table(
        'mail_addresses',
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('bounces', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_mail_addresses')),
    )
    op.create_table(
        'worker_leases',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('holder', sa.String(length=120), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_leases')),
    )
    op.create_table(
        'mailbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=400), nullable=False),
        sa.Column('raw', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['outbox_id'], ['outbox_messages.id'],
            name=op.f('fk_mailbox_messages_outbox_id_outbox_messages'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_messages')),
    )


def downgrade():
    op.drop_table('mailbox_messages')
    op.drop_table('worker_leases')
    op.drop_table('mail_addresses')
    op.drop_index(op.f('ix_outbox_messages_user_id'), table_name='outbox_messages')
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.drop_table('outbox_messages')
