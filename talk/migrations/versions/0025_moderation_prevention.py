"""moderation prevention

Watched words, historical terms, new volunteers' limits and trust grants per project
(moderation/prevention_models.py; issue 10, "Prevention").

Revision ID: 0025_moderation_prevention
Revises: 0024_held_comments
Create Date: 2026-11-29 19:50:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0025_moderation_prevention"
down_revision = "0024_held_comments"
branch_labels = None
depends_on = None


def _project(table):
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects"),
        ondelete="CASCADE",
    )


def upgrade():
    op.create_table(
        "moderation_watched_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_moderation_watched_words_created_by_id_users"),
        ),
        _project("moderation_watched_words"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_watched_words")),
        sa.UniqueConstraint(
            "project_id", "kind", "pattern",
            name=op.f("uq_moderation_watched_words_project_id"),
        ),
    )
    op.create_table(
        "moderation_historical_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _project("moderation_historical_terms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_historical_terms")),
        sa.UniqueConstraint(
            "project_id", "key", name=op.f("uq_moderation_historical_terms_project_id")
        ),
    )
    op.create_table(
        "moderation_volunteer_limits",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("held_comments", sa.Integer(), nullable=True),
        sa.Column("max_links", sa.Integer(), nullable=True),
        sa.Column("restrict_untrusted", sa.Boolean(), nullable=False),
        sa.Column("trust_after", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project("moderation_volunteer_limits"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_moderation_volunteer_limits")),
    )
    op.create_table(
        "moderation_trust_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"],
            name=op.f("fk_moderation_trust_grants_granted_by_id_users"),
        ),
        _project("moderation_trust_grants"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_moderation_trust_grants_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_trust_grants")),
        sa.UniqueConstraint(
            "project_id", "user_id", name=op.f("uq_moderation_trust_grants_project_id")
        ),
    )


def downgrade():
    for table in (
        "moderation_trust_grants",
        "moderation_volunteer_limits",
        "moderation_historical_terms",
        "moderation_watched_words",
    ):
        op.drop_table(table)
