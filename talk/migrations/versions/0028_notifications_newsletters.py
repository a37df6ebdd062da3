"""notifications newsletters

Newsletters (issue 11): consent to a project's updates (the current answer and every answer
given, with source and wording), a project's sender identity, newsletters, and one delivery row
per newsletter and recipient (unique), carried by at most one outbox row.

Revision ID: 0028_notifications_newsletters
Revises: 0027_moderation_system_reports
Create Date: 2026-11-29 21:22:34.784811

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028_notifications_newsletters"
down_revision = "0027_moderation_system_reports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "newsletter_consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_newsletter_consent_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_newsletter_consent_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_consent_events")),
    )
    with op.batch_alter_table("newsletter_consent_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_consent_events_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "newsletter_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_newsletter_consents_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_newsletter_consents_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_consents")),
        sa.UniqueConstraint("user_id", "project_id", name="uq_newsletter_consents_person"),
    )
    with op.batch_alter_table("newsletter_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_newsletter_consents_audience", ["project_id", "opted_in", "user_id"], unique=False
        )

    op.create_table(
        "newsletter_senders",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_newsletter_senders_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_newsletter_senders")),
    )
    op.create_table(
        "newsletters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_newsletters_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_newsletters_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletters")),
    )
    with op.batch_alter_table("newsletters", schema=None) as batch_op:
        batch_op.create_index("ix_newsletters_due", ["state", "scheduled_at"], unique=False)
        batch_op.create_index(
            "ix_newsletters_project_state", ["project_id", "state", "id"], unique=False
        )

    op.create_table(
        "newsletter_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newsletter_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["newsletter_id"],
            ["newsletters.id"],
            name=op.f("fk_newsletter_deliveries_newsletter_id_newsletters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_messages.id"],
            name=op.f("fk_newsletter_deliveries_outbox_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_newsletter_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_deliveries")),
        sa.UniqueConstraint("newsletter_id", "user_id", name="uq_newsletter_deliveries_person"),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_newsletter_deliveries_outbox_id")),
    )
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_newsletter_deliveries_state", ["newsletter_id", "state", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_newsletter_deliveries_state")

    op.drop_table("newsletter_deliveries")
    with op.batch_alter_table("newsletters", schema=None) as batch_op:
        batch_op.drop_index("ix_newsletters_project_state")
        batch_op.drop_index("ix_newsletters_due")

    op.drop_table("newsletters")
    op.drop_table("newsletter_senders")
    with op.batch_alter_table("newsletter_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_newsletter_consents_audience")

    op.drop_table("newsletter_consents")
    with op.batch_alter_table("newsletter_consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_consent_events_user_id"))

    op.drop_table("newsletter_consent_events")
