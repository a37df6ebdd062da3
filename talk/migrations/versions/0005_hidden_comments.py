"""hidden comments

A moderator can hide a comment: ``comments.hidden_at``, ``hidden_by_id``, ``hidden_reason``. A
hidden comment leaves the search index exactly as a deleted one does, so the comment triggers of
0003 gain "and not hidden" wherever they say "not deleted". The triggers are rewritten from their
own stored definitions (sqlite_master, pg_get_functiondef), so this migration names only what
changes.

Revision ID: 0005_hidden_comments
Revises: 0004_curation
Create Date: 2026-11-25 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_hidden_comments'
down_revision = '0004_curation'
branch_labels = None
depends_on = None

# (old, new) pairs turning 0003's "comment is visible" conditions into ones that know hiding.
CHANGES = (
    ("NEW.deleted_at IS NOT NULL", "(NEW.deleted_at IS NOT NULL OR NEW.hidden_at IS NOT NULL)"),
    ("NEW.deleted_at IS NULL", "NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL"),
    ("UPDATE OF body, deleted_at, discussion_id", "UPDATE OF body, deleted_at, hidden_at, discussion_id"),
)


def _rewrite(sql, forward):
    for old, new in CHANGES:
        sql = sql.replace(old, new) if forward else sql.replace(new, old)
    return sql


def _rewrite_triggers(forward):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        definition = bind.execute(
            sa.text("SELECT pg_get_functiondef('talk_search_comments'::regproc)")
        ).scalar_one()
        op.execute(_rewrite(definition, forward))
        watched = "body, deleted_at, hidden_at, discussion_id" if forward else "body, deleted_at, discussion_id"
        op.execute("DROP TRIGGER search_comments ON comments")
        op.execute(
            f"CREATE TRIGGER search_comments AFTER INSERT OR DELETE OR UPDATE OF {watched} "
            "ON comments FOR EACH ROW EXECUTE FUNCTION talk_search_comments()"
        )
        return
    for name in ("search_comments_ai", "search_comments_au"):
        sql = bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": name},
        ).scalar_one()
        op.execute(f"DROP TRIGGER {name}")
        op.execute(_rewrite(sql, forward))


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column('comments', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    if dialect == "sqlite":
        # SQLite takes a new column's REFERENCES only inline (and SQLAlchemy reads back no ON
        # DELETE from it, so there is none; users are not deleted).
        op.execute(
            "ALTER TABLE comments ADD COLUMN hidden_by_id INTEGER "
            "CONSTRAINT fk_comments_hidden_by_id_users REFERENCES users (id)"
        )
    else:
        op.add_column('comments', sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'fk_comments_hidden_by_id_users', 'comments', 'users', ['hidden_by_id'], ['id']
        )
    op.add_column(
        'comments', sa.Column('hidden_reason', sa.String(length=500), nullable=False, server_default='')
    )
    _rewrite_triggers(forward=True)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Batch mode rebuilds the table (env.py turns foreign keys off, so nothing cascades)
        # and drops its triggers with it: they are put back, as 0003 wrote them, afterwards.
        triggers = bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'comments'")
        ).scalars().all()
        with op.batch_alter_table('comments', schema=None) as batch_op:
            for column in ('hidden_reason', 'hidden_by_id', 'hidden_at'):
                batch_op.drop_column(column)
        for sql in triggers:
            op.execute(_rewrite(sql, forward=False))
    else:
        _rewrite_triggers(forward=False)
        op.drop_constraint('fk_comments_hidden_by_id_users', 'comments', type_='foreignkey')
        for column in ('hidden_reason', 'hidden_by_id', 'hidden_at'):
            op.drop_column('comments', column)
