"""talk unlisted discussions: the few merged or held discussions found without reading the rest

A partial index on ``discussions (id) WHERE merged_into_id IS NOT NULL OR held_at IS NOT NULL``:
every search leaves out what is in an unlisted discussion, and at 367,000 discussions listing the
unlisted ones read them all (34 ms on SQLite, each search). Almost none is unlisted, so the index
stays tiny.

Revision ID: 0032_talk_unlisted_discussions
Revises: 0031_talk_held_comment_index
Create Date: 2026-11-30 03:20:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0032_talk_unlisted_discussions"
down_revision = "0031_talk_held_comment_index"
branch_labels = None
depends_on = None

WHERE = sa.text("merged_into_id IS NOT NULL OR held_at IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_discussions_unlisted",
        "discussions",
        ["id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade():
    op.drop_index("ix_discussions_unlisted", table_name="discussions")
