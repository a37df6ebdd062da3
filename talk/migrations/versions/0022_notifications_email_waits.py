"""notifications email waits

What an undecided notification waits for: ``waits_for`` (the digest it was sorted to) and
``email_after`` (the hourly email cap), and partial indexes so that the immediate job reads
only what it may act on and the digest job only what waits for a due digest (issue 9).

Revision ID: 0022_notifications_email_waits
Revises: 0021_moderation_heritage
Create Date: 2026-11-29 18:50:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0022_notifications_email_waits"
down_revision = "0021_moderation_heritage"
branch_labels = None
depends_on = None

EMAIL_NOW = "emailed_at IS NULL AND waits_for IS NULL"
DIGEST_WAITING = "emailed_at IS NULL AND waits_for IS NOT NULL"


def _index(name, columns, where):
    op.create_index(
        name,
        "notifications",
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("waits_for", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("email_after", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_notifications_unemailed", table_name="notifications")
    _index("ix_notifications_email_now", ["user_id", "id"], EMAIL_NOW)
    _index("ix_notifications_digest_waiting", ["waits_for", "user_id", "id"], DIGEST_WAITING)


def downgrade():
    op.drop_index("ix_notifications_digest_waiting", table_name="notifications")
    op.drop_index("ix_notifications_email_now", table_name="notifications")
    _index("ix_notifications_unemailed", ["user_id", "id"], "emailed_at IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("email_after")
        batch.drop_column("waits_for")
