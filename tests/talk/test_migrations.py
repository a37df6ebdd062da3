"""The schema comes from migrations, and the models agree with them."""

import pytest
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


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_downgrade_to_before_curation_and_back_keeps_every_row(app, make):
    """0004 and 0005 add columns to tags and comments; undoing and redoing them (which rebuilds
    those tables on SQLite) must not cascade-delete what references them, and leaves the search
    triggers working."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select, text

    from talk.models import Comment, Mention, Project, TagUse, User
    from talk.services import curation

    project = make.project("herbarium")
    volunteer = make.user("vol")
    item = make.item(project)
    thread = make.discussion(project, volunteer, item=item, body="A #fern, says @vol #Église")
    make.comment(thread, volunteer, "And #moss")
    with make.context():  # a curated tag nobody uses has a search document only from 0004 on
        curation.curate(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            "lichen",
            synonyms="zanzibarword",
        )

    def counts() -> tuple[int, ...]:
        rows = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Comment, TagUse, Mention)
        ]
        return (*rows, db.session.scalar(text("SELECT count(*) FROM search_documents")))

    with app.app_context():
        before = counts()
        assert before[:2] == (2, 3)
        db.session.remove()  # end this session's transaction: the migration locks the tables
        downgrade(revision="0003_search")
        after_downgrade = (
            db.session.execute(
                text("SELECT count(*) FROM comments UNION ALL SELECT count(*) FROM tag_uses")
            )
            .scalars()
            .all()
        )
        tag_documents = db.session.execute(
            text("SELECT title, body FROM search_documents WHERE kind = 'tag'")
        ).all()
        db.session.remove()
        upgrade()
        assert after_downgrade == [2, 3]
        assert sorted(tuple(row) for row in tag_documents) == [
            ("fern", ""),
            ("moss", ""),
            ("église", ""),
        ]
        # Only the curation is lost (its columns went with the downgrade): the unused curated
        # tag has no search document any more.
        assert counts() == (*before[:3], before[3] - 1)
        # Tags that existed before 0004 get their accent-free form for autocomplete.
        folded = text("SELECT folded FROM tags WHERE name = 'église'")
        assert db.session.scalar(folded) == "eglise"
    # Writing after the round trip still indexes and tags.
    make.comment(thread, volunteer, "A #lichen too")
    with app.app_context():
        assert counts()[1] == 4
        assert (
            db.session.scalar(text("SELECT count(*) FROM search_documents WHERE kind = 'comment'"))
            == 3
        )
