"""notifications email preferences

How often each kind of email reaches a person, site-wide and per project, and their "no email
at all" switch (notifications/preferences_models.py) (issue 9).

Revision ID: 0015_notifications_email_prefs (alembic_version holds 32 characters)
Revises: 0014_notifications_inbox
Create Date: 2026-11-29 17:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_notifications_email_prefs'
down_revision = '0014_notifications_inbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'email_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('choice', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_email_preferences_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['project_id'],
            ['projects.id'],
            name=op.f('fk_email_preferences_project_id_projects'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_preferences')),
    )
    where = sa.text('project_id IS NULL')
    op.create_index(
        'uq_email_preferences_site',
        'email_preferences',
        ['user_id', 'category'],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index(
        'uq_email_preferences_project',
        'email_preferences',
        ['user_id', 'project_id', 'category'],
        unique=True,
    )
    op.create_table(
        'email_switches',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column(
            'everything_off', sa.Boolean(), server_default=sa.text('false'), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_email_switches_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_email_switches')),
    )


def downgrade():
    op.drop_table('email_switches')
    op.drop_index('uq_email_preferences_project', table_name='email_preferences')
    op.drop_index('uq_email_preferences_site', table_name='email_preferences')
    op.drop_table('email_preferences')
