"""talk user blocks

People a person blocked: their comments collapse for the blocker and nothing they write
notifies the blocker (talk/models/blocks.py) (issue 10).

Revision ID: 0019_talk_user_blocks
Revises: 0018_notifications_notices
Create Date: 2026-11-29 19:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019_talk_user_blocks"
down_revision = "0018_notifications_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_blocks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("blocked_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("user_id <> blocked_user_id", name=op.f("ck_user_blocks_not_self")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_blocks_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocked_user_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocked_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "blocked_user_id", name=op.f("pk_user_blocks")),
    )
    op.create_index(
        "ix_user_blocks_blocked_user", "user_blocks", ["blocked_user_id", "user_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_user_blocks_blocked_user", table_name="user_blocks")
    op.drop_table("user_blocks")
