"""image hosts

``projects.image_hosts``: the hosts whose images a project's comments show inline (its IIIF and
image servers); an image from any other host is rendered as a link, so reading a comment sends
nobody's address to a host the project did not choose. Existing projects trust none; their
comments are rendered again by ``talk`` when a project lists its hosts (comments written before
keep their stored HTML until then).

Revision ID: 0007_talk_image_hosts
Revises: 0006_session_tokens
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_talk_image_hosts'
down_revision = '0006_session_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'projects',
        sa.Column('image_hosts', sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade():
    op.drop_column('projects', 'image_hosts')
