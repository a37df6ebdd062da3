"""Tag pages and an item's tags at scale: the tag data of a bulk-loaded project, and the timing of
what the tag page and the item page read. Run through ``bench/search_bench.py`` (``--only tags``
for this part alone); this module holds the tag part.

Tags are not kept by database triggers but by ``talk.services.tags.sync_comment``, so after the
comments are bulk-loaded, :func:`load_tags` writes what ``sync_comment`` would have written for
each of them, in bulk: one ``tag_uses`` row per hashtag of a comment on a board where hashtags
count, the aggregates (``item_tags``, ``discussion_tags``, ``tag_users``, ``tag_daily``) computed
from those uses, and each tag's counters (uses, items, discussions, people; first and last use)
equal to its aggregates. Curation columns keep their defaults (no description, revision 0, not
curated, no synonyms). :func:`check_tags` then recounts every aggregate and counter from
``tag_uses`` in SQL, and the hashtags of a sample of comments are checked against what the
site's own parser finds in their bodies.

What is timed, per project, for three kinds of tag — the 10 most used tags ("popular"), those at
positions 91–100 by use ("mid"), and 10 of the least used ("rare"):

- ``get_tag``, ``tag_items`` (the first page of 25, and the page starting halfway down the tag's
  items, through its cursor), ``tag_discussions`` (first page of 10, anonymous viewer) and
  ``related_tags`` (12) — service calls, each in a fresh session;
- the whole tag page, ``GET /projects/<slug>/tags/<name>`` (first page and the halfway page)
  through Flask's test client, templates included;

and for items, the 10 with the most tags ("many") and 10 with the fewest ("few"):
``curation.item_tag_entries(item)`` and the whole item page. Requests go round the 10 cases.

The report gives p50/p95/p99 on the baseline project timed alone (before the large load), on
the large project, and on the baseline project again ("shared"), each query timed on the large
and the shared baseline one right after the other; then large / baseline and large / shared.
On a busy machine the second ratio is the steadier one. A tag's row counts differ between the
projects (a "mid" tag of the baseline is on one item, of the large project on hundreds), so a
ratio above 1 may be the cost of more rows on the page rather than of a larger table: the rows
column says how many each side found. ``--explain`` prints, for the large project, the plan of
every SELECT a tag page and an item page run (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_login import AnonymousUserMixin
from scale import Figures, Tagged, bulk_insert, cycle, timed
from sqlalchemy import event, func, select, text

from talk import markdown
from talk.extensions import db
from talk.models import Comment, Discussion, Item, ItemTag, Project, Tag
from talk.services import curation, projects, tags

CASES = 10
MID_POSITION = 90  # the "mid" tags are those at positions 91 to 100 by use
RELATED = 12  # as the tag page asks
TAG_DISCUSSIONS = 10
PARSE_SAMPLE = 2000


# --------------------------------------------------------------------------- loading


@dataclass
class TagLoad:
    seconds: float
    tags: int
    uses: int
    item_tags: int
    discussion_tags: int
    tag_users: int
    tag_days: int

    def describe(self) -> str:
        return (
            f"{self.tags:,} tags, {self.uses:,} uses, {self.item_tags:,} item tags, "
            f"{self.discussion_tags:,} discussion tags, {self.tag_users:,} tag users, "
            f"{self.tag_days:,} tag days in {self.seconds:,.0f} s"
        )


def load_tags(project: Project, tagged: Sequence[Tagged]) -> TagLoad:
    """Write the tag rows ``sync_comment`` would have written for the ``tagged`` comments."""
    started = time.perf_counter()
    counting = {board.id: tags.counts_tags(board) for board in project.boards}
    about = {  # discussions where hashtags count → their item (None on a general board)
        discussion_id: item_id
        for discussion_id, item_id, board_id in db.session.execute(
            select(Discussion.id, Discussion.item_id, Discussion.board_id).where(
                Discussion.project_id == project.id
            )
        )
        if counting[board_id]
    }
    project_id = project.id
    _check_parsed(tagged[:PARSE_SAMPLE])  # ends the session's transaction, as the writes need
    uses: list[tuple[str, int, int, int | None, int, datetime]] = []
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    on_items: dict[tuple[int, str], list[Any]] = {}
    on_discussions: dict[tuple[int, str], list[Any]] = {}
    users: Counter[tuple[str, int]] = Counter()
    days: Counter[tuple[str, date]] = Counter()
    for comment in tagged:
        if comment.discussion_id not in about:
            continue
        item_id = about[comment.discussion_id]
        moment = comment.created_at
        for name in comment.hashtags:
            uses.append(
                (
                    name,
                    comment.comment_id,
                    comment.discussion_id,
                    item_id,
                    comment.author_id,
                    moment,
                )
            )
            first.setdefault(name, moment)
            last[name] = moment
            if item_id is not None:
                on_items.setdefault((item_id, name), [0, moment])[0] += 1
            on_discussions.setdefault((comment.discussion_id, name), [0, moment])[0] += 1
            users[name, comment.author_id] += 1
            days[name, moment.date()] += 1
    use_count = Counter(use[0] for use in uses)
    item_count = Counter(name for _, name in on_items)
    discussion_count = Counter(name for _, name in on_discussions)
    user_count = Counter(name for name, _ in users)
    names = sorted(first, key=lambda name: (first[name], name))  # created by their first use
    for name in names:
        assert tags.normalise(name) == name, name
    bulk_insert(
        "tags",
        (
            "project_id",
            "name",
            "created_at",
            "last_used_at",
            "use_count",
            "item_count",
            "discussion_count",
            "user_count",
            "description",
            "revision",
        ),
        (
            (
                project_id,
                name,
                first[name],
                last[name],
                use_count[name],
                item_count[name],
                discussion_count[name],
                user_count[name],
                "",
                0,
            )
            for name in names
        ),
        total=len(names),
    )
    ids = dict(
        db.session.execute(select(Tag.name, Tag.id).where(Tag.project_id == project_id)).all()
    )
    db.session.rollback()
    uses.sort(key=lambda use: (use[1], ids[use[0]]))  # by comment, then tag (sync_comment's order)
    tables: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = [
        (
            "tag_uses",
            ("tag_id", "comment_id", "discussion_id", "item_id", "user_id", "created_at"),
            [(ids[name], *rest) for name, *rest in uses],
        ),
        (
            "item_tags",
            ("item_id", "tag_id", "use_count", "first_used_at"),
            [(item_id, ids[name], n, at) for (item_id, name), (n, at) in on_items.items()],
        ),
        (
            "discussion_tags",
            ("discussion_id", "tag_id", "use_count", "first_used_at"),
            [(d_id, ids[name], n, at) for (d_id, name), (n, at) in on_discussions.items()],
        ),
        (
            "tag_users",
            ("tag_id", "user_id", "use_count"),
            [(ids[name], user_id, n) for (name, user_id), n in users.items()],
        ),
        (
            "tag_daily",
            ("tag_id", "day", "project_id", "uses"),
            [(ids[name], day, project_id, n) for (name, day), n in days.items()],
        ),
    ]
    for table, columns, rows in tables:
        bulk_insert(table, columns, rows, total=len(rows))
    return TagLoad(
        time.perf_counter() - started,
        len(names),
        len(uses),
        len(on_items),
        len(on_discussions),
        len(users),
        len(days),
    )


def _check_parsed(sample: Sequence[Tagged]) -> None:
    """The generated hashtags are exactly those the site's parser finds in the bodies."""
    bodies = dict(
        db.session.execute(
            select(Comment.id, Comment.body).where(
                Comment.id.in_([comment.comment_id for comment in sample])
            )
        ).all()
    )
    db.session.rollback()
    for comment in sample:
        found = markdown.parse(bodies[comment.comment_id]).hashtags
        if sorted(found) != sorted(comment.hashtags):
            raise SystemExit(f"comment {comment.comment_id}: parser finds {found}")


def _day(column: str) -> str:
    if db.engine.dialect.name == "postgresql":
        return f"({column} AT TIME ZONE 'UTC')::date"
    return f"date({column})"


CHECKS = {
    "tag counters": """
        SELECT count(*) FROM tags t WHERE
          t.use_count <> (SELECT count(*) FROM tag_uses u WHERE u.tag_id = t.id)
          OR t.item_count <> (SELECT count(*) FROM item_tags x WHERE x.tag_id = t.id)
          OR t.discussion_count <> (SELECT count(*) FROM discussion_tags x WHERE x.tag_id = t.id)
          OR t.user_count <> (SELECT count(*) FROM tag_users x WHERE x.tag_id = t.id)
          OR t.use_count <> (SELECT coalesce(sum(x.uses), 0) FROM tag_daily x WHERE x.tag_id = t.id)
          OR t.created_at <> (SELECT min(u.created_at) FROM tag_uses u WHERE u.tag_id = t.id)
          OR t.last_used_at <> (SELECT max(u.created_at) FROM tag_uses u WHERE u.tag_id = t.id)
          OR t.canonical_id IS NOT NULL OR t.curated_at IS NOT NULL OR t.revision <> 0
    """,
    "item_tags": (
        "SELECT item_id, tag_id, count(*), min(created_at) FROM tag_uses "
        "WHERE item_id IS NOT NULL GROUP BY item_id, tag_id",
        "SELECT item_id, tag_id, use_count, first_used_at FROM item_tags",
    ),
    "discussion_tags": (
        "SELECT discussion_id, tag_id, count(*), min(created_at) FROM tag_uses "
        "GROUP BY discussion_id, tag_id",
        "SELECT discussion_id, tag_id, use_count, first_used_at FROM discussion_tags",
    ),
    "tag_users": (
        "SELECT tag_id, user_id, count(*) FROM tag_uses GROUP BY tag_id, user_id",
        "SELECT tag_id, user_id, use_count FROM tag_users",
    ),
    "tag_daily": (
        "SELECT u.tag_id, {day}, t.project_id, count(*) FROM tag_uses u "
        "JOIN tags t ON t.id = u.tag_id GROUP BY u.tag_id, {day}, t.project_id",
        "SELECT tag_id, day, project_id, uses FROM tag_daily",
    ),
}


def check_tags() -> None:
    """Recount every aggregate and counter from ``tag_uses``; stop the run if one differs."""
    wrong = {}
    with db.engine.connect() as connection:
        for name, check in CHECKS.items():
            if isinstance(check, str):
                count = connection.scalar(text(check))
            else:
                made, stored = (q.format(day=_day("u.created_at")) for q in check)
                count = connection.scalar(
                    text(f"SELECT count(*) FROM ({made} EXCEPT {stored}) a")
                ) + connection.scalar(text(f"SELECT count(*) FROM ({stored} EXCEPT {made}) b"))
            if count:
                wrong[name] = count
    if wrong:
        raise SystemExit(f"tag tables disagree with tag_uses: {wrong}")
    print(f"tag tables checked against tag_uses: {', '.join(CHECKS)} all agree")


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class TagCase:
    id: int
    name: str
    uses: int
    items: int
    halfway: str | None  # cursor of the page starting halfway down the tag's items


@dataclass(frozen=True)
class ItemCase:
    id: int
    external_id: str
    tags: int


@dataclass
class Cases:
    slug: str
    tags: dict[str, list[TagCase]]
    items: dict[str, list[ItemCase]]

    def describe(self) -> Iterator[str]:
        for kind, found in self.tags.items():
            yield (
                f"  {kind:<8} tags: uses {_span(c.uses for c in found)}, "
                f"items {_span(c.items for c in found)}"
            )
        for kind, items in self.items.items():
            yield f"  {kind:<8} items: tags {_span(c.tags for c in items)}"


def _span(values: Any) -> str:
    values = list(values)
    return f"{min(values):,}–{max(values):,}" if values else "none"


def pick_cases(app: Flask, slug: str) -> Cases:
    """The project's tags and items to time (see the module docstring)."""
    with app.app_context():
        project = projects.get_project(slug)
        ordered = db.session.execute(
            select(Tag.id, Tag.name, Tag.use_count, Tag.item_count)
            .where(Tag.project_id == project.id, Tag.use_count > 0)
            .order_by(Tag.use_count.desc(), Tag.id)
        ).all()
        mid = min(MID_POSITION, max(0, len(ordered) // 2 - CASES // 2))
        kinds = {
            "popular": ordered[:CASES],
            "mid": ordered[mid : mid + CASES],
            "rare": ordered[-CASES:],
        }
        found = {}
        for kind, rows in kinds.items():
            found[kind] = []
            for row in rows:
                halfway = None
                if row.item_count >= 2:
                    tag = db.session.get(Tag, row.id)
                    assert tag is not None
                    halfway = tags.tag_items(tag, cursor=None, limit=row.item_count // 2)
                    halfway = halfway.next_cursor
                found[kind].append(
                    TagCase(row.id, row.name, row.use_count, row.item_count, halfway)
                )
        counted = (
            select(Item.id, Item.external_id, func.count().label("tags"))
            .join(ItemTag, ItemTag.item_id == Item.id)
            .where(Item.project_id == project.id)
            .group_by(Item.id, Item.external_id)
        )
        items = {
            kind: [
                ItemCase(*row)
                for row in db.session.execute(counted.order_by(*order, Item.id).limit(CASES))
            ]
            for kind, order in (
                ("many", [func.count().desc()]),
                ("few", [func.count()]),
            )
        }
        db.session.rollback()
    return Cases(slug, found, items)


# --------------------------------------------------------------------------- measuring


Timings = dict[str, Figures | None]


@dataclass(frozen=True)
class Query:
    label: str  # e.g. "tag_items p1 · popular"
    run: Callable[[Any], int]
    prepare: Callable[[Any], Any]
    cases: list[Any]
    page: bool  # a whole page through the test client (else a service call in a request)


def queries(app: Flask, cases: Cases) -> list[Query]:
    slug = cases.slug
    client = app.test_client()
    anonymous = AnonymousUserMixin()

    def get(url: str) -> int:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.data) // 1024

    def tag(case: TagCase) -> Tag:
        found = db.session.get(Tag, case.id)
        assert found is not None
        return found

    def item(case: ItemCase) -> Item:
        found = db.session.get(Item, case.id)
        assert found is not None
        return found

    def project(case: TagCase) -> tuple[Project, str]:
        return projects.get_project(slug), case.name

    found = []
    for kind, tag_cases in cases.tags.items():
        later = [case for case in tag_cases if case.halfway]
        found += [
            Query(
                f"get_tag · {kind}", lambda a: len([tags.get_tag(*a)]), project, tag_cases, False
            ),
            Query(
                f"tag_items p1 · {kind}",
                lambda t: len(tags.tag_items(t, cursor=None, limit=25).rows),
                tag,
                tag_cases,
                False,
            ),
            Query(
                f"tag_items halfway · {kind}",
                lambda a: len(tags.tag_items(a[0], cursor=a[1], limit=25).rows),
                lambda c: (tag(c), c.halfway),
                later,
                False,
            ),
            Query(
                f"tag_discussions p1 · {kind}",
                lambda t: len(
                    tags.tag_discussions(anonymous, t, cursor=None, limit=TAG_DISCUSSIONS).rows
                ),
                tag,
                tag_cases,
                False,
            ),
            Query(
                f"related_tags · {kind}",
                lambda t: len(tags.related_tags(t, limit=RELATED)),
                tag,
                tag_cases,
                False,
            ),
            Query(
                f"GET tag page · {kind}",
                get,
                lambda c: f"/projects/{slug}/tags/{c.name}",
                tag_cases,
                True,
            ),
            Query(
                f"GET tag page halfway · {kind}",
                get,
                lambda c: f"/projects/{slug}/tags/{c.name}?cursor={c.halfway}",
                later,
                True,
            ),
        ]
    for kind, item_cases in cases.items.items():
        found += [
            Query(
                f"item_tag_entries · {kind}",
                lambda i: len(curation.item_tag_entries(i)),
                item,
                item_cases,
                False,
            ),
            Query(
                f"GET item page · {kind}",
                get,
                lambda c: f"/projects/{slug}/items/{c.external_id}",
                item_cases,
                True,
            ),
        ]
    return found


def measure(app: Flask, projects: Sequence[Cases], requests: int) -> list[Timings]:
    """Each query's figures over ``requests`` requests going round its cases (None: no case),
    for each project in turn before the next query, so that they are timed close together."""
    timings: list[Timings] = [{} for _ in projects]
    for same in zip(*(queries(app, cases) for cases in projects), strict=True):
        for query, figures in zip(same, timings, strict=True):
            if not query.cases:
                figures[query.label] = None
                continue
            spread = cycle(query.cases, requests)
            if query.page:
                figures[query.label] = timed(query.label, spread, query.run, prepare=query.prepare)
                continue
            with app.test_request_context():
                figures[query.label] = timed(
                    query.label, spread, query.run, prepare=query.prepare, after=db.session.remove
                )
    return timings


def report(baseline: Timings, large: Timings, shared: Timings, sizes: tuple[int, int]) -> None:
    """One line per query: p50/p95/p99 on the baseline project (timed alone, before the large
    load), on the large one, and on the baseline again (timed beside the large one, tables
    shared), then large / baseline and large / shared."""
    print()
    print(
        f"tags: baseline ({sizes[0]:,} comments) vs large ({sizes[1]:,}); 'shared' is the "
        "baseline project timed again beside the large one, after its load. "
        "Times in ms; rows = rows found (service) or KiB (page), baseline/large."
    )
    heads = ("base p50", "p95", "p99", "large p50", "p95", "p99", "shared p50", "p95", "p99")
    ratios = ("L/B p50", "p95", "p99", "L/S p50", "p95", "p99")
    print(
        f"{'query · kind':<31} {'n':>3} {'rows':>7} "
        + " ".join(f"{h:>{max(len(h), 5)}}" for h in heads)
        + " "
        + " ".join(f"{h:>{max(len(h), 4)}}" for h in ratios)
    )
    for label, small in baseline.items():
        big, again = large[label], shared[label]
        if small is None or big is None or again is None:
            print(f"{label:<31} n/a: no tag with a second page")
            continue
        b, g, s = ([f.percentile(p) for p in (50, 95, 99)] for f in (small, big, again))
        rows = f"{_median(small.results)}/{_median(big.results)}"
        times = " ".join(
            f"{ms:>{max(len(h), 5)}.1f}" for ms, h in zip((*b, *g, *s), heads, strict=True)
        )
        shares = [x / y for x, y in zip(g, b, strict=True)] + [
            x / y for x, y in zip(g, s, strict=True)
        ]
        print(
            f"{label:<31} {len(big.latencies):>3} {rows:>7} {times} "
            + " ".join(f"{r:>{max(len(h), 4)}.1f}" for r, h in zip(shares, ratios, strict=True))
        )


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


# --------------------------------------------------------------------------- query plans


def explain(app: Flask, cases: Cases) -> None:
    """Print the plan of every SELECT that the tag page of the first tag of each kind (and the
    halfway page of the first popular one) and the item page of the first item of each kind
    run, as the engine executes them."""
    client = app.test_client()
    pages = f"/projects/{cases.slug}"
    urls = [f"{pages}/tags/{found[0].name}" for found in cases.tags.values() if found]
    popular = cases.tags["popular"][0]
    if popular.halfway:
        urls.append(f"{pages}/tags/{popular.name}?cursor={popular.halfway}")
    urls += [f"{pages}/items/{found[0].external_id}" for found in cases.items.values() if found]
    with app.app_context():
        engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    for url in urls:
        seen: list[tuple[str, Any]] = []

        def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            seen.append((statement, parameters))  # noqa: B023 (removed before the loop goes on)

        event.listen(engine, "before_cursor_execute", remember)
        try:
            client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        print(f"\n=== GET {url}: {len(seen)} statements")
        with engine.connect() as connection:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                print(f"\n--- {' '.join(statement.split())[:400]}\n    {parameters!r:.200}")
                plan = connection.exec_driver_sql(prefix + statement, parameters).all()
                for row in plan:
                    print("    " + (row[0] if postgres else f"{row[1]:>3} {row[-1]}"))
