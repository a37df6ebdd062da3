"""A project's comments as the Zooniverse Talk export (``talk export-comments``).

The records have the fields of the export heritage projects already hold (``board_id``,
``board_title``, ``board_description``, ``discussion_id``, ``discussion_title``, ``comment_id``,
``comment_body`` in Markdown, ``comment_focus_id``/``comment_focus_type`` for the item,
``comment_user_id``, ``comment_user_login``, ``comment_created_at``), so tools written for those
files read Talk's. Only what anyone may read is exported: comments that are not deleted,
hidden or held, on boards everyone may read.

A project may hold millions of comments, so nothing is read whole: the comments are read in
chunks of :data:`CHUNK` by id (keyset, each chunk one short query of plain rows, no ORM objects
kept in the session) and written as they are read, so memory stays flat whatever the count.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any, TextIO

from sqlalchemy import select

from talk import policy
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Project, User

CHUNK = 1000


def comment_records(project: Project, *, chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """The project's readable comments, oldest first, one export record each, read a chunk
    at a time as the caller iterates."""
    query = (
        select(
            Board.id,
            Board.title,
            Board.description,
            Discussion.id,
            Discussion.title,
            Comment.id,
            Comment.body,
            Item.external_id,
            User.id,
            User.username,
            Comment.created_at,
        )
        .join(Discussion, Comment.discussion_id == Discussion.id)
        .join(Board, Discussion.board_id == Board.id)
        .join(User, Comment.author_id == User.id)
        .outerjoin(Item, Discussion.item_id == Item.id)
        .where(
            Comment.project_id == project.id,
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
            Comment.held_at.is_(None),
            Discussion.board_id.in_(policy.readable_board_ids(policy.ANONYMOUS)),
        )
        .order_by(Comment.id)
        .limit(chunk)
    )
    after = 0
    while True:
        rows = db.session.execute(query.where(Comment.id > after)).all()
        for row in rows:
            yield {
                "board_id": row[0],
                "board_title": row[1],
                "board_description": row[2],
                "discussion_id": row[3],
                "discussion_title": row[4],
                "comment_id": row[5],
                "comment_body": row[6],
                "comment_focus_id": row[7],
                "comment_focus_type": "Item" if row[7] is not None else None,
                "comment_user_id": row[8],
                "comment_user_login": row[9],
                "comment_created_at": row[10].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            }
        if len(rows) < chunk:
            return
        after = rows[-1][5]


def write_json(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write ``records`` to ``out`` as one JSON array, a record a line, as they come; returns
    how many were written."""
    out.write("[")
    count = 0
    for count, record in enumerate(records, 1):
        out.write(("," if count > 1 else "") + "\n" + json.dumps(record, ensure_ascii=False))
    out.write("\n]\n")
    return count
