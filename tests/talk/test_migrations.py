"""The schema comes from migrations, and the models agree with them."""

import ast
import re
from pathlib import Path
from typing import Any

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
        if db.engine.dialect.name == "sqlite":  # the migrations' connection is back in the pool
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
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


# --- one chain for every package ---------------------------------------------------------------

MIGRATION_NAME = re.compile(r"^(?P<number>\d{4})_(?P<what>[a-z0-9_]+)\.py$")


def _migrations() -> list[tuple[Path, Any]]:
    from alembic.script import ScriptDirectory

    from talk.app import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return sorted(
        ((Path(rev.path), rev) for rev in script.walk_revisions()), key=lambda pair: pair[0].name
    )


def test_every_package_shares_one_linear_chain():
    """Migrations of all packages live in talk/migrations/versions as one chain: numbered files
    (NNNN_<what>.py for the core, NNNN_<package>_<what>.py for the others) each revising the
    one before. Two branches adding 0006 at once meet here as two heads: renumber one."""
    from alembic.script import ScriptDirectory

    from talk.app import MIGRATIONS_DIR

    assert len(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()) == 1
    previous = None
    for number, (path, revision) in enumerate(_migrations(), start=1):
        match = MIGRATION_NAME.match(path.name)
        assert match, f"{path.name}: name it NNNN_<package>_<what>.py"
        assert int(match["number"]) == number, f"{path.name}: expected number {number:04d}"
        assert revision.revision.startswith(f"{match['number']}_"), path.name
        assert revision.down_revision == previous, f"{path.name} must revise {previous}"
        assert not revision.branch_labels and not revision.dependencies, path.name
        previous = revision.revision


def _creators() -> dict[str, str]:
    """Each table an ``op.create_table`` of the chain creates, with the file that first does."""
    creators: dict[str, str] = {}
    for path, _revision in _migrations():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "create_table"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                creators.setdefault(node.args[0].value, path.name)
    return creators


def _misplaced(owners: dict[str, str], creators: dict[str, str]) -> list[str]:
    """The tables (name: owning package) not created where they belong: every table by some
    migration; a core table by a core migration, never a ``NNNN_<package>_`` one; a package's
    table by one of that package's ``NNNN_<package>_<what>.py``."""
    from talk.config import CORE, PACKAGES

    any_package = re.compile(rf"\d{{4}}_({'|'.join(p for p in PACKAGES if p != CORE)})_")
    wrong = []
    for table, package in sorted(owners.items()):
        creator = creators.get(table)
        if creator is None:
            wrong.append(f"{table} ({package}) is created by no migration")
        elif package == CORE and any_package.match(creator):
            wrong.append(f"{table} (core) is created by a package's migration, {creator}")
        elif package != CORE and not re.match(rf"\d{{4}}_{package}_", creator):
            wrong.append(f"{table} ({package}) is created by {creator}")
    return wrong


def test_a_packages_tables_are_created_by_its_own_migrations(app):
    """Every table in db.metadata is created by a migration: the core's by NNNN_<what>.py, a
    package P's by NNNN_P_<what>.py."""
    owners = dict.fromkeys(db.metadata.tables, "talk")  # a table with no model counts as core
    for mapper in db.Model.registry.mappers:
        owners[mapper.local_table.name] = mapper.class_.__module__.split(".")[0]
    assert "tags" in owners and "comments" in owners  # the core's models are loaded
    assert _misplaced(owners, _creators()) == []


def test_the_migration_placement_rule_tells_the_core_from_a_package():
    """What the test above would say once the packages have tables (they have none yet)."""
    creators = {
        "tags": "0002_hashtags.py",
        "tag_follows": "0006_notifications_follows.py",
        "reports": "0007_moderation_reports.py",
    }
    assert _misplaced({"tags": "talk", "tag_follows": "notifications"}, creators) == []
    assert _misplaced({"reports": "moderation"}, creators) == []
    assert _misplaced(
        {
            "tag_follows": "talk",  # a core table in a package's migration
            "reports": "notifications",  # another package's migration
            "tags": "moderation",  # a core migration
            "outbox": "notifications",  # no migration at all
        },
        creators,
    ) == [
        "outbox (notifications) is created by no migration",
        "reports (notifications) is created by 0007_moderation_reports.py",
        "tag_follows (core) is created by a package's migration, 0006_notifications_follows.py",
        "tags (moderation) is created by 0002_hashtags.py",
    ]
