"""moderation heritage

Content warnings (notices, where they are attached, who read which version) and workflow
flags (configured hashtags, and the review list's requests) (issue 10).

Revision ID: 0021_moderation_heritage
Revises: 0020_moderation_sanctions
Create Date: 2026-11-29 18:38:10.958682

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_moderation_heritage"
down_revision = "0020_moderation_sanctions"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "content_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_content_warnings_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_content_warnings_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_warnings")),
        sa.UniqueConstraint("project_id", "title", name=op.f("uq_content_warnings_project_id")),
    )
    op.create_table(
        "workflow_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tag_name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_workflow_flags_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_flags")),
        sa.UniqueConstraint("project_id", "tag_name", name=op.f("uq_workflow_flags_project_id")),
    )
    op.create_table(
        "content_warning_acknowledgements",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_content_warning_acknowledgements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["content_warnings.id"],
            name=op.f("fk_content_warning_acknowledgements_warning_id_content_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "warning_id", name=op.f("pk_content_warning_acknowledgements")
        ),
    )
    op.create_table(
        "content_warning_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("discussion_id", sa.Integer(), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN item_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN discussion_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN board_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_content_warning_attachments_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_content_warning_attachments_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_content_warning_attachments_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_content_warning_attachments_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_content_warning_attachments_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["content_warnings.id"],
            name=op.f("fk_content_warning_attachments_warning_id_content_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_warning_attachments")),
        sa.UniqueConstraint("item_id", "warning_id", name="uq_content_warning_attachments_item"),
        sa.UniqueConstraint(
            "discussion_id", "warning_id", name="uq_content_warning_attachments_discussion"
        ),
        sa.UniqueConstraint("board_id", "warning_id", name="uq_content_warning_attachments_board"),
    )

    op.create_table(
        "workflow_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("discussion_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer_comment_id", sa.Integer(), nullable=True),
        sa.Column("answered_how", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_comment_id"],
            ["comments.id"],
            name=op.f("fk_workflow_requests_answer_comment_id_comments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_workflow_requests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"],
            ["users.id"],
            name=op.f("fk_workflow_requests_asked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_workflow_requests_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_workflow_requests_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["workflow_flags.id"],
            name=op.f("fk_workflow_requests_flag_id_workflow_flags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_workflow_requests_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_workflow_requests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_requests")),
    )
    with op.batch_alter_table("workflow_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workflow_requests_open",
            ["project_id", "asked_at", "id"],
            unique=False,
            sqlite_where=sa.text("answered_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL"),
        )
        batch_op.create_index(
            "ix_workflow_requests_open_discussion",
            ["discussion_id"],
            unique=False,
            sqlite_where=sa.text("answered_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL"),
        )


def downgrade():

    with op.batch_alter_table("workflow_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_workflow_requests_open_discussion",
            sqlite_where=sa.text("answered_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_workflow_requests_open",
            sqlite_where=sa.text("answered_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL"),
        )

    op.drop_table("workflow_requests")
    op.drop_table("content_warning_attachments")
    op.drop_table("content_warning_acknowledgements")
    op.drop_table("workflow_flags")
    op.drop_table("content_warnings")
