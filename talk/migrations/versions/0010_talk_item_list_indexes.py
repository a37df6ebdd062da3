"""item list indexes

The item list can be ordered newest first and by how much each item is discussed, and filtered
to discussed items (issue 8). ``ix_items_project_order`` (project, id) serves the registration
order both ways; ``ix_items_project_discussed`` (project, discussion count, id) the most
discussed first and "has discussions". The other orders already have theirs: the external id's
unique index, and ``ix_items_project_activity``.

Revision ID: 0010_talk_item_list_indexes
Revises: 0009_talk_usernames
Create Date: 2026-11-29 16:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_talk_item_list_indexes'
down_revision = '0009_talk_usernames'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_items_project_order', 'items', ['project_id', 'id'])
    op.create_index(
        'ix_items_project_discussed', 'items', ['project_id', 'discussion_count', 'id']
    )


def downgrade():
    op.drop_index('ix_items_project_discussed', table_name='items')
    op.drop_index('ix_items_project_order', table_name='items')
