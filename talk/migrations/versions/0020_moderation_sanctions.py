"""moderation sanctions

Sanctions on people (warn, mute, suspend, site ban), moderators' private notes on a person,
and appeals, one per sanction (moderation/sanction_models.py; issue 10).

Revision ID: 0020_moderation_sanctions
Revises: 0019_talk_user_blocks
Create Date: 2026-11-29 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_moderation_sanctions"
down_revision = "0019_talk_user_blocks"
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "moderation_sanctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        _fk("moderation_sanctions", "project_id", "projects"),
        _fk("moderation_sanctions", "user_id", "users"),
        _fk("moderation_sanctions", "decided_by_id", "users"),
        _fk("moderation_sanctions", "lifted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_sanctions")),
    )
    op.create_index(
        "ix_moderation_sanctions_person",
        "moderation_sanctions",
        ["user_id", "project_id", "id"],
    )
    op.create_table(
        "moderation_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("moderation_notes", "project_id", "projects"),
        _fk("moderation_notes", "user_id", "users"),
        _fk("moderation_notes", "author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_notes")),
    )
    op.create_index(
        "ix_moderation_notes_person", "moderation_notes", ["project_id", "user_id", "id"]
    )
    op.create_table(
        "moderation_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sanction_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        _fk("moderation_appeals", "sanction_id", "moderation_sanctions"),
        _fk("moderation_appeals", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_appeals")),
        sa.UniqueConstraint("sanction_id", name=op.f("uq_moderation_appeals_sanction_id")),
    )
    op.create_index("ix_moderation_appeals_state", "moderation_appeals", ["state", "id"])


def downgrade():
    op.drop_index("ix_moderation_appeals_state", table_name="moderation_appeals")
    op.drop_table("moderation_appeals")
    op.drop_index("ix_moderation_notes_person", table_name="moderation_notes")
    op.drop_table("moderation_notes")
    op.drop_index("ix_moderation_sanctions_person", table_name="moderation_sanctions")
    op.drop_table("moderation_sanctions")
