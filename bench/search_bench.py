"""Search, tag pages and an item's tags at scale: a project of N comments (default 1,000,000)
against a 1,000-comment baseline, on SQLite (FTS5) or PostgreSQL (tsvector + GIN), in one run.

    .venv/bin/python bench/search_bench.py                       # SQLite file under /tmp
    .venv/bin/python bench/search_bench.py --comments 100000
    .venv/bin/python bench/search_bench.py --database-url postgresql://postgres@127.0.0.1/talk_bench
    .venv/bin/python bench/search_bench.py --only tags           # or --only search
    .venv/bin/python bench/search_bench.py --only tags --explain # and the tag pages' query plans

What it does:

1. Empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema is
   dropped, so point it at a database of its own) and migrates it to the head revision.
2. Builds a baseline project of ``--baseline`` comments and times the queries on it.
3. Bulk-loads the large project: comments written with ``executemany`` in big batches on SQLite
   and ``COPY`` on PostgreSQL, straight into ``comments`` — the migration's triggers index each
   row exactly as they index a comment posted through the site. Then its tags, which no trigger
   keeps: the uses of the comments' hashtags and every aggregate and counter
   ``talk.services.tag_sync.sync_comment`` would have written, in bulk the same way, and checked by
   recounting them in SQL (see ``bench/tag_bench.py``).
4. Times the same queries on the large project, and again on the baseline project (now sharing
   the index and the tag tables with a million other comments).

Two parts are timed; ``--only search`` or ``--only tags`` times one (the data loaded is the same
either way, so figures of separate runs compare):

- **search** — two-word queries pair content words of rank 10–2,000 drawn by the vocabulary's
  distribution (what people search for is rarer than "the" but not exotic), and phrase queries are
  two consecutive content words taken from generated comments. Latencies are of the whole search
  service call (resolving the project, the ranked page of 25 with snippets, reading the rows).
- **tags** — the tag page's service calls and the whole page for popular, mid and rare tags, and
  an item's tags and the whole item page for items with many and few tags (``bench/tag_bench.py``
  says which). Printed with the ratio large / baseline of p50, p95 and p99.

Every query set is run once to warm up, then timed over ``--queries`` requests. The text and tags
are described in ``bench/corpus.py``, the projects in ``bench/scale.py``. Benchmarks print
figures; no test asserts timings.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence

import scale
import tag_bench
import tag_load
from corpus import FUNCTION_WORDS, Draft, Hashtags, Vocabulary, drafts
from flask import Flask
from flask_login import AnonymousUserMixin
from flask_migrate import upgrade
from scale import HEADER, Figures, load_comments, maintain, make_people, make_project, timed
from sqlalchemy import select, text

from talk import search
from talk.extensions import db
from talk.models import Project

QUERY_RANKS = (10, 2000)
PAGE = 25
PARTS = ("search", "tags")


# --------------------------------------------------------------------------- queries


def query_word(vocabulary: Vocabulary, rng: random.Random) -> str:
    """A content word of rank 10–2,000 (among content words), drawn by frequency."""
    low, high = QUERY_RANKS
    offset = len(FUNCTION_WORDS)
    base = vocabulary.cumulative[offset + low - 1]
    top = vocabulary.cumulative[offset + high - 1]
    index = bisect.bisect_left(vocabulary.cumulative, rng.uniform(base, top))
    return vocabulary.words[index]


def two_word_queries(vocabulary: Vocabulary, rng: random.Random, count: int) -> list[str]:
    found = []
    while len(found) < count:
        a, b = query_word(vocabulary, rng), query_word(vocabulary, rng)
        if a != b:
            found.append(f"{a} {b}")
    return found


def phrase_queries(bodies: Sequence[str], rng: random.Random, count: int) -> list[str]:
    """Two consecutive content words quoted from comments of the large project."""
    function = set(FUNCTION_WORDS)

    def content(word: str) -> bool:
        return word not in function and not word.startswith("#")

    found: list[str] = []
    while len(found) < count:
        words = rng.choice(bodies).rstrip(".").lower().split()
        pairs = [(a, b) for a, b in itertools.pairwise(words) if content(a) and content(b)]
        if pairs:
            a, b = rng.choice(pairs)
            found.append(f'"{a} {b}"')
    return found


# --------------------------------------------------------------------------- measuring


def measure(app: Flask, label: str, slug: str, texts: list[str]) -> Figures:
    """Time each query as a page view would run it (inside a GET request's context)."""
    viewer = AnonymousUserMixin()

    def run(q: str) -> int:
        found = search.search(
            viewer, search.SearchRequest(q=q, project=slug), cursor=None, limit=PAGE
        )
        return len(found.rows)

    with app.test_request_context():
        return timed(label, texts, run, prepare=lambda q: q, after=db.session.rollback)


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


def ratio_line(name: str, small: Figures, big: Figures) -> str:
    return (
        f"{name}: large / baseline  p50 x{big.percentile(50) / small.percentile(50):.1f}, "
        f"p95 x{big.percentile(95) / small.percentile(95):.1f}, "
        f"p99 x{big.percentile(99) / small.percentile(99):.1f}"
    )


def search_report(
    baseline: list[Figures], large: list[Figures], shared: list[Figures], comments: int
) -> None:
    print()
    print(HEADER)
    for row in (*baseline, *large, *shared):
        print(row.row())
    print()
    for small, big in zip(baseline, large, strict=True):
        print(ratio_line(small.label.split(" / ")[0], small, big))
    target = large[0].percentile(95)
    verdict = "met" if target < 50 else "NOT met"
    print(f"target: two-word p95 < 50 ms at {comments:,} comments: {target:.1f} ms, {verdict}")


# --------------------------------------------------------------------------- main


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200, help="requests per query set")
    parser.add_argument(
        "--database-url", default=None, help=f"default: sqlite:///{scale.DEFAULT_SQLITE}"
    )
    parser.add_argument("--seed", type=int, default=20260314)
    parser.add_argument("--only", choices=PARTS, help="time one part (the same data is loaded)")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plan of every query of the large project's tag and item pages",
    )
    return parser.parse_args(argv)


def build(
    slug: str, people: list[int], texts: Iterator[Draft], count: int, rng: random.Random
) -> str:
    """A project of ``count`` comments with their tags, maintained; says what it took."""
    project = make_project(slug, people[0], count, rng)
    loaded = load_comments(project, people, texts, count, rng)
    tagged = tag_load.load_tags(project, loaded.tagged)
    started = time.perf_counter()
    maintain()
    upkeep = time.perf_counter() - started
    return (
        f"loaded {count:,} comments in {loaded.seconds:,.0f} s "
        f"({count / loaded.seconds:,.0f}/s, triggers indexing each row); "
        f"tags: {tagged.describe()}; "
        f"maintenance (FTS5 optimize + ANALYZE / VACUUM ANALYZE) {upkeep:,.0f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(argv)
    parts = (args.only,) if args.only else PARTS
    rng = random.Random(args.seed)
    vocabulary = Vocabulary.build(rng)
    hashtags = Hashtags.build(random.Random(args.seed + 4))

    def texts(count: int, text_seed: int, tag_seed: int) -> Iterator[Draft]:
        return drafts(
            vocabulary, hashtags, random.Random(text_seed), random.Random(tag_seed), count
        )

    # The large project's text is drawn first (lazily), so phrase queries can quote it.
    large_texts = texts(args.comments, args.seed + 2, args.seed + 5)
    head = list(itertools.islice(large_texts, min(args.comments, 5000)))
    query_rng = random.Random(args.seed + 1)
    query_sets = {
        "two-word": two_word_queries(vocabulary, query_rng, args.queries),
        "phrase": phrase_queries([draft.body for draft in head], query_rng, args.queries),
    }
    url = scale.fresh_database(args.database_url)
    base_label = f"baseline ({args.baseline:,})"
    with tempfile.TemporaryDirectory() as instance:
        app = scale.make_app(url, instance)
        with app.app_context():
            upgrade()
            print(f"engine: {scale.engine_description()}")
            people = make_people(1000)
            baseline_texts = texts(args.baseline, args.seed + 3, args.seed + 6)
            build("baseline", people, baseline_texts, args.baseline, rng)
        if "search" in parts:
            searched = [
                measure(app, f"{name} / {base_label}", "baseline", queries)
                for name, queries in query_sets.items()
            ]
        if "tags" in parts:
            base_cases = tag_bench.pick_cases(app, "baseline")
            [base_tags] = tag_bench.measure(app, [base_cases], args.queries)

        with app.app_context():
            print(f"loading {args.comments:,} comments ...", file=sys.stderr)
            large_drafts = itertools.chain(head, large_texts)
            done = build("large", people, large_drafts, args.comments, rng)
            print(f"{done}; {search.count_documents():,} documents indexed")
            tag_load.check_tags()
            if "search" in parts:
                for name, queries in query_sets.items():
                    print(f"{name}: large project {summary(match_counts('large', queries))}")
        if "search" in parts:
            searched_large = [
                measure(app, f"{name} / large ({args.comments:,})", "large", queries)
                for name, queries in query_sets.items()
            ]
            searched_shared = [
                measure(app, f"{name} / baseline, shared index", "baseline", queries)
                for name, queries in query_sets.items()
            ]
            search_report(searched, searched_large, searched_shared, args.comments)
        if "tags" in parts:
            large_cases = tag_bench.pick_cases(app, "large")
            for cases, size in ((base_cases, args.baseline), (large_cases, args.comments)):
                print(f"\ntags and items timed, {cases.slug} ({size:,} comments):")
                print("\n".join(cases.describe()))
            large_tags, shared_tags = tag_bench.measure(
                app, [large_cases, base_cases], args.queries
            )
            tag_bench.report(base_tags, large_tags, shared_tags, (args.baseline, args.comments))
            if args.explain:
                tag_bench.explain(app, large_cases)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
