"""The core's permission rules, registered with :func:`talk.policy.rule` as the packages'
``rules.py`` register theirs; :mod:`talk.policy` (the mechanism: registries, vetoes, content
checks, roles, :func:`~talk.policy.may`) imports this module at its end, so importing
:mod:`talk.policy` is enough to have every core rule.

Role ranks: volunteer < team = expert < moderator < admin < owner; site admins pass every rule.
The moderators' actions on discussions (lock, pin, move, merge, split, edit with a note) are at
the end: each its project's moderators' and admins' (and site admins'), a moderator of project A
has no power in project B, and a merged discussion is a redirect, not a thread: nothing is done
to it any more; nor to a held one (approve or reject its first comment).
"""

from __future__ import annotations

from typing import Any

from talk.models import Board, Comment, Discussion, Item, Project, User
from talk.policy import (
    RANK,
    is_logged_in,
    is_operator,
    is_person,
    is_site_admin,
    items_board,
    meets_level,
    moderates,
    rank_in,
    role_in,
    rule,
)


@rule("account.register")
def _account_register(_user: Any, _target: Any) -> bool:
    """Anyone may sign up; the target is the address (a veto can close registration, or
    refuse an address)."""
    return True


@rule("account.make_site_admin")
def _account_make_site_admin(user: Any, _target: Any) -> bool:
    return is_site_admin(user)


@rule("account.end_sessions")
def _account_end_sessions(user: Any, account: User) -> bool:
    """Log an account out everywhere: its owner, site admins and the operator. (The service
    never asks about one's own sessions, so no veto can keep anyone logged in.)"""
    return is_site_admin(user) or (is_person(user) and user.id == account.id)


@rule("account.settings", read=True)
def _account_settings(user: Any, account: User) -> bool:
    """Change an account's display name, time zone, password or address: its owner alone.
    Declared a read so that no veto (a suspension) keeps anyone from securing their account;
    a display name still passes the content checks (kind ``profile``)."""
    return is_person(user) and user.id == account.id


@rule("user.block", read=True)
def _user_block(user: Any, person: Any) -> bool:
    """Block or unblock a person (``talk.services.blocks``): any account, anyone but themselves.
    A read, so that no veto (a suspension) keeps anyone from shutting out a harasser."""
    return is_person(user) and isinstance(person, User) and user.id != person.id


@rule("account.disable")
def _account_disable(user: Any, account: User) -> bool:
    """Disable or enable an account: site admins and the operator, never on their own."""
    return is_site_admin(user) and getattr(user, "id", None) != account.id


@rule("token.create")
def _token_create(user: Any, account: User) -> bool:
    """Make an API token for an account: its owner, or the operator (``talk create-token``)."""
    return is_operator(user) or (is_person(user) and user.id == account.id)


@rule("token.manage", read=True)
def _token_manage(user: Any, account: User) -> bool:
    """List and revoke an account's tokens: its owner alone (not even a site admin sees them).
    Declared a read so that no veto (a suspension) can keep a token from being revoked."""
    return is_person(user) and user.id == account.id


@rule("project.create")
def _project_create(user: Any, _target: Any) -> bool:
    return is_site_admin(user)


@rule("project.manage")
def _project_manage(user: Any, project: Project) -> bool:
    return is_site_admin(user) or rank_in(user, project) >= RANK["admin"]


@rule("members.view", read=True)
def _members_view(user: Any, project: Project) -> bool:
    return True


@rule("members.manage")
def _members_manage(user: Any, project: Project) -> bool:
    return _project_manage(user, project)


@rule("members.grant_owner")
def _members_grant_owner(user: Any, project: Project) -> bool:
    """Only owners (and site admins) make or unmake owners."""
    return is_site_admin(user) or role_in(user, project) == "owner"


@rule("items.register")
def _items_register(user: Any, project: Project) -> bool:
    return is_site_admin(user) or rank_in(user, project) >= RANK["team"]


@rule("board.create")
def _board_create(user: Any, project: Project) -> bool:
    return _project_manage(user, project)


@rule("board.read", read=True)
def _board_read(user: Any, board: Board) -> bool:
    return meets_level(user, board.project, board.read_level)


@rule("board.start_discussion")
def _board_start(user: Any, board: Board) -> bool:
    return (
        is_person(user)
        and _board_read(user, board)
        and meets_level(user, board.project, board.write_level)
    )


@rule("item.start_discussion")
def _item_start(user: Any, item: Item) -> bool:
    return _board_start(user, items_board(item.project))


@rule("discussion.read", read=True)
def _discussion_read(user: Any, discussion: Discussion) -> bool:
    """Whoever reads its board; a held one (waiting for, or refused, approval) only its
    author and its moderators: to anyone else it does not exist."""
    if discussion.is_held and not (
        is_logged_in(user)
        and (discussion.author_id == user.id or moderates(user, discussion.project))
    ):
        return False
    return _board_read(user, discussion.board)


@rule("discussion.reply")
def _discussion_reply(user: Any, discussion: Discussion) -> bool:
    """A locked discussion takes replies from its moderators only (to say why); a merged one
    from nobody (its comments live on in the discussion it was merged into), nor a held one
    (nobody else may read it yet; approving its first comment opens it)."""
    if discussion.is_merged or discussion.is_held:
        return False
    if discussion.is_locked and not moderates(user, discussion.project):
        return False
    return _board_start(user, discussion.board)


@rule("comment.preview")
def _comment_preview(user: Any, board: Board) -> bool:
    """Seeing how a comment would look: for anyone who may write, somewhere they may read."""
    return is_person(user) and _board_read(user, board)


@rule("people.suggest")
def _people_suggest(user: Any, project: Project) -> bool:
    """Suggesting names to @mention while writing: only for people who write, so an anonymous
    visitor cannot use it to list accounts."""
    return is_person(user)


@rule("comment.edit")
def _comment_edit(user: Any, comment: Comment) -> bool:
    """Authors edit their own comments, except in a locked discussion (the lock freezes it)."""
    return (
        is_logged_in(user)
        and comment.author_id == user.id
        and comment.is_visible
        and not comment.discussion.is_locked
        and _discussion_read(user, comment.discussion)
    )


@rule("comment.delete")
def _comment_delete(user: Any, comment: Comment) -> bool:
    if comment.is_deleted or not is_logged_in(user):
        return False
    if comment.author_id == user.id and (comment.is_held or not comment.is_hidden):
        return _discussion_read(user, comment.discussion)  # a held one may be withdrawn
    return _moderates(user, comment)


@rule("comment.hide")
def _comment_hide(user: Any, comment: Comment) -> bool:
    """Moderators hide a comment (it stays, for them, and can be shown again)."""
    if comment.is_deleted or comment.is_hidden:
        return False
    return _moderates(user, comment)


@rule("comment.unhide")
def _comment_unhide(user: Any, comment: Comment) -> bool:
    return (
        comment.is_hidden
        and not comment.is_held  # approving it is the way (it notifies)
        and not comment.discussion.is_held  # a rejected discussion's: it stays unlisted
        and not comment.is_deleted
        and _moderates(user, comment)
    )


@rule("comment.approve")
def _comment_approve(user: Any, comment: Comment) -> bool:
    """Moderators approve (or reject) a comment held for their approval."""
    return comment.is_held and not comment.is_deleted and _moderates(user, comment)


@rule("comment.read_held", read=True)
def _comment_read_held(user: Any, comment: Comment) -> bool:
    """Who sees a held comment at all: its author (told it waits) and its moderators; to
    everyone else it does not exist yet."""
    if not is_logged_in(user) or not _discussion_read(user, comment.discussion):
        return False
    return comment.author_id == user.id or _moderates(user, comment)


@rule("comment.read_hidden", read=True)
def _comment_read_hidden(user: Any, comment: Comment) -> bool:
    """Who still reads a hidden comment's text: its project's moderators."""
    return _moderates(user, comment)


@rule("comment.read_history", read=True)
def _comment_read_history(user: Any, comment: Comment) -> bool:
    """Who reads a comment's earlier versions: whoever reads its discussion, while the comment
    is not deleted (its history goes with it); a hidden one's, only its moderators."""
    if comment.is_deleted or not _discussion_read(user, comment.discussion):
        return False
    return not comment.is_hidden or _comment_read_hidden(user, comment)


def _moderates(user: Any, comment: Comment) -> bool:
    return moderates(user, comment.discussion.project)


@rule("tags.curate")
def _tags_curate(user: Any, project: Project) -> bool:
    """Experts, the project team and admins keep the curated vocabulary (and merge, rename)."""
    return is_site_admin(user) or rank_in(user, project) >= RANK["team"]


@rule("tags.verify")
def _tags_verify(user: Any, project: Project) -> bool:
    """Verifying a tag on an item is an expert's judgement (admins and owners may stand in)."""
    return is_site_admin(user) or role_in(user, project) in ("expert", "admin", "owner")


@rule("tag_group.create")
def _tag_group_create(user: Any, project: Project) -> bool:
    """Anyone logged in may save a tag query as a group, as they may start a discussion."""
    return is_person(user)


@rule("tag_group.manage")
def _tag_group_manage(user: Any, group: Any) -> bool:
    """A group's creator edits or deletes it; so do moderators and admins of its project."""
    if not is_logged_in(user):
        return False
    return (
        group.created_by_id == user.id
        or is_site_admin(user)
        or rank_in(user, group.project) >= RANK["moderator"]
    )


# --------------------------------------------------------------- moderating discussions


def _moderates_open(user: Any, discussion: Discussion) -> bool:
    return discussion.is_listed and moderates(user, discussion.project)


#: The actions on a discussion, each its own rule (so a package's veto, or a later change of
#: who may, can tell them apart), each its project's moderators' while it is listed (neither
#: merged nor held).
DISCUSSION_ACTIONS = {
    "discussion.lock": "lock or unlock: no replies but its moderators' while locked",
    "discussion.pin": "pin or unpin: listed first on its board and item",
    "discussion.move": "move to another board or item of the same project",
    "discussion.merge": "merge into another (asked of both: the one merged away, the one kept)",
    "discussion.split": "split chosen replies off into a new discussion",
}
for _name in DISCUSSION_ACTIONS:
    rule(_name)(_moderates_open)


@rule("comment.moderate")
def _comment_moderate(user: Any, comment: Comment) -> bool:
    """Edit someone's comment with a note shown under it (not a deleted or hidden one: hide,
    or show it again first)."""
    return comment.is_visible and _moderates_open(user, comment.discussion)
