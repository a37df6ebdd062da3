"""hashtags, curated tags and mentions

Revision ID: 0002_hashtags
Revises: 0001_core
Create Date: 2026-11-24 23:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_hashtags'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
