"""token expiry and project scope

``api_tokens.expires_at`` (optional: a token refused after it) and ``api_tokens.project_id``
(optional: a token that acts only in that project, removed with it). Existing tokens keep
working as before: no expiry, no scope.

Revision ID: 0008_talk_token_scopes
Revises: 0007_talk_image_hosts
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_talk_token_scopes'
down_revision = '0007_talk_image_hosts'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite adds a foreign key only by rebuilding the table (nothing refers to
    # api_tokens, so the rebuild cascades nowhere).
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_project_id'), ['project_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_api_tokens_project_id_projects'),
            'projects',
            ['project_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_project_id_projects'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_project_id'))
        batch_op.drop_column('project_id')
        batch_op.drop_column('expires_at')
