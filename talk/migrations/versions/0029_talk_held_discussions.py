"""talk held discussions: a new discussion whose first comment was held waits with it

``discussions.held_at``: set when a content check held the first comment of a new discussion
(issue 10, "Prevention"); cleared when a moderator approves that comment. While set the
discussion is in no list, count or search (``Discussion.listed()``, applied at query time as for
a merged discussion), so the search triggers are untouched: its comment is held, so hidden, and
has no document; its title's document is left out by the query.

Revision ID: 0029_talk_held_discussions
Revises: 0028_notifications_newsletters
Create Date: 2026-11-29 21:30:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0029_talk_held_discussions"
down_revision = "0028_notifications_newsletters"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("discussions", sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops the column in place (no rebuild, so the search triggers stay).
        op.execute("ALTER TABLE discussions DROP COLUMN held_at")
        return
    op.drop_column("discussions", "held_at")
