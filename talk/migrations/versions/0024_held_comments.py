"""held comments

``comments.held_at``: a comment a content check held for a moderator's approval (issue 10,
"Prevention"). A held comment is also hidden (``hidden_at``), so the search triggers of 0003 and
0005 already leave it out; nothing else changes.

Revision ID: 0024_held_comments
Revises: 0023_moderation_cases
Create Date: 2026-11-29 19:20:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0024_held_comments"
down_revision = "0023_moderation_cases"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("comments", sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_column("comments", "held_at")
        return
    # Batch mode rebuilds the table and drops its (search) triggers with it: put them back.
    triggers = (
        bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'comments'"
            )
        )
        .scalars()
        .all()
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("held_at")
    for sql in triggers:
        op.execute(sql)
