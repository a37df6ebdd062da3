"""normalised identities

Usernames and email addresses are compared by NFKC + case folding (``accounts.identity_key``):
``users.username_key`` is recomputed that way (it was lower-cased), ``users.email_key`` is new
and unique, and ``users.username_skeleton`` (``accounts.username_skeleton``, indexed, not unique)
lets registration refuse a username confusable with an existing one.

Existing accounts whose keys become equal (two addresses differing only by case folding or
compatibility forms, e.g. 'strasse@x' and 'STRAßE@x') cannot both be kept unique: the upgrade
stops, changing nothing, with a message naming them, so the operator decides which to merge or
rename. Existing confusable usernames are kept (only new ones are refused).

Revision ID: 0009_talk_usernames
Revises: 0008_talk_token_scopes
Create Date: 2026-11-29 16:20:00

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

from talk.services.accounts import identity_key, username_skeleton


# revision identifiers, used by Alembic.
revision = '0009_talk_usernames'
down_revision = '0008_talk_token_scopes'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('username', sa.String),
    sa.column('username_key', sa.String),
    sa.column('username_skeleton', sa.String),
    sa.column('email', sa.String),
    sa.column('email_key', sa.String),
)


def _refuse_duplicates(rows):
    clashes = []
    for column, index in (('username', 1), ('email', 2)):
        by_key = defaultdict(list)
        for row in rows:
            by_key[identity_key(row[index])].append(row[index])
        clashes += [
            f"{column}s {', '.join(repr(v) for v in values)}"
            for values in by_key.values()
            if len(values) > 1
        ]
    if clashes:
        raise RuntimeError(
            "Migration 0009 compares usernames and email addresses by NFKC + case folding, and "
            "these accounts would then be the same: " + "; ".join(clashes) + ". Rename or "
            "merge them, then run `talk db upgrade` again. Nothing was changed."
        )


def upgrade():
    bind = op.get_bind()
    # in id order, so that the refusal names the clashing accounts in the same order every time
    rows = bind.execute(
        sa.select(users.c.id, users.c.username, users.c.email).order_by(users.c.id)
    ).all()
    _refuse_duplicates(rows)
    op.add_column(
        'users',
        sa.Column('username_skeleton', sa.String(length=160), nullable=False, server_default=''),
    )
    op.add_column(
        'users',
        sa.Column('email_key', sa.String(length=1016), nullable=False, server_default=''),
    )
    if rows:
        bind.execute(
            users.update().where(users.c.id == sa.bindparam('user_id')),
            [
                {
                    'user_id': id_,
                    'username_key': identity_key(username),
                    'username_skeleton': username_skeleton(username),
                    'email_key': identity_key(email),
                }
                for id_, username, email in rows
            ],
        )
    op.create_index(op.f('ix_users_email_key'), 'users', ['email_key'], unique=True)
    op.create_index(op.f('ix_users_username_skeleton'), 'users', ['username_skeleton'])


def downgrade():
    op.drop_index(op.f('ix_users_username_skeleton'), table_name='users')
    op.drop_index(op.f('ix_users_email_key'), table_name='users')
    # SQLite (3.35 and later) drops a plain column in place, as PostgreSQL does.
    op.drop_column('users', 'email_key')
    op.drop_column('users', 'username_skeleton')
    op.execute(users.update().values(username_key=sa.func.lower(users.c.username)))
