"""Reading one object by its address, with the check of who may read it: the pages and the JSON
API both call these, so "may this viewer read discussion 12?" has one answer.

What a viewer may not read is **not found**, with the very message a missing one gets, so a
private board's ids, and whether anything is there, are not revealed. The one difference between
the doors is ``conceal=False`` (the pages): an anonymous visitor is sent to log in when any
logged-in volunteer could read the thing, since logging in is all they need (and anyone may
register, so that reveals nothing a registration would not).

Projects, their items, tags and tag groups are open to everyone today; their lookups are here
too, so both doors find an object of a project the same way (an item of another project, or
a tag in a spelling or synonym, included).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import joinedload

from talk import policy
from talk.errors import NotAuthenticated, NotFound
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Project, Tag, TagGroup
from talk.services import discussions, items, projects, tag_groups, tags


def _check(viewer: Any, rule: str, target: Any, *, conceal: bool, missing: str) -> None:
    if policy.may(viewer, rule, target):
        return
    if (
        not conceal
        and not policy.is_logged_in(viewer)
        and policy.may(policy.ANY_VOLUNTEER, rule, target)
    ):
        raise NotAuthenticated("Log in to read this.")
    raise NotFound(missing)


def board(
    viewer: Any, board_id: int, *, project: Project | None = None, conceal: bool = True
) -> Board:
    """Board ``board_id`` (of ``project``, when given), if ``viewer`` may read it."""
    found = projects.get_board(board_id)
    _check(viewer, "board.read", found, conceal=conceal, missing=f"No board {board_id}.")
    if project is not None and found.project_id != project.id:
        raise NotFound(f"No board {board_id} in project {project.slug!r}.")
    return found


def discussion(viewer: Any, discussion_id: int, *, conceal: bool = True) -> Discussion:
    """Discussion ``discussion_id``, if ``viewer`` may read it: read with its project, board
    and item in one query, since the read check and every page showing it need all three."""
    missing = f"No discussion {discussion_id}."
    found = db.session.get(Discussion, discussion_id, options=_WITH_PLACES)
    if found is None:
        raise NotFound(missing)
    _check(viewer, "discussion.read", found, conceal=conceal, missing=missing)
    return found


#: Built once: every request naming a discussion loads it so (a post included).
_WITH_PLACES = (
    joinedload(Discussion.project),
    joinedload(Discussion.board),
    joinedload(Discussion.item),
)


def comment(viewer: Any, comment_id: int, *, conceal: bool = True) -> Comment:
    """Comment ``comment_id``, if ``viewer`` may read its discussion (a deleted or hidden
    comment is still there, in its place, without its text)."""
    found = discussions.get_comment(comment_id)
    missing = f"No comment {comment_id}."
    _check(viewer, "discussion.read", found.discussion, conceal=conceal, missing=missing)
    if found.is_held and not policy.may(viewer, "comment.read_held", found):
        raise NotFound(missing)  # to others it does not exist until approved
    return found


def comment_history(viewer: Any, comment_id: int, *, conceal: bool = True) -> Comment:
    """Comment ``comment_id`` for reading its earlier versions (``comment.read_history``):
    NotFound for a deleted comment (deleting removes its history too), and for a hidden one
    unless ``viewer`` is one of the moderators who still read it."""
    found = comment(viewer, comment_id, conceal=conceal)
    if not policy.may(viewer, "comment.read_history", found):
        if found.is_deleted:
            raise NotFound("This comment was deleted, and its history with it.")
        raise NotFound("This comment was hidden by a moderator, and its history with it.")
    return found


def item(slug: str, external_id: str) -> tuple[Project, Item]:
    """Project ``slug`` and its item ``external_id``."""
    project = projects.get_project(slug)
    return project, items.get_item(project, external_id)


def tag(slug: str, name: str) -> tuple[Project, Tag]:
    """Project ``slug`` and the tag ``name`` stands for (any spelling, or a synonym)."""
    project = projects.get_project(slug)
    return project, tags.get_tag(project, name)


def tag_group(slug: str, group_slug: str) -> tuple[Project, TagGroup]:
    """Project ``slug`` and its tag group ``group_slug``."""
    project = projects.get_project(slug)
    return project, tag_groups.get_group(project, group_slug)
