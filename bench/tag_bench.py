"""Tag pages and an item's tags at scale: the tag data of a bulk-loaded project, and the timing of
what the tag page and the item page read. Run through ``bench/search_bench.py`` (``--only tags``
for this part alone); this module holds the tag part.

The tag rows themselves are loaded and checked by :mod:`tag_load`.

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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_login import AnonymousUserMixin
from scale import Figures, cycle, timed
from sqlalchemy import event, func, select

from talk.extensions import db
from talk.models import Item, ItemTag, Project, Tag
from talk.services import curation, projects, tags

CASES = 10
MID_POSITION = 90  # the "mid" tags are those at positions 91 to 100 by use
RELATED = 12  # as the tag page asks
TAG_DISCUSSIONS = 10


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
