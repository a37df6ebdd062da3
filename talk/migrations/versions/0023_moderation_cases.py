"""moderation cases

Reports and the cases they gather into (moderation/case_models.py): one case per reported
comment, discussion or person per project, with its state, priority, due time, claim and
resolution (issue 10).

Revision ID: 0023_moderation_cases
Revises: 0022_notifications_email_waits
Create Date: 2026-11-29 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_moderation_cases"
down_revision = "0022_notifications_email_waits"
branch_labels = None
depends_on = None


def _fk(table, column, target, **options):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **options
    )


def upgrade():
    when = sa.DateTime(timezone=True)
    op.create_table(
        "moderation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("opened_at", when, nullable=False),
        sa.Column("due_at", when, nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", when, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", when, nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=False),
        sa.Column("resolution_reason", sa.String(length=40), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        _fk("moderation_cases", "project_id", "projects"),
        _fk("moderation_cases", "subject_user_id", "users"),
        _fk("moderation_cases", "board_id", "boards"),
        _fk("moderation_cases", "claimed_by_id", "users"),
        _fk("moderation_cases", "resolved_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
        sa.UniqueConstraint(
            "project_id",
            "target_type",
            "target_id",
            name=op.f("uq_moderation_cases_project_id"),
        ),
    )
    op.create_index(
        "ix_moderation_cases_queue", "moderation_cases", ["project_id", "state", "priority", "id"]
    )
    op.create_index("ix_moderation_cases_subject", "moderation_cases", ["subject_user_id", "id"])
    op.create_table(
        "moderation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        _fk("moderation_reports", "case_id", "moderation_cases", ondelete="CASCADE"),
        _fk("moderation_reports", "reporter_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reports")),
    )
    op.create_index("ix_moderation_reports_reporter", "moderation_reports", ["reporter_id", "id"])
    op.create_index(op.f("ix_moderation_reports_case_id"), "moderation_reports", ["case_id"])


def downgrade():
    op.drop_index(op.f("ix_moderation_reports_case_id"), table_name="moderation_reports")
    op.drop_index("ix_moderation_reports_reporter", table_name="moderation_reports")
    op.drop_table("moderation_reports")
    op.drop_index("ix_moderation_cases_subject", table_name="moderation_cases")
    op.drop_index("ix_moderation_cases_queue", table_name="moderation_cases")
    op.drop_table("moderation_cases")
