"""The baselines ``bench/pages.py`` measures Talk against: a bare Flask app under the very server
and settings ``talk serve`` uses (granian, same workers and threads), so that a ratio to it says
how much of a request's cost is Talk's and not the machine's, the server's or Flask's.

- ``GET /`` answers a fixed small string: the read baseline.
- ``POST /write`` inserts one row in one transaction into ``bench_baseline_write`` of the
  database named by ``BENCH_DATABASE_URL`` (the benchmark's own database, so the same engine
  and file; the runner creates the table beforehand): the write baseline. On SQLite it sets the
  pragmas Talk sets (WAL, a 5 s busy timeout) and takes the write lock up front
  (``BEGIN IMMEDIATE``) as Talk's writing requests do, so both queue for the lock the same way.

Served by ``granian --interface wsgi --factory baseline_app:create_app`` from ``bench/``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event, text

TABLE = "bench_baseline_write"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
)
CREATE_TABLE_POSTGRESQL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id SERIAL PRIMARY KEY, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
)


def engine_for(url: str) -> Engine:
    """A pooled engine on ``url``; on SQLite with Talk's pragmas and up-front write lock."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_size=15)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def pragmas(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_table(url: str) -> None:
    """Make the write baseline's table (the runner calls this before starting the servers)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        sql = CREATE_TABLE if engine.dialect.name == "sqlite" else CREATE_TABLE_POSTGRESQL
        connection.execute(text(sql))
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ.get("BENCH_DATABASE_URL", "")
    engine = engine_for(url) if url else None

    @app.get("/")
    def fixed() -> str:
        return "Hello from the baseline"

    @app.post("/write")
    def write() -> tuple[str, int]:
        if engine is None:
            return "BENCH_DATABASE_URL is not set", 500
        with engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO {TABLE} (body, created_at) VALUES (:body, CURRENT_TIMESTAMP)"),
                {"body": "A baseline row"},
            )
        return "written", 201

    return app
