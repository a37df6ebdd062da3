"""session tokens

``users.session_token``: part of every login session's id (``User.get_id``), so replacing it ends
the account's sessions and remember-me cookies on every device (logging out does). Every
existing account gets a random token of its own; their current sessions, which carry the bare
id, end with this upgrade (everyone logs in once more).

Revision ID: 0006_session_tokens
Revises: 0005_hidden_comments
Create Date: 2026-11-29 15:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_session_tokens'
down_revision = '0005_hidden_comments'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'users',
        sa.Column('session_token', sa.String(length=64), nullable=False, server_default=''),
    )
    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    ids = bind.execute(sa.select(users.c.id)).scalars().all()
    if ids:
        bind.execute(
            users.update().where(users.c.id == sa.bindparam('user_id')),
            [{'user_id': id_, 'session_token': secrets.token_urlsafe(24)} for id_ in ids],
        )


def downgrade():
    # SQLite (3.35 and later) drops a plain column in place, as PostgreSQL does.
    op.drop_column('users', 'session_token')
