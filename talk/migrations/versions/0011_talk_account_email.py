"""account email: verified addresses, time zones, disabled accounts, pending sign-ups

``users.email_verified_at`` is when the address was confirmed (issue 9). Accounts that exist
before this migration cannot tell whether a visitor or the operator made them, so they stay
unconfirmed (they may confirm from the settings page) except site admins, whom only the
operator makes. ``users.time_zone`` (IANA name, 'UTC' for everyone so far) and
``users.disabled_at`` (a site admin's ``talk disable-user``) are new, and so is
``pending_registrations``: a sign-up becomes an account only once its address is confirmed.

Revision ID: 0011_talk_account_email
Revises: 0010_talk_item_list_indexes
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_talk_account_email'
down_revision = '0010_talk_item_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False)
        )
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    users = sa.table(
        'users',
        sa.column('is_site_admin', sa.Boolean),
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('email_verified_at', sa.DateTime(timezone=True)),
    )
    op.execute(
        users.update()
        .where(users.c.is_site_admin == sa.true())
        .values(email_verified_at=users.c.created_at)
    )
    op.create_table(
        'pending_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=80), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registrations')),
    )
    op.create_index(
        'ix_pending_registrations_expires_at', 'pending_registrations', ['expires_at']
    )


def downgrade():
    op.drop_index('ix_pending_registrations_expires_at', table_name='pending_registrations')
    op.drop_table('pending_registrations')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('time_zone')
        batch_op.drop_column('email_verified_at')
