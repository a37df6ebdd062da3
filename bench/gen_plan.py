"""The shape of the generated project, decided before anything is written: which discussions
exist where, who writes each comment and when, and which text it carries; then every row and
counter the write path would have left, computed in one pass over the comments in time order.

Shapes (see docs/benchmarks.md, "The data generator"): comments per discussion are drawn from
the real export's discussions, plus hot threads; discussions about items go to items by a
Zipf-like law (s = 0.6), authors by a Zipf law over people (s = 1.0, which gives the real
export's "a tenth of the people write four fifths of the comments"). Times spread over two
years; a thread's comments follow its first within days (hot threads: over the whole span).
"""

from __future__ import annotations

import itertools
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gen_text import Calibration

START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = 2 * 365 * 86400.0  # seconds of activity
ITEM_ZIPF = 0.6
USER_ZIPF = 1.0
TAG_ZIPF = 1.0
THREAD_DAYS = 7.0  # mean time from a thread's first comment to its last
GENERAL_BOARD_SHARES = (0.35, 0.45, 0.20)  # Help, Chat, Research
FOLLOWED_SIZE = 20


@dataclass(frozen=True)
class Sizes:
    comments: int
    items: int
    users: int  # volunteers generated in bulk (staff and the bench user come on top)
    hot: int  # comments in each hot thread
    hot_threads: int
    followers: int
    distinct: int  # distinct comment bodies (each rendered once)

    @classmethod
    def scaled(cls, comments: int, distinct: int | None = None) -> Sizes:
        users = max(20, comments // 20)
        return cls(
            comments=comments,
            items=max(10, comments // 10),
            users=users,
            hot=max(1, min(5000, comments // 4)),
            hot_threads=3 if comments >= 200_000 else 1,
            followers=min(10_000, users),
            distinct=min(comments, distinct or 60_000),
        )


def zipf_cumulative(count: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / rank**s for rank in range(1, count + 1)))


@dataclass
class Plan:
    """Discussions (parallel lists) and comments (parallel arrays, in time order)."""

    d_board: list[int] = field(default_factory=list)  # 0: items board, 1..3 general boards
    d_item: list[int] = field(default_factory=list)  # item index, -1 for none
    d_title: list[str] = field(default_factory=list)
    d_author: list[int] = field(default_factory=list)  # volunteer index
    c_disc: array[int] = field(default_factory=lambda: array("i"))
    c_author: array[int] = field(default_factory=lambda: array("i"))  # volunteer index
    c_body: array[int] = field(default_factory=lambda: array("i"))  # body pool index
    c_time: array[float] = field(default_factory=lambda: array("d"))  # seconds after START
    hot: list[int] = field(default_factory=list)  # discussion indexes
    followed: int = -1
    busy_item: int = 0
    quiet_item: int = -1
    user_rank: list[int] = field(default_factory=list)  # volunteer indexes, most active first


def plan(sizes: Sizes, calibration: Calibration, rng: random.Random) -> Plan:
    p = Plan()
    p.user_rank = list(range(sizes.users))
    rng.shuffle(p.user_rank)
    user_cum = zipf_cumulative(sizes.users, USER_ZIPF)
    p.quiet_item = sizes.items - 1
    p.busy_item = 0
    # Items by popularity: the busy item first, the quiet one left out of the draw.
    item_ranked = list(range(sizes.items - 1))
    item_cum = zipf_cumulative(len(item_ranked), ITEM_ZIPF)
    sizes_of: list[int] = []
    starts: list[float] = []
    durations: list[float] = []

    def add(board: int, item: int, size: int, start: float, duration: float) -> int:
        p.d_board.append(board)
        p.d_item.append(item)
        p.d_title.append(rng.choice(calibration.titles))
        sizes_of.append(size)
        starts.append(start)
        durations.append(duration)
        return len(sizes_of) - 1

    for i in range(sizes.hot_threads):  # the first about the busy item, then general boards
        board, item = (0, p.busy_item) if i == 0 else (1 + i % 3, -1)
        p.hot.append(add(board, item, sizes.hot, rng.uniform(0, SPAN * 0.05), SPAN * 0.9))
    p.followed = add(2, -1, min(FOLLOWED_SIZE, max(1, sizes.comments // 100)), 0.0, SPAN * 0.5)
    add(0, p.quiet_item, 1, rng.uniform(0, SPAN), 0.0)
    remaining = sizes.comments - sum(sizes_of)
    if remaining < 0:
        raise SystemExit(f"--comments {sizes.comments} is too small for the project's shape.")
    while remaining > 0:
        size = min(remaining, rng.choice(calibration.discussion_sizes))
        remaining -= size
        if rng.random() < calibration.item_share:
            board = 0
            item = item_ranked[rng.choices(range(len(item_ranked)), cum_weights=item_cum)[0]]
        else:
            board = 1 + rng.choices(range(3), weights=GENERAL_BOARD_SHARES)[0]
            item = -1
        add(board, item, size, rng.uniform(0, SPAN), rng.expovariate(1 / (THREAD_DAYS * 86400)))
    comments: list[tuple[float, int]] = []
    for d, size in enumerate(sizes_of):
        start, duration = starts[d], min(durations[d], SPAN - starts[d])
        comments.append((start, d))
        comments.extend((start + rng.uniform(0, duration), d) for _ in range(size - 1))
    comments.sort()
    authors = rng.choices(p.user_rank, cum_weights=user_cum, k=len(comments))
    p.d_author = [-1] * len(sizes_of)
    for (moment, d), author in zip(comments, authors, strict=True):
        if p.d_author[d] < 0:  # a discussion's author wrote its first comment
            p.d_author[d] = author
        p.c_disc.append(d)
        p.c_author.append(author)
        p.c_time.append(moment)
    p.c_body.extend(rng.randrange(sizes.distinct) for _ in range(len(comments)))
    return p


def moment(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Rendered:
    """What the write path derives from one body: its HTML and what it names."""

    body: str
    html: str
    tags: tuple[str, ...]  # normalised names
    users: tuple[int, ...]  # ids of people it mentions (outside quotations, who may read)
    groups: tuple[str, ...]
    items: tuple[int, ...]  # ids of items it refers to


@dataclass
class Rows:
    """Every row and counter of the comments, as the services would have written them."""

    tags: dict[str, int] = field(default_factory=dict)  # name → id, in order of first use
    tag_first: dict[int, datetime] = field(default_factory=dict)
    tag_last: dict[int, datetime] = field(default_factory=dict)
    tag_uses: list[tuple[Any, ...]] = field(default_factory=list)
    item_tags: dict[tuple[int, int], list[Any]] = field(default_factory=dict)  # [count, first]
    discussion_tags: dict[tuple[int, int], list[Any]] = field(default_factory=dict)
    tag_users: dict[tuple[int, int], int] = field(default_factory=dict)
    tag_daily: dict[tuple[int, date], int] = field(default_factory=dict)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    follows: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (user, disc)


def derive(
    p: Plan,
    pool: Sequence[Rendered],
    *,
    project_id: int,
    first_comment: int,
    disc_id: Sequence[int],
    item_id: Sequence[int],
    user_id: Sequence[int],
) -> Rows:
    """The tag, mention and follow rows of every comment (comment ``i`` gets id
    ``first_comment + i``), as tag_sync, mentions and follows write them."""
    rows = Rows()
    for i in range(len(p.c_disc)):
        d = p.c_disc[i]
        discussion, author = disc_id[d], user_id[p.c_author[i]]
        item = item_id[p.d_item[d]] if p.d_item[d] >= 0 else None
        when = moment(p.c_time[i])
        comment = first_comment + i
        rows.follows.setdefault((author, discussion), when)
        rendered = pool[p.c_body[i]]
        for name in rendered.tags:
            tag = rows.tags.setdefault(name, len(rows.tags) + 1)
            rows.tag_first.setdefault(tag, when)
            rows.tag_last[tag] = when
            rows.tag_uses.append((tag, comment, discussion, item, author, when))
            if item is not None:
                rows.item_tags.setdefault((item, tag), [0, when])[0] += 1
            rows.discussion_tags.setdefault((discussion, tag), [0, when])[0] += 1
            rows.tag_users[(tag, author)] = rows.tag_users.get((tag, author), 0) + 1
            day = when.date()
            rows.tag_daily[(tag, day)] = rows.tag_daily.get((tag, day), 0) + 1
        base = (project_id, comment, discussion, author)
        for mentioned in rendered.users:
            if mentioned != author:
                rows.mentions.append((*base, "user", mentioned, None, None, when))
        for group in rendered.groups:
            rows.mentions.append((*base, "group", None, group, None, when))
        for referred in rendered.items:
            if referred != item:
                rows.mentions.append((*base, "item", None, None, referred, when))
    return rows
