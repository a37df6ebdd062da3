"""The data generator's database plumbing: a fresh database (SQLite file or PostgreSQL
database), and bulk writes — ``executemany`` in large transactions on SQLite (synchronous off
while loading), ``COPY`` on PostgreSQL. Triggers run for every row as for any insert, so the
search index is the one the write path keeps."""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from talk.app import database_url
from talk.extensions import db

REFUSED_NAMES = {"test"}


def database_name(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or "").stem
    return parsed.database or ""


def fresh_database(url: str) -> str:
    """Drop and create the database ``url`` names (never one named ``test``); returns the URL
    the app is to use."""
    name = database_name(url)
    if not name or name in REFUSED_NAMES:
        raise SystemExit(f"Refusing to overwrite the database {name!r}: name another one.")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SystemExit("Give a SQLite file: sqlite:////path/to/file.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return url
    server = create_engine(
        database_url(parsed.set(database="postgres").render_as_string(hide_password=False)),
        isolation_level="AUTOCOMMIT",
    )
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return url


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy stores on SQLite: naive UTC text for times, ISO dates, JSON text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _pg_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def insert_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, total: int = 0
) -> int:
    """Write ``rows`` into ``table``; returns how many. Progress goes to stderr."""
    engine = db.engine
    raw = engine.raw_connection()
    started = time.perf_counter()
    done = 0
    iterator = iter(rows)
    try:
        if engine.dialect.name == "postgresql":
            connection = raw.driver_connection
            while chunk := list(itertools.islice(iterator, 50_000)):
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in chunk:
                        copy.write_row([_pg_value(v) for v in row])
                connection.commit()
                done += len(chunk)
                _progress(table, done, total, started)
        else:
            cursor = raw.cursor()
            cursor.execute("PRAGMA synchronous = OFF")
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            while chunk := list(itertools.islice(iterator, 20_000)):
                cursor.execute("BEGIN")
                cursor.executemany(statement, [[_sqlite_value(v) for v in row] for row in chunk])
                cursor.execute("COMMIT")
                done += len(chunk)
                _progress(table, done, total, started)
            cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        raw.close()
    if done:
        print(file=sys.stderr)
    return done


def _progress(table: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    of = f" / {total:,}" if total else ""
    print(f"\r  {table}: {done:>10,}{of} rows ({rate:,.0f}/s)", end="", file=sys.stderr)


def next_id(table: str) -> int:
    value = db.session.scalar(text(f"SELECT max(id) FROM {table}"))
    db.session.rollback()
    return int(value or 0) + 1


def reset_sequences(tables: Sequence[str]) -> None:
    """On PostgreSQL, move each table's id sequence past the ids written explicitly."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table}), 1))"
                )
            )
