"""The schema comes from migrations, and the models agree with them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from talk.extensions import db
from talk.search.schema import is_search_table


def _not_search_index(name, type_, parent_names):
    """The search index's tables are kept by triggers, not models (see talk.search.schema)."""
    return not (type_ == "table" and is_search_table(name))


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_search_index}
        )
        assert compare_metadata(context, db.metadata) == []


def test_database_is_at_the_head_revision(app):
    from alembic.script import ScriptDirectory

    from talk.app import MIGRATIONS_DIR

    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        script = ScriptDirectory(str(MIGRATIONS_DIR))
        assert set(current) == set(script.get_heads())
