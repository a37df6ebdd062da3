"""The data generator's comment bodies: a pool of distinct bodies, each rendered once by the
write path's own code (``mentions.comment_links`` resolves hashtags, people and items against
the database; ``markdown.render`` writes the HTML), on every core.

Rendering does not depend on the board or the author here: every board of the generated project
is readable by everyone, so hashtags count and every mentioned person may read the comment
everywhere. What does depend on the author (nobody is recorded mentioning themselves) and the
thread (an item's own thread does not "mention" it) is left to :func:`gen_plan.derive`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
from collections.abc import Sequence
from typing import Any

from flask import Flask
from gen_plan import TAG_ZIPF, Rendered, zipf_cumulative
from gen_text import Calibration, insert_words, made_up_tag_names, shuffled

from talk import markdown
from talk.models import MENTION_GROUPS, Board, Discussion
from talk.services import mentions, tags
from talk.services.validation import clean_text


def write_bodies(
    count: int,
    calibration: Calibration,
    rng: random.Random,
    *,
    usernames: Sequence[str],  # most active first: they are mentioned most
    external_ids: Sequence[str],  # most discussed first
    tag_names: int,
) -> list[str]:
    """``count`` distinct-ish comment bodies at the calibrated rates of hashtags, mentions and
    item references."""
    names = made_up_tag_names(tag_names, calibration, rng)
    tag_cum = zipf_cumulative(len(names), TAG_ZIPF)
    user_cum = zipf_cumulative(len(usernames), 1.0)
    item_cum = zipf_cumulative(len(external_ids), 1.0)
    per_comment = list(calibration.tags_per_comment)
    per_weights = list(calibration.tags_per_comment.values())
    bodies = []
    for _ in range(count):
        body = shuffled(rng.choice(calibration.templates), rng)
        extra: list[str] = []
        if rng.random() < calibration.hashtag_share:
            wanted = rng.choices(per_comment, weights=per_weights)[0]
            chosen: list[str] = []
            while len(chosen) < wanted:
                name = rng.choices(names, cum_weights=tag_cum)[0]
                if name not in chosen:
                    chosen.append(name)
            extra += [f"#{name}" for name in chosen]
        if rng.random() < calibration.mention_share:
            extra.append("@" + rng.choices(usernames, cum_weights=user_cum)[0])
        if rng.random() < calibration.item_ref_share:
            extra.append("^" + rng.choices(external_ids, cum_weights=item_cum)[0])
        body = insert_words(body, extra, rng) if extra else body
        bodies.append(clean_text(body, "body", max_length=20_000))
    return bodies


_state: dict[str, Any] = {}


def _start_worker(config: dict[str, Any], board_id: int) -> None:
    from talk import create_app

    app: Flask = create_app(config)
    context = app.app_context()
    context.push()
    board = _get_board(board_id)
    _state.update(app=app, context=context, board=board)


def _get_board(board_id: int) -> Board:
    from talk.extensions import db

    board = db.session.get(Board, board_id)
    assert board is not None
    return board


def render_one(body: str) -> Rendered:
    """What posting ``body`` would store and record, by the services' own functions."""
    board: Board = _state["board"]
    discussion = Discussion(board=board, project=board.project)  # never added to the session
    links = mentions.comment_links(None, discussion, body, check_limits=False)  # type: ignore[arg-type]
    html = markdown.render(body, links, image_hosts=board.project.image_hosts)
    names = sorted({n for n in (tags.normalise(name) for name in links.tag_names) if n})
    users = {
        user.id
        for name in links.found.mentions
        if (user := links.users.get(name.lower())) is not None
    }
    groups = sorted({g for g in links.found.group_mentions if g in MENTION_GROUPS})
    return Rendered(
        body,
        html,
        tuple(names),
        tuple(sorted(users)),
        tuple(groups),
        tuple(sorted(item.id for item in links.items.values())),
    )


def render_all(bodies: Sequence[str], config: dict[str, Any], board_id: int) -> list[Rendered]:
    """Every body rendered, on as many processes as there are cores."""
    processes = max(1, min(len(os.sched_getaffinity(0)), 8))
    if processes == 1 or len(bodies) < 2000:
        _start_worker(config, board_id)
        try:
            return [render_one(body) for body in bodies]
        finally:
            _state["context"].pop()
    with multiprocessing.get_context("fork").Pool(
        processes, initializer=_start_worker, initargs=(config, board_id)
    ) as workers:
        rendered = []
        for done, one in enumerate(workers.imap(render_one, bodies, chunksize=200), start=1):
            rendered.append(one)
            if done % 5000 == 0 or done == len(bodies):
                line = f"\r  bodies: {done:>10,} / {len(bodies):,} rendered"
                print(line, end="", file=sys.stderr)
        print(file=sys.stderr)
        return rendered
