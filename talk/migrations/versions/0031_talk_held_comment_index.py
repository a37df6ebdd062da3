"""talk held comment index: a project's held posts found without reading its other comments

A partial index on ``comments (project_id, held_at, id) WHERE held_at IS NOT NULL``: the
moderation queue counts a project's held posts on every view, and at 1,000,000 comments that
count read them all (0.6 s on SQLite). Almost no comment is held, so the index stays tiny.

Revision ID: 0031_talk_held_comment_index
Revises: 0030_talk_rules_version
Create Date: 2026-11-30 02:20:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0031_talk_held_comment_index"
down_revision = "0030_talk_rules_version"
branch_labels = None
depends_on = None

WHERE = sa.text("held_at IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_comments_held",
        "comments",
        ["project_id", "held_at", "id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade():
    op.drop_index("ix_comments_held", table_name="comments")
