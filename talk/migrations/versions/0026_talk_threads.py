"""talk threads: moderators lock, pin and merge discussions and edit comments with a note

``discussions.locked_at`` (no replies while set), ``pinned`` (listed first: the board and item
activity indexes lead with it), ``merged_into_id`` (the discussion merged away answers with a
redirect to this one); ``comments.moderator_note`` (shown under a comment a moderator edited).
The search triggers are untouched: moving a discussion re-indexes its comments by touching
their ``discussion_id`` (talk/services/threads.py), and a merged discussion's title is left out
at query time.

Revision ID: 0026_talk_threads
Revises: 0025_moderation_prevention
Create Date: 2026-11-29 19:30:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0026_talk_threads"
down_revision = "0025_moderation_prevention"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_discussions_board_activity": "board_id",
    "ix_discussions_item_activity": "item_id",
}


def upgrade():
    op.add_column("discussions", sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "discussions",
        sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite takes a new column's REFERENCES only inline, and batch mode would rebuild the
        # table without its search triggers (as in 0005).
        op.execute(
            "ALTER TABLE discussions ADD COLUMN merged_into_id INTEGER "
            "CONSTRAINT fk_discussions_merged_into_id_discussions REFERENCES discussions (id)"
        )
    else:
        op.add_column("discussions", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_discussions_merged_into_id_discussions",
            "discussions",
            "discussions",
            ["merged_into_id"],
            ["id"],
        )
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="discussions")
        op.create_index(name, "discussions", [column, "pinned", "last_comment_at", "id"])
    op.add_column(
        "comments",
        sa.Column("moderator_note", sa.String(length=500), nullable=False, server_default=""),
    )


def downgrade():
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="discussions")
        op.create_index(name, "discussions", [column, "last_comment_at", "id"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops these columns in place (no rebuild, so the triggers stay).
        op.execute("ALTER TABLE comments DROP COLUMN moderator_note")
        for column in ("merged_into_id", "pinned", "locked_at"):
            op.execute(f"ALTER TABLE discussions DROP COLUMN {column}")
        return
    op.drop_column("comments", "moderator_note")
    op.drop_constraint(
        "fk_discussions_merged_into_id_discussions", "discussions", type_="foreignkey"
    )
    for column in ("merged_into_id", "pinned", "locked_at"):
        op.drop_column("discussions", column)
