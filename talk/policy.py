"""The permission policy: every "may this user do that to this?" in Talk is answered here.

Rules are named (``"comment.edit"``) and looked up with :func:`may` / :func:`require`; views, the
API, the CLI and templates (``may('comment.edit', comment)``) all ask the same question the same
way. A rule takes the user (an anonymous user when nobody is logged in) and a target. This module
is the mechanism and the roles the rules are written in; the core's own rules are in
:mod:`talk.rules`, imported at the end of this module, as each package's are in its ``rules.py``.

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
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeAlias

from flask import g, has_app_context
from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true

from talk.errors import InvalidInput, NotAuthenticated, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Membership, Project, User

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
    if scope is None or not is_person(user) or user.id != scope.user_id:
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


#: A bulk-mail exclusion: given a project and the time, a SELECT of the ids of the people who
#: must not receive that project's bulk mail (newsletters) now, e.g. the suspended and banned.
AudienceExclusion = Callable[[Project, datetime], "Select[int]"]

_AUDIENCE_EXCLUSIONS: list[AudienceExclusion] = []


def register_audience_exclusion(exclusion: AudienceExclusion) -> AudienceExclusion:
    """Add a bulk-mail exclusion (usable as a decorator): a package that keeps people out of a
    project (moderation's suspensions and bans) says so here, and the package that mails
    audiences (notifications' newsletters) asks :func:`audience_exclusions` without importing
    it. Adding the same function again changes nothing."""
    if exclusion not in _AUDIENCE_EXCLUSIONS:
        _AUDIENCE_EXCLUSIONS.append(exclusion)
    return exclusion


def audience_exclusions(project: Project, now: datetime) -> list[Select[int]]:
    """Every registered exclusion's SELECT of user ids for ``project`` at ``now``."""
    return [exclusion(project, now) for exclusion in _AUDIENCE_EXCLUSIONS]


def check_content(
    actor: Any, kind: str, target: Any, text: str, *, can_hold: bool = False
) -> str | None:
    """Run every content check on ``text`` about to be written as ``kind`` to ``target``.

    Returns the first reason a check gave to hold it for a moderator's approval (every check
    still runs, so a later refusal wins). Only a new reply or a new discussion can wait
    (``can_hold``); anywhere else a hold refuses the text with its reason, changing nothing
    (an edit says so itself: :func:`talk.services.discussions.edit_comment`)."""
    if kind not in CONTENT_KINDS:
        raise ValueError(f"unknown content kind {kind!r}")
    held: str | None = None
    for check in _CONTENT_CHECKS:
        reason = check(actor, kind, target, text)
        held = held or reason
    if held and not can_hold:
        raise InvalidInput(
            f"{held} Only a new reply or discussion can wait for a moderator, so nothing was "
            "saved: change the text.",
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


def is_person(user: Any) -> bool:
    """A logged-in account: what may author content (the operator administers, never writes
    comments, discussions or tag groups of its own)."""
    return _authenticated(user) and not is_operator(user)


def is_site_admin(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_site_admin)


def role_in(user: Any, project: Project) -> str | None:
    """The user's role in the project (None for anonymous users and non-members).

    Cached per request/app context, so asking about fifty comments costs one query.
    """
    if not is_person(user):
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
    if is_site_admin(user):
        return True
    if level == "everyone":
        return True
    if not _authenticated(user):
        return False
    if level == "logged-in":
        return True
    return rank_in(user, project) >= LEVEL_RANK[level]


def moderates(user: Any, project: Project) -> bool:
    """Site admins, and the project's moderators and admins: a moderator of one project has no
    power in another."""
    if not _authenticated(user):
        return False
    return is_site_admin(user) or rank_in(user, project) >= RANK["moderator"]


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
    if is_site_admin(user):
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


def readable_boards_key(user: Any) -> tuple[Any, ...]:
    """What :func:`readable_boards_filter` depends on, as a hashable: users with equal keys get
    the same condition, so a statement built with it may be kept and reused (``talk.search``
    keeps one per shape). Must follow its branches."""
    scope = token_scope(user)
    own = _readable_boards_key(user)
    return own if scope is None else ("token", scope.project_id, own)


def _readable_boards_key(user: Any) -> tuple[Any, ...]:
    if is_site_admin(user):
        return ("site admin",)
    if not _authenticated(user):
        return ("anonymous",)
    return ("user", user.id)


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


# The core's own rules register themselves on import; packages add theirs the same way.
from talk import rules  # noqa: E402,F401
