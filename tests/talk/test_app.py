"""The app factory's seams: declared writes outside a request, and the package list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from talk.app import SQLITE_CACHE_KIB, writing
from talk.extensions import db


def _begins(app, count_queries, *, declared: bool) -> list[str]:
    with count_queries() as counted:
        if declared:
            with writing(), app.app_context():
                db.session.execute(select(1))
        else:
            with app.app_context():
                db.session.execute(select(1))
    return [s for s in counted.statements if s.startswith("BEGIN")]


@pytest.mark.commits  # counts the real BEGIN of a connection of its own
def test_declared_writes_take_the_sqlite_write_lock_when_they_begin(app, count_queries):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("only SQLite needs BEGIN IMMEDIATE")
    assert _begins(app, count_queries, declared=True) == ["BEGIN IMMEDIATE"]
    assert _begins(app, count_queries, declared=False) == ["BEGIN"]  # the flag did not leak


def test_sqlite_connections_log_ahead_and_sync_at_checkpoints(app):
    """WAL with synchronous=NORMAL (docs/decisions.md): 1, not FULL's 2 on every commit."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_connections_keep_more_pages_than_sqlites_default(app):
    """16 MiB, not 2: a search's newest matches are read again by every search
    (docs/search.md, "Fifth round")."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        with db.engine.connect() as connection:
            cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    assert cache_size == -SQLITE_CACHE_KIB
    assert SQLITE_CACHE_KIB * 1024 > 2 * 2**20  # more than SQLite's default (2 MiB)
