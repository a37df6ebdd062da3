"""moderation audit

The append-only audit log of moderation actions (moderation/models.py AuditEntry). On
PostgreSQL a trigger refuses UPDATE and DELETE of its rows for every connection (TRUNCATE,
an operator's deliberate wipe, is not an UPDATE or DELETE); SQLite relies on the ORM's guard
(issue 10).

Revision ID: 0017_moderation_audit
Revises: 0016_notifications_digests
Create Date: 2026-11-29 18:40:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017_moderation_audit"
down_revision = "0016_notifications_digests"
branch_labels = None
depends_on = None


def _fk(column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_moderation_audit_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "moderation_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("project_id", "projects"),
        _fk("actor_id", "users"),
        _fk("subject_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_audit")),
    )
    op.create_index("ix_moderation_audit_project", "moderation_audit", ["project_id", "id"])
    op.create_index("ix_moderation_audit_subject", "moderation_audit", ["subject_user_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION moderation_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'moderation_audit is append-only (% refused)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER moderation_audit_append_only BEFORE UPDATE OR DELETE "
            "ON moderation_audit FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER moderation_audit_append_only ON moderation_audit")
        op.execute("DROP FUNCTION moderation_audit_append_only()")
    op.drop_index("ix_moderation_audit_subject", table_name="moderation_audit")
    op.drop_index("ix_moderation_audit_project", table_name="moderation_audit")
    op.drop_table("moderation_audit")
