"""talk rules version: a token that changes whenever a project's moderation rules change

``projects.rules_version``: per-process caches of a project's watched words, historical terms,
volunteer limits and workflow flags (read for every comment) key on it, and every write to
those rows gives it a new random value (:mod:`talk.services.project_rules`). It is read with
the project row each request loads anyway, so a change made by another process is seen by the
next comment there too, at no extra query. Existing projects start at "".

Revision ID: 0030_talk_rules_version
Revises: 0029_talk_held_discussions
Create Date: 2026-11-30 01:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0030_talk_rules_version"
down_revision = "0029_talk_held_discussions"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "projects",
        sa.Column("rules_version", sa.String(16), nullable=False, server_default=""),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE projects DROP COLUMN rules_version")
        return
    op.drop_column("projects", "rules_version")
