"""The permission policy: every "may this user do that to this?" in Talk is answered here.

Rules are named (``"comment.edit"``) and looked up with :func:`may` / :func:`require`; views, the
API, the CLI and templates (``may('comment.edit', comment)``) all ask the same question the same
way. A rule takes the user (an anonymous user when nobody is logged in) and a target.

Role ranks: volunteer < team = expert < moderator < admin < owner; site admins pass every rule.
A board's read/write level names the lowest rank that passes: ``everyone``, ``logged-in``,
``team``, ``moderators``, ``admins``.

Other packages extend the policy without the core importing them: they add named rules with
:func:`rule`, register a **veto** (:func:`register_veto`) consulted for every rule that is not
declared ``read=True`` (a suspension, a locked discussion, a read-only project), and register
**content checks** (:func:`register_content_check`) run wherever user text enters Talk.
Commands and the worker act as :data:`OPERATOR`, never as ``None``.

**Project-scoped API tokens.** A request made with a token limited to one project
(:func:`limit_to_project`) keeps its user's rights in that project only. Everywhere else every
rule is answered as for an anonymous visitor when it is about reading (public boards stay
readable, restricted ones are hidden as from anyone), and refused with a 403 naming the scope
when it is about acting, or about the site or an account rather than a project (creating
projects, managing tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeAlias

from flask import g, has_app_context
from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true

from talk.errors import InvalidInput, NotAuthenticated, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Membership, Project, User

RANK = {"volunteer": 0, "team": 1, "expert": 1, "moderator": 2, "admin": 3, "owner": 4}
LEVEL_RANK = {"team": 1, "moderators": 2, "admins": 3}

Rule = Callable[[Any, Any], bool]
#: ``veto(actor, action, target)``: a reason to refuse (shown to the actor), or None to allow.
Veto = Callable[[Any, str, Any], "str | None"]
#: ``check(actor, kind, target, text)``: raises a :class:`talk.errors.TalkError` to refuse;
#: returns a reason (one sentence said to the writer) to hold a new comment for a moderator's
#: approval, or None to let it through.
ContentCheck = Callable[[Any, str, Any, str], "str | None"]

#: Where user text enters Talk; a content check is told which, and the target it is written to.
CONTENT_KINDS = (
    "comment",  # target: the Discussion replied in (a new comment) or the Comment edited
    "discussion",  # target: the Board or Item it is started on; text: title and first comment
    "tag_name",  # target: the Project; text: names a curator adds (curate, synonym, rename)
    "tag_description",  # target: the Tag being curated
    "tag_group",  # target: the Project (a new group) or the TagGroup being changed
    "profile",  # target: the User whose profile changes
    "registration",  # target: the email address; actor: the visitor, a site admin or the
    # operator; text: username and display name
)

_RULES: dict[str, Rule] = {}
_READ_RULES: set[str] = set()
_VETOES: list[Veto] = []
_CONTENT_CHECKS: list[ContentCheck] = []


class Operator:
    """The person at the command line, or the worker: acts with full rights, is nobody's
    account (no ``id``), and is recognised by every rule as a site admin. Services require an
    actor; commands pass :data:`OPERATOR` instead of ``None``."""

    id = None
    username = "operator"
    display_name = "Operator"
    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_site_admin = True

    def __repr__(self) -> str:
        return "<Operator>"


OPERATOR = Operator()

#: Who performs an operation: a user's account, or the operator (commands, the worker).
Actor: TypeAlias = User | Operator


def is_operator(actor: Any) -> bool:
    return isinstance(actor, Operator)


ANONYMOUS = AnonymousUserMixin()


@dataclass(frozen=True)
class TokenScope:
    """The project a request's API token is limited to, for that token's user."""

    user_id: int
    project_id: int
    project_slug: str

    @property
    def refusal(self) -> str:
        return f"This API token is limited to the project '{self.project_slug}'."


def limit_to_project(user: User, project: Project) -> None:
    """Limit ``user``'s rights to ``project`` for the rest of this request (the API calls it
    for a project-scoped token). Only that user is limited: rules asked about others (who may
    read a mention) are answered as usual."""
    g.talk_token_scope = TokenScope(user.id, project.id, project.slug)


def token_scope(user: Any) -> TokenScope | None:
    """The scope limiting ``user`` in this request, if any."""
    if not has_app_context():
        return None
    scope: TokenScope | None = g.get("talk_token_scope")
    if scope is None or not _person(user) or user.id != scope.user_id:
        return None
    return scope


def project_of(target: Any) -> Project | None:
    """The project a rule's target belongs to; None for site-level targets (an account, an
    address, nothing)."""
    if isinstance(target, Project):
        return target
    if isinstance(target, Comment):
        return target.discussion.project
    project = getattr(target, "project", None)
    return project if isinstance(project, Project) else None


def rule(name: str, *, read: bool = False) -> Callable[[Rule], Rule]:
    """Register ``fn`` as the rule ``name``; vetoes are consulted unless ``read`` is set."""

    def register(fn: Rule) -> Rule:
        _RULES[name] = fn
        if read:
            _READ_RULES.add(name)
        else:
            _READ_RULES.discard(name)
        return fn

    return register


def register_veto(veto: Veto) -> Veto:
    """Add a veto (usable as a decorator); every write rule asks each veto in turn. Adding the
    same function again changes nothing, so a package's ``init_app`` may run for many apps."""
    if veto not in _VETOES:
        _VETOES.append(veto)
    return veto


def register_content_check(check: ContentCheck) -> ContentCheck:
    """Add a content check (usable as a decorator); checks run in registration order, and
    adding the same function again changes nothing."""
    if check not in _CONTENT_CHECKS:
        _CONTENT_CHECKS.append(check)
    return check


def check_content(
    actor: Any, kind: str, target: Any, text: str, *, can_hold: bool = False
) -> str | None:
    """Run every content check on ``text`` about to be written as ``kind`` to ``target``.

    Returns the first reason a check gave to hold it for a moderator's approval (every check
    still runs, so a later refusal wins). Only a new reply can wait (``can_hold``); anywhere
    else a hold refuses the text with its reason, changing nothing."""
    if kind not in CONTENT_KINDS:
        raise ValueError(f"unknown content kind {kind!r}")
    held: str | None = None
    for check in _CONTENT_CHECKS:
        reason = check(actor, kind, target, text)
        held = held or reason
    if held and not can_hold:
        raise InvalidInput(
            f"{held} Only a new reply can wait for a moderator: change the text, or post it "
            "as a reply.",
            {"body": ["Needs a moderator's approval."]},
        )
    return held


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_logged_in(user: Any) -> bool:
    """Whether ``user`` is a logged-in account (or the operator), not an anonymous visitor."""
    return _authenticated(user)


#: Stands for "any logged-in volunteer" (no role anywhere) when asking whether something is open
#: to everyone with an account: logging in would then be all an anonymous visitor needs.
ANY_VOLUNTEER = SimpleNamespace(id=0, is_authenticated=True, is_site_admin=False)


def _person(user: Any) -> bool:
    """A logged-in account: what may author content (the operator administers, never writes
    comments, discussions or tag groups of its own)."""
    return _authenticated(user) and not is_operator(user)


def _site_admin(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_site_admin)


def role_in(user: Any, project: Project) -> str | None:
    """The user's role in the project (None for anonymous users and non-members).

    Cached per request/app context, so asking about fifty comments costs one query.
    """
    if not _person(user):
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


@rule("account.register")
def _account_register(_user: Any, _target: Any) -> bool:
    """Anyone may sign up; the target is the address (a veto can close registration, or
    refuse an address)."""
    return True


@rule("account.make_site_admin")
def _account_make_site_admin(user: Any, _target: Any) -> bool:
    return _site_admin(user)


@rule("account.end_sessions")
def _account_end_sessions(user: Any, account: User) -> bool:
    """Log an account out everywhere: its owner, site admins and the operator. (The service
    never asks about one's own sessions, so no veto can keep anyone logged in.)"""
    return _site_admin(user) or (_person(user) and user.id == account.id)


@rule("account.settings", read=True)
def _account_settings(user: Any, account: User) -> bool:
    """Change an account's display name, time zone, password or address: its owner alone.
    Declared a read so that no veto (a suspension) keeps anyone from securing their account;
    a display name still passes the content checks (kind ``profile``)."""
    return _person(user) and user.id == account.id


@rule("user.block", read=True)
def _user_block(user: Any, person: Any) -> bool:
    """Block or unblock a person (``talk.services.blocks``): any account, anyone but themselves.
    A read, so that no veto (a suspension) keeps anyone from shutting out a harasser."""
    return _person(user) and isinstance(person, User) and user.id != person.id


@rule("account.disable")
def _account_disable(user: Any, account: User) -> bool:
    """Disable or enable an account: site admins and the operator, never on their own."""
    return _site_admin(user) and getattr(user, "id", None) != account.id


@rule("token.create")
def _token_create(user: Any, account: User) -> bool:
    """Make an API token for an account: its owner, or the operator (``talk create-token``)."""
    return is_operator(user) or (_person(user) and user.id == account.id)


@rule("token.manage", read=True)
def _token_manage(user: Any, account: User) -> bool:
    """List and revoke an account's tokens: its owner alone (not even a site admin sees them).
    Declared a read so that no veto (a suspension) can keep a token from being revoked."""
    return _person(user) and user.id == account.id


@rule("project.create")
def _project_create(user: Any, _target: Any) -> bool:
    return _site_admin(user)


@rule("project.manage")
def _project_manage(user: Any, project: Project) -> bool:
    return _site_admin(user) or rank_in(user, project) >= RANK["admin"]


@rule("members.view", read=True)
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


@rule("board.read", read=True)
def _board_read(user: Any, board: Board) -> bool:
    return meets_level(user, board.project, board.read_level)


@rule("board.start_discussion")
def _board_start(user: Any, board: Board) -> bool:
    return (
        _person(user)
        and _board_read(user, board)
        and meets_level(user, board.project, board.write_level)
    )


@rule("item.start_discussion")
def _item_start(user: Any, item: Item) -> bool:
    return _board_start(user, items_board(item.project))


@rule("discussion.read", read=True)
def _discussion_read(user: Any, discussion: Discussion) -> bool:
    return _board_read(user, discussion.board)


@rule("discussion.reply")
def _discussion_reply(user: Any, discussion: Discussion) -> bool:
    """A locked discussion takes replies from its moderators only (to say why); a merged one
    from nobody (its comments live on in the discussion it was merged into)."""
    if discussion.is_merged:
        return False
    if discussion.is_locked and not moderates(user, discussion.project):
        return False
    return _board_start(user, discussion.board)


@rule("comment.preview")
def _comment_preview(user: Any, board: Board) -> bool:
    """Seeing how a comment would look: for anyone who may write, somewhere they may read."""
    return _person(user) and _board_read(user, board)


@rule("people.suggest")
def _people_suggest(user: Any, project: Project) -> bool:
    """Suggesting names to @mention while writing: only for people who write, so an anonymous
    visitor cannot use it to list accounts."""
    return _person(user)


@rule("comment.edit")
def _comment_edit(user: Any, comment: Comment) -> bool:
    """Authors edit their own comments, except in a locked discussion (the lock freezes it)."""
    return (
        _authenticated(user)
        and comment.author_id == user.id
        and comment.is_visible
        and not comment.discussion.is_locked
        and _discussion_read(user, comment.discussion)
    )


@rule("comment.delete")
def _comment_delete(user: Any, comment: Comment) -> bool:
    if comment.is_deleted or not _authenticated(user):
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
    if not _authenticated(user) or not _discussion_read(user, comment.discussion):
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


def moderates(user: Any, project: Project) -> bool:
    """Site admins, and the project's moderators and admins: a moderator of one project has no
    power in another."""
    if not _authenticated(user):
        return False
    return _site_admin(user) or rank_in(user, project) >= RANK["moderator"]


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
    return _person(user)


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
    :func:`meets_level`; ``tests/talk/test_policy.py`` checks that it does for every role.
    A project-scoped token's user reads other projects' boards as an anonymous visitor."""
    scope = token_scope(user)
    if scope is not None:
        return or_(
            and_(Board.project_id == scope.project_id, _readable_boards(user)),
            _readable_boards(ANONYMOUS),
        )
    return _readable_boards(user)


def _readable_boards(user: Any) -> ColumnElement[bool]:
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


def readable_board_ids(user: Any) -> Select[int]:
    """The ids of the boards ``user`` may read, as a subquery for ``board_id.in_(...)``."""
    return select(Board.id).where(readable_boards_filter(user))


def _decide(user: Any, action: str, target: Any) -> tuple[bool, str | None]:
    """(allowed, the veto's reason when a veto refused what the rule allowed)."""
    try:
        check = _RULES[action]
    except KeyError:
        raise KeyError(f"no permission rule named {action!r}") from None
    scope = token_scope(user)
    if scope is not None:
        project = project_of(target)
        if project is None or (project.id != scope.project_id and action not in _READ_RULES):
            return False, scope.refusal
        if project.id != scope.project_id:
            user = ANONYMOUS
    if not check(user, target):
        return False, None
    if action not in _READ_RULES:
        for veto in _VETOES:
            if (reason := veto(user, action, target)) is not None:
                return False, reason
    return True, None


def may(user: Any, action: str, target: Any = None) -> bool:
    return _decide(user, action, target)[0]


def refusal(user: Any, action: str, target: Any = None) -> str | None:
    """Why a veto refuses ``user`` what the rule alone would allow (shown on pages in place of
    the form: "You are muted in this project until 3 April"); None otherwise."""
    return _decide(user, action, target)[1]


def require(user: Any, action: str, target: Any = None) -> None:
    """Raise ``NotAuthenticated`` (anonymous) or ``PermissionDenied`` unless allowed; a veto's
    refusal carries its reason."""
    allowed, reason = _decide(user, action, target)
    if allowed:
        return
    if reason is not None:  # a veto refused what the rule allowed: say why, even to a visitor
        raise PermissionDenied(reason)
    if not _authenticated(user):
        raise NotAuthenticated("Log in to do this.")
    raise PermissionDenied("You do not have permission to do this.")


def rule_names() -> list[str]:
    return sorted(_RULES)


# The moderators' rules for discussions (lock, pin, move, merge, split, edit with a note).
from talk import policy_threads  # noqa: E402,F401
