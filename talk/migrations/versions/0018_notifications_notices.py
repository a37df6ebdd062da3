"""notifications notices

A notice's sentence and link on each notification (notifications/notices.py): what the
moderation package tells a person through the core's ``notice`` signal (issue 10).

Revision ID: 0018_notifications_notices
Revises: 0017_moderation_audit
Create Date: 2026-11-29 19:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018_notifications_notices"
down_revision = "0017_moderation_audit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("text", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("url", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("url")
        batch_op.drop_column("text")
