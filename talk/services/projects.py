"""Projects, their boards and members."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from talk import markdown, policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.image_hosts import IMAGE_HOST_PROBLEM, image_host
from talk.limits import (
    MAX_BOARD_DESCRIPTION,
    MAX_BOARD_TITLE,
    MAX_IMAGE_HOSTS,
    MAX_MEMBER_LABEL,
    MAX_PROJECT_DESCRIPTION,
    MAX_PROJECT_SLUG,
    MAX_PROJECT_TITLE,
)
from talk.models import (
    ACCESS_LEVELS,
    ROLES,
    Board,
    BoardKind,
    Comment,
    Membership,
    Project,
    User,
)
from talk.policy import Actor
from talk.search.languages import check_settings as check_search_settings
from talk.services import mentions
from talk.services.validation import clean_text, conflict_on_duplicate, slug_problem

DEFAULT_GENERAL_BOARDS = (
    ("Help", "Questions about the project and how to take part."),
    ("Chat", "Anything else you'd like to talk about."),
    ("Research", "Share what you've found out about the collection."),
)


def get_project(slug: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise NotFound(f"No project {slug!r}.")
    return project


def create_project(
    actor: Actor,
    slug: str,
    title: str,
    description: str = "",
    settings: dict[str, Any] | None = None,
    *,
    image_hosts: Sequence[str] = (),
    general_boards: Iterable[tuple[str, str]] = DEFAULT_GENERAL_BOARDS,
    owner: User | None = None,
) -> Project:
    """Create a project with its items board and general boards.

    ``owner`` (default: the actor) becomes its owner. The operator is nobody's account, so a
    command must name the owner.
    """
    policy.require(actor, "project.create")
    if owner is None and isinstance(actor, User):  # the operator owns nothing
        owner = actor
    if owner is None:
        raise InvalidInput("A project needs an owner.", {"owner": ["Required."]})
    slug = clean_text(slug, "slug", max_length=MAX_PROJECT_SLUG)
    if problem := slug_problem(slug):
        raise InvalidInput("Slug is not valid.", {"slug": [problem]})
    title = clean_text(title, "title", max_length=MAX_PROJECT_TITLE)
    description = clean_text(
        description, "description", max_length=MAX_PROJECT_DESCRIPTION, required=False
    )
    check_search_settings(settings)
    hosts = clean_image_hosts(image_hosts)
    if db.session.scalar(select(Project.id).where(Project.slug == slug)):
        raise Conflict(f"A project {slug!r} exists already.", {"slug": ["Already taken."]})
    now = utcnow()
    project = Project(
        slug=slug,
        title=title,
        description=description,
        settings=settings or {},
        image_hosts=hosts,
        created_at=now,
        item_count=0,
        discussion_count=0,
        comment_count=0,
    )
    with conflict_on_duplicate(f"A project {slug!r} exists already.", {"slug": ["Already taken."]}):
        db.session.add(project)
    _add_board(
        project,
        BoardKind.ITEMS,
        "Item discussions",
        "Talk about a particular item: each item has its own threads.",
        0,
    )
    for position, (board_title, board_description) in enumerate(general_boards, start=1):
        _add_board(project, BoardKind.GENERAL, board_title, board_description, position)
    db.session.add(Membership(project=project, user_id=owner.id, role="owner", created_at=now))
    db.session.flush()
    policy.forget_roles()
    signals.project_created.send(project, actor=actor)
    return project


def clean_image_hosts(hosts: Any) -> list[str]:
    """The trusted image hosts as stored (:func:`talk.image_hosts.image_host`), without repeats;
    every entry that is not a host name is named in one refusal."""
    if isinstance(hosts, str) or not isinstance(hosts, list | tuple):
        raise InvalidInput("image_hosts must be a list.", {"image_hosts": ["Must be a list."]})
    if len(hosts) > MAX_IMAGE_HOSTS:
        raise InvalidInput(
            "Too many image hosts.", {"image_hosts": [f"Name at most {MAX_IMAGE_HOSTS}."]}
        )
    cleaned: dict[str, None] = {}
    problems: dict[str, list[str]] = {}
    for index, entry in enumerate(hosts):
        host = image_host(entry)
        if host is None:
            problems[f"image_hosts.{index}"] = [IMAGE_HOST_PROBLEM]
        else:
            cleaned[host] = None
    if problems:
        raise InvalidInput("Some image hosts are not host names.", problems)
    return list(cleaned)


def set_image_hosts(actor: Actor, project: Project, hosts: Any) -> Project:
    """Trust images from ``hosts`` in the project's comments (project admins and owners).

    Comments are stored rendered, so those that show an image (``![…](…)`` in their text) are
    rendered again with the new list: an image from a host no longer trusted becomes a link,
    one from a newly trusted host shows. Only those comments are read (a ``LIKE`` over the
    project's comments), and nothing else about them changes (no signal, no revision)."""
    policy.require(actor, "project.manage", project)
    cleaned = clean_image_hosts(hosts)
    if cleaned == project.image_hosts:
        return project
    project.image_hosts = cleaned
    with_images = (
        select(Comment)
        .where(
            Comment.project_id == project.id,
            Comment.deleted_at.is_(None),
            Comment.body.contains("!["),
        )
        .options(selectinload(Comment.author), selectinload(Comment.discussion))
    )
    for comment in db.session.scalars(with_images):
        links = mentions.comment_links(
            comment.author, comment.discussion, comment.body, editing=comment, check_limits=False
        )
        comment.body_html = markdown.render(comment.body, links, image_hosts=cleaned)
    db.session.flush()
    return project


def _add_board(
    project: Project,
    kind: BoardKind,
    title: str,
    description: str,
    position: int,
    read_level: str = "everyone",
    write_level: str = "logged-in",
) -> Board:
    board = Board(
        project=project,
        kind=kind,
        title=title,
        description=description,
        read_level=read_level,
        write_level=write_level,
        position=position,
        created_at=utcnow(),
        discussion_count=0,
        comment_count=0,
    )
    db.session.add(board)
    return board


def _check_level(value: str, field: str) -> str:
    if value not in ACCESS_LEVELS:
        raise InvalidInput(
            f"{field} is not a known level.", {field: [f"Use one of: {', '.join(ACCESS_LEVELS)}."]}
        )
    return value


def create_board(
    actor: Actor,
    project: Project,
    title: str,
    description: str = "",
    *,
    read_level: str = "everyone",
    write_level: str = "logged-in",
) -> Board:
    """Add a general board. Writing never needs less than being logged in."""
    policy.require(actor, "board.create", project)
    title = clean_text(title, "title", max_length=MAX_BOARD_TITLE)
    description = clean_text(
        description, "description", max_length=MAX_BOARD_DESCRIPTION, required=False
    )
    _check_level(read_level, "read_level")
    _check_level(write_level, "write_level")
    if write_level == "everyone":
        write_level = "logged-in"
    if ACCESS_LEVELS.index(write_level) < ACCESS_LEVELS.index(read_level):
        raise InvalidInput(
            "Whoever may write to a board must be able to read it.",
            {"write_level": ["Must be at least as strict as read_level."]},
        )
    position = max((b.position for b in project.boards), default=0) + 1
    board = _add_board(
        project, BoardKind.GENERAL, title, description, position, read_level, write_level
    )
    db.session.flush()
    return board


def get_board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        raise NotFound(f"No board {board_id}.")
    return board


def readable_boards(viewer: Any, project: Project) -> list[Board]:
    return [b for b in project.boards if policy.may(viewer, "board.read", b)]


@dataclass
class ProjectAsSeen:
    """A project as one viewer sees it: the boards that viewer may read, and its discussion and
    comment counts over those boards only. The stored counters include team-only boards, so
    showing them would tell a visitor how busy a board closed to them is."""

    project: Project
    boards: list[Board]

    @property
    def discussion_count(self) -> int:
        return sum(board.discussion_count for board in self.boards)

    @property
    def comment_count(self) -> int:
        return sum(board.comment_count for board in self.boards)

    @property
    def last_activity_at(self) -> datetime | None:
        return max((b.last_activity_at for b in self.boards if b.last_activity_at), default=None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.project, name)


def as_seen_by(viewer: Any, shown: Sequence[Project]) -> list[ProjectAsSeen]:
    """``shown`` as ``viewer`` sees each (:class:`ProjectAsSeen`), their boards in one query."""
    boards: dict[int, list[Board]] = {project.id: [] for project in shown}
    if boards:
        query = (
            select(Board)
            .where(Board.project_id.in_(boards), policy.readable_boards_filter(viewer))
            .order_by(Board.position, Board.id)
        )
        for board in db.session.scalars(query):
            boards[board.project_id].append(board)
    return [ProjectAsSeen(project, boards[project.id]) for project in shown]


def memberships(project: Project, user_ids: Iterable[int] | None = None) -> dict[int, Membership]:
    """Members of ``project`` keyed by user id (all of them, or just ``user_ids``) in one query."""
    query = select(Membership).where(Membership.project_id == project.id)
    if user_ids is not None:
        ids = set(user_ids)
        if not ids:
            return {}
        query = query.where(Membership.user_id.in_(ids))
    return {m.user_id: m for m in db.session.scalars(query)}


#: A staff member's visible label when they have no title of their own. Volunteers carry none.
ROLE_NAMES = {
    "team": "Project team",
    "expert": "Expert",
    "moderator": "Moderator",
    "admin": "Project admin",
    "owner": "Project owner",
}


def staff_labels(project: Project, user_ids: Iterable[int]) -> dict[int, str]:
    """Visible labels of the project's staff among ``user_ids`` (one query): an expert's own
    title such as "Herbarium curator", else the role's name. Volunteers carry none."""
    labels: dict[int, str] = {}
    for user_id, membership in memberships(project, user_ids).items():
        if membership.role in ROLE_NAMES:
            labels[user_id] = membership.label or ROLE_NAMES[membership.role]
    return labels


def set_role(actor: Actor, project: Project, user: User, role: str, label: str = "") -> Membership:
    """Give ``user`` ``role`` in ``project`` (``label`` is the visible expert title)."""
    policy.require(actor, "members.manage", project)
    if role not in ROLES:
        raise InvalidInput("Unknown role.", {"role": [f"Use one of: {', '.join(ROLES)}."]})
    label = clean_text(label, "label", max_length=MAX_MEMBER_LABEL, required=False)
    membership = memberships(project, [user.id]).get(user.id)
    previous = membership.role if membership else None
    if "owner" in (role, previous):
        policy.require(actor, "members.grant_owner", project)
    if previous == "owner" and role != "owner":
        _keep_an_owner(project, user)
    if membership is None:
        membership = Membership(
            project=project, user_id=user.id, role=role, label=label, created_at=utcnow()
        )
        db.session.add(membership)
    else:
        membership.role = role
        membership.label = label
    db.session.flush()
    policy.forget_roles()
    signals.role_changed.send(membership, actor=actor, previous_role=previous, removed=False)
    return membership


def remove_member(actor: Actor, project: Project, user: User) -> None:
    policy.require(actor, "members.manage", project)
    membership = memberships(project, [user.id]).get(user.id)
    if membership is None:
        raise NotFound(f"{user.username} has no role in {project.slug}.")
    if membership.role == "owner":
        policy.require(actor, "members.grant_owner", project)
        _keep_an_owner(project, user)
    db.session.delete(membership)
    db.session.flush()
    policy.forget_roles()
    signals.role_changed.send(membership, actor=actor, previous_role=membership.role, removed=True)


def _keep_an_owner(project: Project, leaving: User) -> None:
    others = db.session.scalar(
        select(Membership.id).where(
            Membership.project_id == project.id,
            Membership.role == "owner",
            Membership.user_id != leaving.id,
        )
    )
    if others is None:
        raise Conflict("A project needs at least one owner.", {"role": ["This is the last owner."]})
