"""notifications digests

One row per person, cadence and period for the daily and weekly digests: its unique key keeps
a digest from going twice (notifications/digests_models.py) (issue 9).

Revision ID: 0016_notifications_digests
Revises: 0015_notifications_email_prefs
Create Date: 2026-11-29 17:45:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0016_notifications_digests"
down_revision = "0015_notifications_email_prefs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("notifications", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digests_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_messages.id"],
            name=op.f("fk_digests_outbox_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("user_id", "cadence", "period_start", name="uq_digests_user_period"),
    )


def downgrade():
    op.drop_table("digests")
