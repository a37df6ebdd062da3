"""The data generator's bulk writers: people, items, discussions, and what comments write
(tags and their aggregates, mentions, follows), with every counter computed from the plan
rather than counted up row by row."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from gen_db import insert_rows, next_id
from gen_plan import Plan, Rows, Sizes, moment
from gen_text import Calibration
from sqlalchemy import update

from talk.extensions import db
from talk.models import Board, Project
from talk.models.accounts import new_session_token
from talk.services import accounts
from talk.services.tags import fold

PASSWORD = "bench-password-2026"  # every generated account's (one hash, computed once)


def write_people(sizes: Sizes, p: Plan, first_id: int) -> list[int]:
    counts = Counter(p.c_author)
    password_hash = accounts.hash_password(PASSWORD)
    joined = moment(-86400.0 * 30)

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(sizes.users):
            name = f"volunteer{i}"
            yield (
                first_id + i, name, name, accounts.username_skeleton(name), f"Volunteer {i}",
                f"{name}@example.org", f"{name}@example.org", password_hash, False, joined,
                counts.get(i, 0), new_session_token(), joined, "UTC",
            )  # fmt: skip

    columns = (
        "id", "username", "username_key", "username_skeleton", "display_name", "email",
        "email_key", "password_hash", "is_site_admin", "created_at", "comment_count",
        "session_token", "email_verified_at", "time_zone",
    )  # fmt: skip
    insert_rows("users", columns, rows(), total=sizes.users)
    return [first_id + i for i in range(sizes.users)]


def write_items(
    sizes: Sizes, p: Plan, calibration: Calibration, project_id: int
) -> tuple[list[int], list[str]]:
    discussions = Counter(p.d_item)
    comments: Counter[int] = Counter()
    last: dict[int, float] = {}
    for i, d in enumerate(p.c_disc):
        item = p.d_item[d]
        if item >= 0:
            comments[item] += 1
            last[item] = p.c_time[i]
    first_id = next_id("items")
    external_ids = [str(80_000_000 + i) for i in range(sizes.items)]
    real = calibration.items

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(sizes.items):
            source = real[i % len(real)]
            metadata = {
                k: source[k] for k in ("catalogue_ref", "date", "page", "workflow") if source[k]
            }
            yield (
                first_id + i, project_id, external_ids[i], source["title"], "", "", "", "",
                source["catalogue_url"], metadata, moment(-86400.0 * 60), discussions.get(i, 0),
                comments.get(i, 0), moment(last[i]) if i in last else None,
            )  # fmt: skip

    columns = (
        "id", "project_id", "external_id", "title", "image_url", "thumbnail_url",
        "iiif_manifest_uri", "iiif_canvas_uri", "source_url", "metadata", "created_at",
        "discussion_count", "comment_count", "last_activity_at",
    )  # fmt: skip
    insert_rows("items", columns, rows(), total=sizes.items)
    return [first_id + i for i in range(sizes.items)], external_ids


def write_discussions(
    p: Plan, project_id: int, boards: list[int], items: list[int], users: list[int]
) -> list[int]:
    count = len(p.d_board)
    comments = Counter(p.c_disc)
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for i, d in enumerate(p.c_disc):
        first.setdefault(d, p.c_time[i])
        last[d] = p.c_time[i]
    first_id = next_id("discussions")

    def rows() -> Iterator[tuple[Any, ...]]:
        for d in range(count):
            item = items[p.d_item[d]] if p.d_item[d] >= 0 else None
            yield (
                first_id + d, project_id, boards[p.d_board[d]], item, users[p.d_author[d]],
                p.d_title[d], moment(first[d]), comments[d], moment(last[d]),
            )  # fmt: skip

    columns = (
        "id", "project_id", "board_id", "item_id", "author_id", "title", "created_at",
        "comment_count", "last_comment_at",
    )  # fmt: skip
    insert_rows("discussions", columns, rows(), total=count)
    return [first_id + d for d in range(count)]


def write_counters(project_id: int, boards: list[int], p: Plan, items: int) -> None:
    """The project's and boards' counters (the rest were written with their rows)."""
    comments: Counter[int] = Counter()
    last: dict[int, float] = {}
    for i, d in enumerate(p.c_disc):
        comments[p.d_board[d]] += 1
        last[p.d_board[d]] = p.c_time[i]
    discussions = Counter(p.d_board)
    for index, board_id in enumerate(boards):
        db.session.execute(
            update(Board)
            .where(Board.id == board_id)
            .values(
                comment_count=comments[index],
                discussion_count=discussions[index],
                last_activity_at=moment(last[index]) if index in last else None,
            )
        )
    db.session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(item_count=items, discussion_count=len(p.d_board), comment_count=len(p.c_disc))
    )
    db.session.commit()


def tag_by_uses(derived: Any) -> list[str]:
    uses: Counter[int] = Counter(row[0] for row in derived.tag_uses)
    by_id = {tag_id: name for name, tag_id in derived.tags.items()}
    return [by_id[tag_id] for tag_id, _ in uses.most_common()] or ["none"]


def write_links(
    rows: Rows,
    p: Plan,
    project_id: int,
    discussions: list[int],
    users: list[int],
    sizes: Sizes,
    rng: random.Random,
) -> int:
    """Tags and their aggregates, mentions and follows; returns the followed discussion's
    followers (its posters, and others who chose to follow it)."""
    tag_columns = (
        "id", "project_id", "name", "created_at", "last_used_at", "use_count", "item_count",
        "discussion_count", "user_count", "description", "revision", "folded",
    )  # fmt: skip
    uses = Counter(row[0] for row in rows.tag_uses)
    items = Counter(tag for _, tag in rows.item_tags)
    in_discussions = Counter(tag for _, tag in rows.discussion_tags)
    people = Counter(tag for tag, _ in rows.tag_users)
    insert_rows(
        "tags",
        tag_columns,
        (
            (tag_id, project_id, name, rows.tag_first[tag_id], rows.tag_last[tag_id],
             uses[tag_id], items[tag_id], in_discussions[tag_id], people[tag_id], "", 0,
             fold(name))
            for name, tag_id in rows.tags.items()
        ),
        total=len(rows.tags),
    )  # fmt: skip
    insert_rows(
        "tag_uses",
        ("tag_id", "comment_id", "discussion_id", "item_id", "user_id", "created_at"),
        rows.tag_uses,
        total=len(rows.tag_uses),
    )
    insert_rows(
        "item_tags",
        ("item_id", "tag_id", "use_count", "first_used_at"),
        ((item, tag, n, first) for (item, tag), (n, first) in rows.item_tags.items()),
        total=len(rows.item_tags),
    )
    insert_rows(
        "discussion_tags",
        ("discussion_id", "tag_id", "use_count", "first_used_at"),
        ((d, tag, n, first) for (d, tag), (n, first) in rows.discussion_tags.items()),
        total=len(rows.discussion_tags),
    )
    insert_rows(
        "tag_users",
        ("tag_id", "user_id", "use_count"),
        ((tag, user, n) for (tag, user), n in rows.tag_users.items()),
        total=len(rows.tag_users),
    )
    insert_rows(
        "tag_daily",
        ("tag_id", "day", "project_id", "uses"),
        ((tag, day, project_id, n) for (tag, day), n in rows.tag_daily.items()),
        total=len(rows.tag_daily),
    )
    insert_rows(
        "mentions",
        ("project_id", "comment_id", "discussion_id", "author_id", "kind", "user_id",
         "group_name", "item_id", "created_at"),
        rows.mentions,
        total=len(rows.mentions),
    )  # fmt: skip
    followed = discussions[p.followed]
    follows = [(user, "follow", "posted", when, d) for (user, d), when in rows.follows.items()]
    posters = {user for user, d in rows.follows if d == followed}
    others = [u for u in users if u not in posters]
    chosen = rng.sample(others, min(len(others), max(0, sizes.followers - len(posters))))
    follows += [
        (user, "follow", "chosen", moment(rng.uniform(0, 86400.0)), followed) for user in chosen
    ]
    insert_rows(
        "follows",
        ("user_id", "level", "origin", "created_at", "discussion_id"),
        follows,
        total=len(follows),
    )
    return len(posters) + len(chosen)
