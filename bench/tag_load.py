"""The tag data of a bulk-loaded project, and the check that it is what the site would write.

Tags are not kept by database triggers but by ``talk.services.tag_sync.sync_comment``, so after the
comments are bulk-loaded, :func:`load_tags` writes what ``sync_comment`` would have written for
each of them, in bulk: one ``tag_uses`` row per hashtag of a comment on a board where hashtags
count, the aggregates (``item_tags``, ``discussion_tags``, ``tag_users``, ``tag_daily``) computed
from those uses, and each tag's counters (uses, items, discussions, people; first and last use)
equal to its aggregates. Curation columns keep their defaults (no description, revision 0, not
curated, no synonyms). :func:`check_tags` then recounts every aggregate and counter from
``tag_uses`` in SQL, and the hashtags of a sample of comments are checked against what the
site's own parser finds in their bodies.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scale import Tagged, bulk_insert
from sqlalchemy import select, text

from talk import markdown
from talk.extensions import db
from talk.models import Comment, Discussion, Project, Tag
from talk.services import tags

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
