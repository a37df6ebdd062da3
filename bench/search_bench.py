"""Search latency at scale: a project of N comments (default 1,000,000) against a 1,000-comment
baseline, on SQLite (FTS5) or PostgreSQL (tsvector + GIN), in one run.

    .venv/bin/python bench/search_bench.py                       # SQLite file under /tmp
    .venv/bin/python bench/search_bench.py --comments 100000
    .venv/bin/python bench/search_bench.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does:

1. Empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema is
   dropped, so point it at a database of its own) and migrates it to the head revision.
2. Builds a baseline project of ``--baseline`` comments and times the queries on it.
3. Bulk-loads the large project: comments written with ``executemany`` in big batches on SQLite
   and ``COPY`` on PostgreSQL, straight into ``comments`` — the migration's triggers index each
   row exactly as they index a comment posted through the site.
4. Times the same queries on the large project, and again on the baseline project (now sharing
   the index with a million other documents).

Text is drawn from a fixed vocabulary: 40 English function words and 4,000 made-up content words
with a Zipf-like distribution (s = 1.05), 10–60 words per comment, plus, in one comment in three,
one of 50,000 rare words. Two-word queries pair content words of rank 10–2,000 drawn by the same
distribution — what people search for is rarer than "the" but not exotic — and phrase queries are
two consecutive content words taken from generated comments. Latencies are of the whole search
service call (resolving the project, the ranked page of 25 with snippets, reading the rows), after
one warm-up pass. Benchmarks print figures; no test asserts timings.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import AnonymousUserMixin
from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, select, text

from talk import create_app, search
from talk.app import database_url
from talk.extensions import db
from talk.models import Discussion, Item, Project, User

FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "it",
    "that",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "from",
    "have",
    "or",
    "by",
    "one",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "your",
    "which",
    "their",
]
SYLLABLES = [
    "ka",
    "lo",
    "mer",
    "dun",
    "pi",
    "ta",
    "ve",
    "ros",
    "al",
    "bri",
    "cen",
    "dor",
    "el",
    "fa",
    "gil",
    "ho",
    "ir",
    "jun",
    "kel",
    "mar",
    "nor",
    "ob",
    "pel",
    "quin",
    "ras",
    "sel",
    "tor",
    "ul",
    "vin",
    "wes",
    "xan",
    "yor",
    "zel",
    "ash",
    "bel",
    "cor",
    "dil",
    "fen",
    "gor",
    "hal",
]
CONTENT_WORDS = 4000
RARE_WORDS = 50_000
ZIPF_S = 1.05
QUERY_RANKS = (10, 2000)
PAGE = 25
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "talk-search-bench.sqlite"
START = datetime(2025, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- text


def made_up_words(count: int, rng: random.Random, syllables: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, syllables))))
    return sorted(words, key=lambda w: (len(w), w))


@dataclass
class Vocabulary:
    words: list[str]  # by rank: function words first, then content words
    cumulative: list[float]
    rare: list[str]

    @classmethod
    def build(cls, rng: random.Random) -> Vocabulary:
        content = made_up_words(CONTENT_WORDS, rng, 3)
        rng.shuffle(content)
        rare = [w for w in made_up_words(RARE_WORDS + CONTENT_WORDS, rng, 5) if w not in content]
        words = FUNCTION_WORDS + content
        weights = [1 / (rank**ZIPF_S) for rank in range(1, len(words) + 1)]
        return cls(words, list(itertools.accumulate(weights)), rare[:RARE_WORDS])

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def comment(self, rng: random.Random) -> str:
        words = self.draw(rng, rng.randint(10, 60))
        if rng.random() < 1 / 3:
            words.insert(rng.randrange(len(words)), rng.choice(self.rare))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def query_word(self, rng: random.Random) -> str:
        """A content word of rank 10–2,000 (among content words), drawn by frequency."""
        low, high = QUERY_RANKS
        offset = len(FUNCTION_WORDS)
        base = self.cumulative[offset + low - 1]
        top = self.cumulative[offset + high - 1]
        index = bisect.bisect_left(self.cumulative, rng.uniform(base, top))
        return self.words[index]


def two_word_queries(vocabulary: Vocabulary, rng: random.Random, count: int) -> list[str]:
    found = []
    while len(found) < count:
        a, b = vocabulary.query_word(rng), vocabulary.query_word(rng)
        if a != b:
            found.append(f"{a} {b}")
    return found


def phrase_queries(bodies: Sequence[str], rng: random.Random, count: int) -> list[str]:
    """Two consecutive content words quoted from comments of the large project."""
    function = set(FUNCTION_WORDS)
    found: list[str] = []
    while len(found) < count:
        words = rng.choice(bodies).rstrip(".").lower().split()
        pairs = [
            (a, b) for a, b in itertools.pairwise(words) if a not in function and b not in function
        ]
        if pairs:
            a, b = rng.choice(pairs)
            found.append(f'"{a} {b}"')
    return found


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
            "display_name": f"Person {i}",
            "email": f"person{i}@example.org",
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


def bodies(vocabulary: Vocabulary, rng: random.Random, count: int) -> Iterator[str]:
    return (vocabulary.comment(rng) for _ in range(count))


def comment_rows(
    project_id: int,
    discussion_ids: Sequence[int],
    people: Sequence[int],
    texts: Iterator[str],
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    for i, body in enumerate(texts):
        moment = START + timedelta(seconds=i * 31)
        yield (project_id, rng.choice(discussion_ids), rng.choice(people), body, "", moment)


def load_comments(
    project: Project, people: list[int], texts: Iterator[str], count: int, rng: random.Random
) -> float:
    """Bulk-insert ``count`` comments with bodies ``texts``; returns seconds taken."""
    discussion_ids = list(
        db.session.scalars(select(Discussion.id).where(Discussion.project_id == project.id))
    )
    rows = comment_rows(project.id, discussion_ids, people, texts, rng)
    db.session.commit()  # end the session's transaction (on SQLite it holds the write lock)
    engine = db.engine
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            _copy_postgres(raw, rows, count)
        else:
            _executemany_sqlite(raw, rows, count)
    finally:
        raw.close()
    return time.perf_counter() - started


def _progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r  {done:>10,} / {total:,} comments ({rate:,.0f}/s)", end="", file=sys.stderr)


def _executemany_sqlite(raw: Any, rows: Iterator[tuple[Any, ...]], total: int) -> None:
    batch = 20_000
    started = time.perf_counter()
    cursor = raw.cursor()
    done = 0
    while chunk := list(itertools.islice(rows, batch)):
        cursor.execute("BEGIN")
        cursor.executemany(
            "INSERT INTO comments (project_id, discussion_id, author_id, body, body_html, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(*row[:5], row[5].strftime("%Y-%m-%d %H:%M:%S.%f")) for row in chunk],
        )
        cursor.execute("COMMIT")
        done += len(chunk)
        _progress(done, total, started)
    print(file=sys.stderr)


def _copy_postgres(raw: Any, rows: Iterator[tuple[Any, ...]], total: int) -> None:
    batch = 50_000
    started = time.perf_counter()
    connection = raw.driver_connection
    done = 0
    while chunk := list(itertools.islice(rows, batch)):
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY comments (project_id, discussion_id, author_id, body, body_html, created_at) "
                "FROM STDIN"
            ) as copy,
        ):
            for row in chunk:
                copy.write_row(row)
        connection.commit()
        done += len(chunk)
        _progress(done, total, started)
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


def measure(label: str, slug: str, texts: list[str], *, warm: bool = True) -> Figures:
    """Time each query as a page view would run it (inside a GET request's context)."""
    viewer = AnonymousUserMixin()

    def run(q: str) -> int:
        found = search.search(
            viewer, search.SearchRequest(q=q, project=slug), cursor=None, limit=PAGE
        )
        db.session.rollback()
        return len(found.rows)

    if warm:
        for q in texts:
            run(q)
    latencies, results = [], []
    for q in texts:
        started = time.perf_counter()
        results.append(run(q))
        latencies.append(time.perf_counter() - started)
    return Figures(label, latencies, results)


def match_counts(slug: str, texts: list[str]) -> list[int]:
    """How many documents of the project each query matches (untimed; shows selectivity)."""
    counts = []
    project_id = db.session.scalar(select(Project.id).where(Project.slug == slug))
    for q in texts:
        parsed = search.parse(q)
        if db.engine.dialect.name == "postgresql":
            count = db.session.scalar(
                text(
                    "SELECT count(*) FROM search_documents d WHERE d.project_id = :p "
                    "AND d.tsv @@ websearch_to_tsquery(talk_search_config('english'), :q)"
                ),
                {"p": project_id, "q": q},
            )
        else:
            count = db.session.scalar(
                text(
                    "SELECT count(*) FROM search_stemmed s JOIN search_documents d "
                    "ON d.id = s.rowid WHERE search_stemmed MATCH :m AND d.project_id = :p"
                ),
                {"m": parsed.fts5(), "p": project_id},
            )
        counts.append(int(count or 0))
    db.session.rollback()
    return counts


def summary(counts: list[int]) -> str:
    ordered = sorted(counts)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]  # noqa: E731
    return f"matches per query: p50 {pick(50):,}, p95 {pick(95):,}, max {ordered[-1]:,}"


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200, help="per query set")
    parser.add_argument("--database-url", default=None, help=f"default: sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--seed", type=int, default=20260314)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    vocabulary = Vocabulary.build(rng)
    # The large project's text is drawn first (lazily), so phrase queries can quote it.
    large_texts = bodies(vocabulary, random.Random(args.seed + 2), args.comments)
    head = list(itertools.islice(large_texts, min(args.comments, 5000)))
    query_rng = random.Random(args.seed + 1)
    query_sets = {
        "two-word": two_word_queries(vocabulary, query_rng, args.queries),
        "phrase": phrase_queries(head, query_rng, args.queries),
    }
    url = fresh_database(args.database_url)
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        with app.app_context():
            upgrade()
            engine_name = db.engine.dialect.name
            version = db.session.scalar(
                text(
                    "SELECT version()" if engine_name == "postgresql" else "SELECT sqlite_version()"
                )
            )
            print(
                f"engine: {engine_name} ({str(version).split(' on ')[0]}), "
                f"database: {db.engine.url.render_as_string()}"
            )
            people = make_people(1000)

            base = make_project("baseline", people[0], args.baseline, rng)
            base_texts = bodies(vocabulary, random.Random(args.seed + 3), args.baseline)
            load_comments(base, people, base_texts, args.baseline, rng)
            maintain()
            with app.test_request_context():
                figures = [
                    measure(f"{name} / baseline ({args.baseline:,})", "baseline", texts)
                    for name, texts in query_sets.items()
                ]

            large = make_project("large", people[0], args.comments, rng)
            print(f"loading {args.comments:,} comments ...", file=sys.stderr)
            texts = itertools.chain(head, large_texts)
            seconds = load_comments(large, people, texts, args.comments, rng)
            started = time.perf_counter()
            maintain()
            upkeep = time.perf_counter() - started
            documents = search.count_documents()
            print(
                f"loaded {args.comments:,} comments in {seconds:,.0f} s "
                f"({args.comments / seconds:,.0f}/s, triggers indexing each row); "
                f"maintenance (FTS5 optimize + ANALYZE / VACUUM ANALYZE) {upkeep:,.0f} s; "
                f"{documents:,} documents indexed"
            )
            for name, texts in query_sets.items():
                print(f"{name}: large project {summary(match_counts('large', texts))}")
            with app.test_request_context():
                large_figures = [
                    measure(f"{name} / large ({args.comments:,})", "large", texts)
                    for name, texts in query_sets.items()
                ]
                shared = [
                    measure(f"{name} / baseline, shared index", "baseline", texts)
                    for name, texts in query_sets.items()
                ]

    print()
    print(HEADER)
    for row in (*figures, *large_figures, *shared):
        print(row.row())
    print()
    for small, big in zip(figures, large_figures, strict=True):
        name = small.label.split(" / ")[0]
        print(
            f"{name}: large / baseline  p50 x{big.percentile(50) / small.percentile(50):.1f}, "
            f"p95 x{big.percentile(95) / small.percentile(95):.1f}, "
            f"p99 x{big.percentile(99) / small.percentile(99):.1f}"
        )
    target = large_figures[0].percentile(95)
    verdict = "met" if target < 50 else "NOT met"
    print(f"target: two-word p95 < 50 ms at {args.comments:,} comments: {target:.1f} ms, {verdict}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
