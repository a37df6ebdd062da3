"""moderation system reports: a watched word's flag files a report with no reporter

``moderation_reports.reporter_id`` becomes nullable: a report without a reporter is the
system's (a ``flag`` watched word matched the comment), shown as "Flagged by a watched word".

Revision ID: 0027_moderation_system_reports
Revises: 0026_talk_threads
Create Date: 2026-11-29 20:05:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0027_moderation_system_reports"
down_revision = "0026_talk_threads"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.alter_column("reporter_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM moderation_reports WHERE reporter_id IS NULL")
    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.alter_column("reporter_id", existing_type=sa.Integer(), nullable=False)
