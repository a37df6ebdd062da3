"""Exactly the rows one API post writes: every table compared before and after, so a faster
write path (docs/performance-notes.md, "Posting") cannot drop, add or change a row unnoticed."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from talk.extensions import db
from talk.models import MentionKind

API = "/api/v1"


def _rows(app: Flask) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            key = [column.name for column in table.primary_key.columns] or list(table.c.keys())
            tables[table.name] = {
                tuple(row[name] for name in key): dict(row)
                for row in db.session.execute(select(table)).mappings()
            }
        return tables


def _written(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per table: the rows added (whole) and, for rows changed, the columns that changed."""
    written: dict[str, Any] = {}
    for name, rows in after.items():
        added = [row for key, row in rows.items() if key not in before[name]]
        changed = {
            key: {c: (before[name][key][c], v) for c, v in row.items() if before[name][key][c] != v}
            for key, row in rows.items()
            if key in before[name] and before[name][key] != row
        }
        gone = [key for key in before[name] if key not in rows]
        if added or changed or gone:
            written[name] = {"added": added, "changed": changed, "gone": gone}
    return written


def test_a_post_writes_these_rows(app, client, make, world, clock):
    """A team member's reply on an item's thread, with a new and a known hashtag and a
    mention: its row, the counters, the tag bookkeeping, the mention, the author's follow and
    the notification event, and nothing else."""
    discussion = make.discussion(world.project, world.volunteer, item=world.item, title="Leaf")
    first = make.comment(discussion, world.volunteer, "An oak? #Oak")
    then = clock.now
    now = clock.advance(minutes=5)
    before = _rows(app)
    body = "Yes, #oak and #acorn. @volunteer see the lobes."
    response = client.post(
        f"{API}/discussions/{discussion.id}/comments",
        json={"body": body, "reply_to": first.id},
        headers=world.team_auth,
    )
    assert response.status_code == 201, response.get_json()
    written = _written(before, _rows(app))

    comment_id = response.get_json()["id"]
    oak = next(iter(before["tags"]))[0]
    (acorn,) = (row["id"] for row in written["tags"]["added"])
    author, project, item = world.team.id, world.project.id, world.item.id
    board = before["discussions"][(discussion.id,)]["board_id"]
    (token,) = (key[0] for key, row in before["api_tokens"].items() if row["user_id"] == author)
    (follow,) = (row["id"] for row in written["follows"]["added"])
    (mention,) = (row["id"] for row in written["mentions"]["added"])
    (event,) = (row["id"] for row in written["notification_events"]["added"])
    uses = sorted(row["id"] for row in written["tag_uses"]["added"])
    html = (
        '<p>Yes, <a class="hashtag" href="/projects/herbarium/tags/oak" rel="tag">#oak</a> and '
        '<a class="hashtag" href="/projects/herbarium/tags/acorn" rel="tag">#acorn</a>. '
        '<a class="mention" href="/users/volunteer">@volunteer</a> see the lobes.</p>'
    )

    def changed(**columns: Any) -> dict[str, Any]:
        return columns

    def only(added: list[Any] | None = None, **changes: dict[str, Any]) -> dict[str, Any]:
        return {
            "added": added or [],
            "changed": {_key(key): value for key, value in changes.items()},
            "gone": [],
        }

    def _key(name: str) -> tuple[Any, ...]:
        return {
            "token": (token,),
            "board": (board,),
            "discussion": (discussion.id,),
            "item": (item,),
            "project": (project,),
            "author": (author,),
            "oak": (oak,),
            "discussion_oak": (discussion.id, oak),
            "item_oak": (item, oak),
            "oak_today": (oak, now.date()),
        }[name]

    use = {"comment_id": comment_id, "created_at": now, "discussion_id": discussion.id}
    assert written == {
        "api_tokens": only(token=changed(last_used_at=(then, now))),
        "boards": only(board=changed(comment_count=(2, 3), last_activity_at=(then, now))),
        "comments": only(
            [
                {
                    "id": comment_id,
                    "project_id": project,
                    "discussion_id": discussion.id,
                    "author_id": author,
                    "reply_to_id": first.id,
                    "body": body,
                    "body_html": html,
                    "created_at": now,
                    "edited_at": None,
                    "deleted_at": None,
                    "hidden_at": None,
                    "hidden_by_id": None,
                    "hidden_reason": "",
                    "held_at": None,
                    "moderator_note": "",
                }
            ]
        ),
        "discussion_tags": only(
            [
                {
                    "discussion_id": discussion.id,
                    "tag_id": acorn,
                    "use_count": 1,
                    "first_used_at": now,
                }
            ],
            discussion_oak=changed(use_count=(1, 2)),
        ),
        "discussions": only(discussion=changed(comment_count=(2, 3), last_comment_at=(then, now))),
        "follows": only(
            [
                {
                    "id": follow,
                    "user_id": author,
                    "level": "follow",
                    "origin": "posted",
                    "created_at": now,
                    "discussion_id": discussion.id,
                    "board_id": None,
                    "item_id": None,
                    "project_id": None,
                    "tag_id": None,
                }
            ]
        ),
        "item_tags": only(
            [{"item_id": item, "tag_id": acorn, "use_count": 1, "first_used_at": now}],
            item_oak=changed(use_count=(1, 2)),
        ),
        "items": only(item=changed(comment_count=(2, 3), last_activity_at=(then, now))),
        "mentions": only(
            [
                {
                    "id": mention,
                    "project_id": project,
                    "comment_id": comment_id,
                    "discussion_id": discussion.id,
                    "author_id": author,
                    "kind": MentionKind.USER,
                    "user_id": world.volunteer.id,
                    "group_name": None,
                    "item_id": None,
                    "created_at": now,
                }
            ]
        ),
        "notification_events": only(
            [
                {
                    "id": event,
                    "kind": "comment",
                    "actor_id": author,
                    "project_id": project,
                    "discussion_id": discussion.id,
                    "comment_id": comment_id,
                    "item_id": item,
                    "payload": {
                        "groups": [],
                        "tag_ids": [oak, acorn],
                        "user_ids": [world.volunteer.id],
                    },
                    "created_at": now,
                    "claimed_by": None,
                    "lease_until": None,
                }
            ]
        ),
        "projects": only(project=changed(comment_count=(3, 4))),
        "tag_daily": only(
            [{"tag_id": acorn, "day": now.date(), "project_id": project, "uses": 1}],
            oak_today=changed(uses=(1, 2)),
        ),
        "tag_users": only(
            [
                {"tag_id": oak, "user_id": author, "use_count": 1},
                {"tag_id": acorn, "user_id": author, "use_count": 1},
            ]
        ),
        "tag_uses": only(
            [
                {**use, "id": uses[0], "item_id": item, "tag_id": oak, "user_id": author},
                {**use, "id": uses[1], "item_id": item, "tag_id": acorn, "user_id": author},
            ]
        ),
        "tags": only(
            [
                {
                    "id": acorn,
                    "project_id": project,
                    "name": "acorn",
                    "folded": "acorn",
                    "created_at": now,
                    "last_used_at": now,
                    "use_count": 1,
                    "item_count": 1,
                    "discussion_count": 1,
                    "user_count": 1,
                    "canonical_id": None,
                    "curated_at": None,
                    "curated_by_id": None,
                    "description": "",
                    "authority_uri": None,
                    "revision": 0,
                }
            ],
            oak=changed(last_used_at=(then, now), use_count=(1, 2), user_count=(1, 2)),
        ),
        "users": only(author=changed(comment_count=(0, 1))),
    }
