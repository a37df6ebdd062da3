"""What the scale benchmarks share: a fresh migrated database, projects built in bulk from the
made-up text of :mod:`corpus`, a bulk writer for any table, and the timing and reporting of a
query set.

A project has an item per 50 comments and a discussion per 20, half of them about an item (on
the items board) and half on the general boards; each comment goes to a discussion drawn at
random, by one of 1,000 people, 31 seconds after the one before.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from corpus import Draft
from flask import Flask
from sqlalchemy import create_engine, func, insert, select, text

from talk import create_app
from talk.app import database_url
from talk.extensions import db
from talk.models import Comment, Discussion, Item, Project, User

DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "talk-search-bench.sqlite"
START = datetime(2025, 1, 1, tzinfo=UTC)
COMMENT_INTERVAL = timedelta(seconds=31)

T = TypeVar("T")
Case = TypeVar("Case")
Prepared = TypeVar("Prepared")


# --------------------------------------------------------------------------- building


def fresh_database(url: str | None) -> str:
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEFAULT_SQLITE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE}"
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return url
    engine = create_engine(database_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def make_app(url: str, instance: str) -> Flask:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "b"}
    )


def make_people(count: int) -> list[int]:
    now = START
    rows = [
        {
            "username": f"person{i}",
            "username_key": f"person{i}",
            "username_skeleton": f"person{i}",
            "display_name": f"Person {i}",
            "email": f"person{i}@example.org",
            "email_key": f"person{i}@example.org",
            "password_hash": "!",
            "is_site_admin": i == 0,
            "created_at": now,
            "comment_count": 0,
        }
        for i in range(count)
    ]
    db.session.execute(insert(User), rows)
    db.session.commit()
    return list(db.session.scalars(select(User.id).order_by(User.id)))


def make_project(slug: str, owner_id: int, comments: int, rng: random.Random) -> Project:
    """A project with items (one per 50 comments) and discussions (one per 20), through the
    services where it is cheap, in bulk where it is not."""
    from talk.services import projects

    owner = db.session.get(User, owner_id)
    project = projects.create_project(owner, slug, slug.title())
    db.session.commit()
    items = max(1, comments // 50)
    db.session.execute(
        insert(Item),
        [
            {
                "project_id": project.id,
                "external_id": f"{slug}-{i}",
                "title": f"Sheet {i}",
                "item_metadata": {"collector": "A. Botanist", "box": str(i % 97)},
                "created_at": START,
                "discussion_count": 0,
                "comment_count": 0,
            }
            for i in range(items)
        ],
    )
    item_ids = list(db.session.scalars(select(Item.id).where(Item.project_id == project.id)))
    boards = {b.kind: b.id for b in project.boards}
    general = [b.id for b in project.boards if b.kind == "general"]
    rows = []
    for i in range(max(1, comments // 20)):
        on_item = i % 2 == 0
        rows.append(
            {
                "project_id": project.id,
                "board_id": boards["items"] if on_item else general[i % len(general)],
                "item_id": rng.choice(item_ids) if on_item else None,
                "author_id": owner_id,
                "title": f"Thread {i}",
                "created_at": START,
                "comment_count": 0,
                "last_comment_at": START,
            }
        )
    db.session.execute(insert(Discussion), rows)
    db.session.commit()
    return project


@dataclass(frozen=True)
class Tagged:
    """A loaded comment that carries hashtags: what the tag tables are made of."""

    comment_id: int
    discussion_id: int
    author_id: int
    created_at: datetime
    hashtags: tuple[str, ...]


@dataclass
class Loaded:
    seconds: float
    tagged: list[Tagged] = field(default_factory=list)


COMMENT_COLUMNS = (
    "id",
    "project_id",
    "discussion_id",
    "author_id",
    "body",
    "body_html",
    "created_at",
)


def load_comments(
    project: Project, people: list[int], texts: Iterable[Draft], count: int, rng: random.Random
) -> Loaded:
    """Bulk-insert ``count`` comments written ``texts``, with ids following the highest one in
    the table; returns the seconds taken and the comments that carry hashtags."""
    discussion_ids = list(
        db.session.scalars(select(Discussion.id).where(Discussion.project_id == project.id))
    )
    first_id = (db.session.scalar(select(func.max(Comment.id))) or 0) + 1
    project_id = project.id
    # End the session's transaction: on SQLite it would hold the write lock, or a snapshot from
    # before the load. Nothing below touches the session until the rows are in.
    db.session.commit()
    loaded = Loaded(0.0)

    def rows() -> Iterator[tuple[Any, ...]]:
        for i, draft in enumerate(texts):
            comment_id = first_id + i
            moment = START + i * COMMENT_INTERVAL
            discussion_id = rng.choice(discussion_ids)
            author_id = rng.choice(people)
            if draft.hashtags:
                loaded.tagged.append(
                    Tagged(comment_id, discussion_id, author_id, moment, draft.hashtags)
                )
            yield (comment_id, project_id, discussion_id, author_id, draft.body, "", moment)

    loaded.seconds = bulk_insert("comments", COMMENT_COLUMNS, rows(), total=count)
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('comments', 'id'), "
                    "(SELECT max(id) FROM comments))"
                )
            )
    return loaded


def bulk_insert(
    table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], *, total: int
) -> float:
    """Write ``rows`` into ``table`` as fast as the engine takes them: ``executemany`` in
    batches on SQLite, ``COPY`` on PostgreSQL; triggers run for each row as for any insert.
    Returns the seconds taken."""
    engine = db.engine
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            _copy_postgres(raw, table, columns, iter(rows), total)
        else:
            _executemany_sqlite(raw, table, columns, iter(rows), total)
    finally:
        raw.close()
    return time.perf_counter() - started


def _progress(table: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r  {table}: {done:>10,} / {total:,} rows ({rate:,.0f}/s)", end="", file=sys.stderr)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy stores for a value on SQLite (its DateTime and Date string formats)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _executemany_sqlite(
    raw: Any, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]], total: int
) -> None:
    batch = 20_000
    started = time.perf_counter()
    cursor = raw.cursor()
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    done = 0
    while chunk := list(itertools.islice(rows, batch)):
        cursor.execute("BEGIN")
        cursor.executemany(statement, [tuple(map(_sqlite_value, row)) for row in chunk])
        cursor.execute("COMMIT")
        done += len(chunk)
        _progress(table, done, total, started)
    print(file=sys.stderr)


def _copy_postgres(
    raw: Any, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]], total: int
) -> None:
    batch = 50_000
    started = time.perf_counter()
    connection = raw.driver_connection
    done = 0
    while chunk := list(itertools.islice(rows, batch)):
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in chunk:
                copy.write_row(row)
        connection.commit()
        done += len(chunk)
        _progress(table, done, total, started)
    print(file=sys.stderr)


def maintain() -> None:
    """What a deployment's routine maintenance does after a big load."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            for table in ("search_stemmed", "search_plain"):
                connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
            connection.execute(text("ANALYZE"))


def engine_description() -> str:
    name = db.engine.dialect.name
    version = db.session.scalar(
        text("SELECT version()" if name == "postgresql" else "SELECT sqlite_version()")
    )
    db.session.rollback()
    return f"{name} ({str(version).split(' on ')[0]}), database: {db.engine.url.render_as_string()}"


# --------------------------------------------------------------------------- measuring


@dataclass
class Figures:
    label: str
    latencies: list[float]
    results: list[int]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    def row(self) -> str:
        return (
            f"{self.label:<34} {len(self.latencies):>5} "
            f"{statistics.median(self.results):>8.0f} "
            f"{self.percentile(50):>8.1f} {self.percentile(95):>8.1f} "
            f"{self.percentile(99):>8.1f} {max(self.latencies) * 1000:>8.1f}"
        )


HEADER = f"{'query set / project':<34} {'n':>5} {'rows p50':>8} " + " ".join(
    f"{name:>8}" for name in ("p50 ms", "p95 ms", "p99 ms", "max ms")
)


def timed(
    label: str,
    cases: Sequence[Case],
    run: Callable[[Prepared], int],
    *,
    prepare: Callable[[Case], Prepared],
    after: Callable[[], None] = lambda: None,
    warm: bool = True,
) -> Figures:
    """Time ``run(prepare(case))`` for each case (``prepare`` and ``after`` untimed), after one
    untimed pass over them all when ``warm``. ``run`` returns how many rows it found."""
    if warm:
        for case in cases:
            run(prepare(case))
            after()
    latencies, results = [], []
    for case in cases:
        prepared = prepare(case)
        started = time.perf_counter()
        results.append(run(prepared))
        latencies.append(time.perf_counter() - started)
        after()
    return Figures(label, latencies, results)


def cycle(values: Sequence[T], count: int) -> list[T]:
    """``count`` values going round ``values`` (requests spread over a few cases)."""
    return [values[i % len(values)] for i in range(count)]
