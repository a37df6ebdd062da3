"""notifications inbox

The notification events written in the request's transaction and fanned out by the worker,
and each person's notifications with separate read and emailed states
(notifications/inbox_models.py; issue 9).

Revision ID: 0014_notifications_inbox
Revises: 0013_notifications_follows
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_notifications_inbox'
down_revision = '0013_notifications_follows'
branch_labels = None
depends_on = None


def _fk(table, column, target, ondelete='CASCADE'):
    return sa.ForeignKeyConstraint(
        [column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'), ondelete=ondelete
    )


def upgrade():
    op.create_table(
        'notification_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('discussion_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        _fk('notification_events', 'actor_id', 'users'),
        _fk('notification_events', 'project_id', 'projects'),
        _fk('notification_events', 'discussion_id', 'discussions'),
        _fk('notification_events', 'comment_id', 'comments'),
        _fk('notification_events', 'item_id', 'items'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_events')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('discussion_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('tag_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        _fk('notifications', 'user_id', 'users'),
        _fk('notifications', 'project_id', 'projects'),
        _fk('notifications', 'discussion_id', 'discussions'),
        _fk('notifications', 'comment_id', 'comments'),
        _fk('notifications', 'item_id', 'items'),
        _fk('notifications', 'tag_id', 'tags'),
        _fk('notifications', 'actor_id', 'users', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('user_id', 'event_id', name='uq_notifications_user_event'),
    )
    op.create_index('ix_notifications_user_recent', 'notifications', ['user_id', 'id'])
    for name, columns, where in (
        ('ix_notifications_unread', ['user_id', 'discussion_id'], 'read_at IS NULL'),
        ('ix_notifications_unemailed', ['user_id', 'id'], 'emailed_at IS NULL'),
    ):
        op.create_index(
            name,
            'notifications',
            columns,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    op.drop_index('ix_notifications_unemailed', table_name='notifications')
    op.drop_index('ix_notifications_unread', table_name='notifications')
    op.drop_index('ix_notifications_user_recent', table_name='notifications')
    op.drop_table('notifications')
    op.drop_table('notification_events')
