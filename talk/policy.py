"""The permission policy: every "may this user do that to this?" in Talk is answered here.

Rules are named (``"comment.edit"``) and looked up with :func:`may` / :func:`require`; views, the
API, the CLI and templates (``may('comment.edit', comment)``) all ask the same question the same
way. A rule takes the user (an anonymous user when nobody is logged in) and a target.

Role ranks: volunteer < team = expert < moderator < admin < owner; site admins pass every rule.
A board's read/write level names the lowest rank that passes: ``everyone``, ``logged-in``,
``team``, ``moderators``, ``admins``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_app_context
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true

from talk.errors import NotAuthenticated, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Membership, Project

RANK = {"volunteer": 0, "team": 1, "expert": 1, "moderator": 2, "admin": 3, "owner": 4}
LEVEL_RANK = {"team": 1, "moderators": 2, "admins": 3}

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES[name] = fn
        return fn

    return register


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _site_admin(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_site_admin)


def role_in(user: Any, project: Project) -> str | None:
    """The user's role in the project (None for anonymous users and non-members).

    Cached per request/app context, so asking about fifty comments costs one query.
    """
    if not _authenticated(user):
        return None
    cache: dict[tuple[int, int], str | None] | None = None
    if has_app_context():
        cache = g.setdefault("_talk_roles", {})
        key = (user.id, project.id)
        if key in cache:
            return cache[key]
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.project_id == project.id
        )
    )
    if cache is not None:
        cache[(user.id, project.id)] = role
    return role


def forget_roles() -> None:
    """Drop cached roles (after a role changes within the same context)."""
    if has_app_context():
        g.pop("_talk_roles", None)


def rank_in(user: Any, project: Project) -> int:
    role = role_in(user, project)
    return RANK[role] if role else (0 if _authenticated(user) else -1)


def meets_level(user: Any, project: Project, level: str) -> bool:
    if _site_admin(user):
        return True
    if level == "everyone":
        return True
    if not _authenticated(user):
        return False
    if level == "logged-in":
        return True
    return rank_in(user, project) >= LEVEL_RANK[level]


@rule("project.create")
def _project_create(user: Any, _target: Any) -> bool:
    return _site_admin(user)


@rule("project.manage")
def _project_manage(user: Any, project: Project) -> bool:
    return _site_admin(user) or rank_in(user, project) >= RANK["admin"]


@rule("members.view")
def _members_view(user: Any, project: Project) -> bool:
    return True


@rule("members.manage")
def _members_manage(user: Any, project: Project) -> bool:
    return _project_manage(user, project)


@rule("members.grant_owner")
def _members_grant_owner(user: Any, project: Project) -> bool:
    """Only owners (and site admins) make or unmake owners."""
    return _site_admin(user) or role_in(user, project) == "owner"


@rule("items.register")
def _items_register(user: Any, project: Project) -> bool:
    return _site_admin(user) or rank_in(user, project) >= RANK["team"]


@rule("board.create")
def _board_create(user: Any, project: Project) -> bool:
    return _project_manage(user, project)


@rule("board.read")
def _board_read(user: Any, board: Board) -> bool:
    return meets_level(user, board.project, board.read_level)


@rule("board.start_discussion")
def _board_start(user: Any, board: Board) -> bool:
    return (
        _authenticated(user)
        and _board_read(user, board)
        and meets_level(user, board.project, board.write_level)
    )


@rule("item.start_discussion")
def _item_start(user: Any, item: Item) -> bool:
    return _board_start(user, items_board(item.project))


@rule("discussion.read")
def _discussion_read(user: Any, discussion: Discussion) -> bool:
    return _board_read(user, discussion.board)


@rule("discussion.reply")
def _discussion_reply(user: Any, discussion: Discussion) -> bool:
    return _board_start(user, discussion.board)


@rule("comment.edit")
def _comment_edit(user: Any, comment: Comment) -> bool:
    return (
        _authenticated(user)
        and comment.author_id == user.id
        and comment.is_visible
        and _discussion_read(user, comment.discussion)
    )


@rule("comment.delete")
def _comment_delete(user: Any, comment: Comment) -> bool:
    if comment.is_deleted or not _authenticated(user):
        return False
    if comment.author_id == user.id and not comment.is_hidden:
        return _discussion_read(user, comment.discussion)
    return _moderates(user, comment)


@rule("comment.hide")
def _comment_hide(user: Any, comment: Comment) -> bool:
    """Moderators hide a comment (it stays, for them, and can be shown again)."""
    if comment.is_deleted or comment.is_hidden:
        return False
    return _moderates(user, comment)


@rule("comment.unhide")
def _comment_unhide(user: Any, comment: Comment) -> bool:
    return comment.is_hidden and not comment.is_deleted and _moderates(user, comment)


@rule("comment.read_hidden")
def _comment_read_hidden(user: Any, comment: Comment) -> bool:
    """Who still reads a hidden comment's text: its project's moderators."""
    return _moderates(user, comment)


def _moderates(user: Any, comment: Comment) -> bool:
    if not _authenticated(user):
        return False
    return _site_admin(user) or rank_in(user, comment.discussion.project) >= RANK["moderator"]


@rule("tags.curate")
def _tags_curate(user: Any, project: Project) -> bool:
    """Experts, the project team and admins keep the curated vocabulary (and merge, rename)."""
    return _site_admin(user) or rank_in(user, project) >= RANK["team"]


@rule("tags.verify")
def _tags_verify(user: Any, project: Project) -> bool:
    """Verifying a tag on an item is an expert's judgement (admins and owners may stand in)."""
    return _site_admin(user) or role_in(user, project) in ("expert", "admin", "owner")


@rule("tag_group.create")
def _tag_group_create(user: Any, project: Project) -> bool:
    """Anyone logged in may save a tag query as a group, as they may start a discussion."""
    return _authenticated(user)


@rule("tag_group.manage")
def _tag_group_manage(user: Any, group: Any) -> bool:
    """A group's creator edits or deletes it; so do moderators and admins of its project."""
    if not _authenticated(user):
        return False
    return (
        group.created_by_id == user.id
        or _site_admin(user)
        or rank_in(user, group.project) >= RANK["moderator"]
    )


def items_board(project: Project) -> Board:
    """The project's board for per-item threads (every project has exactly one)."""
    for board in project.boards:
        if board.kind == "items":
            return board
    raise LookupError(f"project {project.slug} has no items board")


def readable_boards_filter(user: Any) -> ColumnElement[bool]:
    """The SQL twin of the ``board.read`` rule, for lists that span many boards (a profile's
    comments across every project) without loading each board. Must agree with
    :func:`meets_level`; ``tests/talk/test_policy.py`` checks that it does for every role."""
    if _site_admin(user):
        return true()
    if not _authenticated(user):
        return Board.read_level == "everyone"
    staff_levels = [
        and_(
            Board.read_level == level,
            exists().where(
                Membership.project_id == Board.project_id,
                Membership.user_id == user.id,
                Membership.role.in_([r for r, rank in RANK.items() if rank >= needed]),
            ),
        )
        for level, needed in LEVEL_RANK.items()
    ]
    return or_(Board.read_level.in_(["everyone", "logged-in"]), *staff_levels)


def readable_board_ids(user: Any) -> Select[tuple[int]]:
    """The ids of the boards ``user`` may read, as a subquery for ``board_id.in_(...)``."""
    return select(Board.id).where(readable_boards_filter(user))


def may(user: Any, action: str, target: Any = None) -> bool:
    try:
        check = _RULES[action]
    except KeyError:
        raise KeyError(f"no permission rule named {action!r}") from None
    return bool(check(user, target))


def require(user: Any, action: str, target: Any = None) -> None:
    """Raise ``NotAuthenticated`` (anonymous) or ``PermissionDenied`` unless allowed."""
    if may(user, action, target):
        return
    if not _authenticated(user):
        raise NotAuthenticated("Log in to do this.")
    raise PermissionDenied("You do not have permission to do this.")


def rule_names() -> list[str]:
    return sorted(_RULES)
