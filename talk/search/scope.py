"""What a search's filters name, resolved and checked (:func:`talk.search.search`): the
project, board, item and tag it is limited to, its period, and the languages it searches in.
Each problem is a clear 4xx naming the filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from talk import policy
from talk.errors import InvalidInput, NotFound
from talk.extensions import db
from talk.limits import MAX_ID
from talk.models import Board, Item, Project
from talk.search.languages import DEFAULT_LANGUAGE, project_language


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` query argument (blank: none); anything else is a clear 422."""
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date written YYYY-MM-DD.", {name: ["Not a date like 2026-03-14."]}
        ) from None


def search_scope(slug: str) -> Project:
    """The project a search is limited to (404 when there is none)."""
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise NotFound(f"No project {slug!r}.")
    return project


def board(viewer: Any, board_id: int, project: Project | None) -> Board:
    board = db.session.get(Board, board_id) if 0 < board_id <= MAX_ID else None
    if (
        board is None
        or (project is not None and board.project_id != project.id)
        or not policy.may(viewer, "board.read", board)
    ):
        where = f" in project {project.slug!r}" if project is not None else ""
        raise NotFound(f"No board {board_id}{where}.")
    return board


def item(project: Project | None, external_id: str) -> Item:
    if project is None:
        raise InvalidInput(
            "Searching one item needs its project.", {"project": ["Required with item."]}
        )
    item = db.session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == external_id)
    )
    if item is None:
        raise NotFound(f"No item {external_id!r} in project {project.slug!r}.")
    return item


def tag_id(project: Project | None, name: str) -> int:
    if project is None:
        raise InvalidInput(
            "Searching one tag needs its project.", {"project": ["Required with tag."]}
        )
    from talk.services import tags

    return tags.get_tag(project, name.strip().lstrip("#")).id


def period(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(
            "The search period ends before it starts.", {"to": ["Must not be before 'from'."]}
        )
    since = datetime.combine(date_from, time(), UTC) if date_from else None
    # The end of the day ``to`` is the start of the next; the calendar's last day has no next,
    # so ``to`` that day bounds nothing: no upper bound, not an overflow.
    before = _start_of_next_day(date_to) if date_to else None
    return since, before


def _start_of_next_day(day: date) -> datetime | None:
    if day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def check_text(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if "\x00" in value or len(value) > 300:
        raise InvalidInput(f"{name} is not valid.", {name: ["Too long or contains a NUL byte."]})
    return value.strip()


def languages(project: Project | None) -> list[str]:
    """The search languages of the projects searched: one, or every one in use."""
    if project is not None:
        return [project_language(project.settings)]
    settings = db.session.scalars(select(Project.settings))
    return sorted({project_language(s) for s in settings}) or [DEFAULT_LANGUAGE]
