"""notifications follows

Follows of discussions, items, boards, tags and projects (one table, one foreign key per kind,
a partial unique index per kind that fan-out reads: notifications/follow_models.py), muted
people, and each person's notification preferences (issue 9).

Revision ID: 0013_notifications_follows
Revises: 0012_notifications_outbox
Create Date: 2026-11-29 17:00:00

"""
import sqlalchemy as sa
from alembic import op



# revision identifiers, used by Alembic.
revision = '0013_notifications_follows'
down_revision = '0012_notifications_outbox'
branch_labels = None
depends_on = None

KINDS = ('discussion', 'item', 'board', 'tag', 'project')
TABLES = {
    'discussion': 'discussions',
    'item': 'items',
    'board': 'boards',
    'tag': 'tags',
    'project': 'projects',
}


def upgrade():
    one_target = ' + '.join(f'(CASE WHEN {k}_id IS NULL THEN 0 ELSE 1 END)' for k in KINDS)
    op.create_table(
        'follows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('origin', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(f'{k}_id', sa.Integer(), nullable=True) for k in KINDS),
        sa.CheckConstraint(f'{one_target} = 1', name=op.f('ck_follows_one_target')),
        sa.CheckConstraint("level IN ('follow', 'mute')", name=op.f('ck_follows_level')),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'
        ),
        *(
            sa.ForeignKeyConstraint(
                [f'{k}_id'],
                [f'{TABLES[k]}.id'],
                name=op.f(f'fk_follows_{k}_id_{TABLES[k]}'),
                ondelete='CASCADE',
            )
            for k in KINDS
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    )
    for k in KINDS:
        where = sa.text(f'{k}_id IS NOT NULL')
        op.create_index(
            f'uq_follows_{k}_user',
            'follows',
            [f'{k}_id', 'user_id'],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    op.create_index('ix_follows_user_recent', 'follows', ['user_id', 'id'])

    op.create_table(
        'user_mutes',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('muted_user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_user_mutes_user_id_users'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['muted_user_id'],
            ['users.id'],
            name=op.f('fk_user_mutes_muted_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'muted_user_id', name=op.f('pk_user_mutes')),
    )
    op.create_index('ix_user_mutes_muted_user', 'user_mutes', ['muted_user_id', 'user_id'])

    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column(
            'follow_on_posting', sa.Boolean(), server_default=sa.text('true'), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_notification_preferences_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences')),
    )


def downgrade():
    op.drop_table('notification_preferences')
    op.drop_index('ix_user_mutes_muted_user', table_name='user_mutes')
    op.drop_table('user_mutes')
    op.drop_index('ix_follows_user_recent', table_name='follows')
    for k in KINDS:
        op.drop_index(f'uq_follows_{k}_user', table_name='follows')
    op.drop_table('follows')
