"""The data generator's check: is what it wrote what the write path writes?

For a sample of comments (mostly ones with hashtags or mentions), the same body is posted again
by the same author in the same discussion at the same moment through
:func:`talk.services.discussions.post_comment`, in a transaction rolled back afterwards, and
what that wrote — stored HTML, tag uses, mentions, search document, the author's follow — is
compared with what the generator wrote for the sampled comment. Every stored counter is
compared with its recount (:func:`talk.services.counters.counter_mismatches`), and the search
index holds one document per searchable row.
"""

from __future__ import annotations

import random
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text

from talk.extensions import db
from talk.models import Comment, Mention, TagUse
from talk.services import counters, discussions


def check(app: Flask, *, sample: int, seed: int) -> list[str]:
    """Every difference found, as one line each (none when the data is right)."""
    problems = [f"counter {line}" for line in counters.counter_mismatches()]
    db.session.rollback()
    problems += _search_counts()
    for comment_id in _sample(sample, seed):
        problems += _compare(app, comment_id)
    return problems


def _sample(size: int, seed: int) -> list[int]:
    """Comment ids, drawn anew each run: half with hashtags, a quarter with mentions (or item
    references), the rest any."""
    rng = random.Random(seed)
    tagged = list(
        db.session.scalars(select(TagUse.comment_id).order_by(func.random()).limit(size // 2))
    )
    mentioned = list(
        db.session.scalars(select(Mention.comment_id).order_by(func.random()).limit(size // 4))
    )
    highest = db.session.scalar(select(func.max(Comment.id))) or 0
    lowest = db.session.scalar(select(func.min(Comment.id))) or 0
    chosen = tagged + mentioned
    while len(chosen) < size and highest:
        chosen.append(rng.randint(lowest, highest))
    db.session.rollback()
    return sorted(set(chosen))


def _written(comment: Comment) -> dict[str, Any]:
    """What is stored for ``comment`` beyond its own row's identity."""
    cid = comment.id
    return {
        "html": comment.body_html,
        "tag uses": sorted(
            db.session.execute(
                select(
                    TagUse.tag_id,
                    TagUse.discussion_id,
                    TagUse.item_id,
                    TagUse.user_id,
                    TagUse.created_at,
                ).where(TagUse.comment_id == cid)
            ).all()
        ),
        "mentions": sorted(
            db.session.execute(
                select(
                    Mention.kind,
                    Mention.user_id,
                    Mention.group_name,
                    Mention.item_id,
                    Mention.author_id,
                    Mention.created_at,
                ).where(Mention.comment_id == cid)
            ).all(),
            key=repr,
        ),
        "search": db.session.execute(
            text(
                "SELECT project_id, board_id, discussion_id, item_id, author_id, language, "
                "title, body FROM search_documents WHERE kind = 'comment' AND source_id = :id"
            ),
            {"id": cid},
        ).all(),
        "follow": db.session.scalar(
            text(
                "SELECT count(*) FROM follows WHERE user_id = :user AND discussion_id = :d "
                "AND level = 'follow'"
            ),
            {"user": comment.author_id, "d": comment.discussion_id},
        ),
    }


def _compare(app: Flask, comment_id: int) -> list[str]:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return [f"comment {comment_id}: missing (ids have gaps)"]
    stored = _written(comment)
    created = comment.created_at
    app.config["TALK_CLOCK"] = lambda: created
    try:
        posted = discussions.post_comment(comment.author, comment.discussion, comment.body)
        fresh = _written(posted)
    finally:
        db.session.rollback()
        app.config.pop("TALK_CLOCK", None)
    return [
        f"comment {comment_id} {key}: generated {stored[key]!r}, services {fresh[key]!r}"
        for key in stored
        if stored[key] != fresh[key]
    ]


def _search_counts() -> list[str]:
    expected = {
        "comment": "SELECT count(*) FROM comments WHERE deleted_at IS NULL AND hidden_at IS NULL",
        "discussion": "SELECT count(*) FROM discussions",
        "item": "SELECT count(*) FROM items",
        "tag": "SELECT count(*) FROM tags WHERE use_count > 0",
    }
    problems = []
    for kind, query in expected.items():
        want = db.session.scalar(text(query))
        have = db.session.scalar(
            text("SELECT count(*) FROM search_documents WHERE kind = :kind"), {"kind": kind}
        )
        if want != have:
            problems.append(f"search documents of kind {kind}: {have}, rows {want}")
    db.session.rollback()
    return problems
