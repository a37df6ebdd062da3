"""Tag groups: a saved tag query (``#nurse AND #smallpox``) shown as a live collection of items.

A group keeps its query as typed and is evaluated at every read (:mod:`talk.services.tag_matching`),
so a synonym, a later merge or a tag first used after the group was saved folds in by itself. A
name no tag answers to matches no item (saving warns about it, but does not refuse it: the group
fills as soon as someone uses the tag).

Anyone may read a group; creating one needs a login (``tag_group.create``), changing or deleting
it ``tag_group.manage``. A group's title, description and query pass the content checks
(``policy.check_content``, kind ``tag_group``) before they are written.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.limits import MAX_GROUP_DESCRIPTION, MAX_GROUP_SLUG, MAX_GROUP_TITLE
from talk.models import Project, TagGroup, User
from talk.pagination import Page, keyset_page
from talk.services.tag_query import parse_query
from talk.services.validation import clean_text, conflict_on_duplicate

#: Words the group pages use after ``/groups/``; a group titled "New" is ``new-2``.
RESERVED_SLUGS = frozenset({"new", "preview"})


def get_group(project: Project, slug: str) -> TagGroup:
    group = db.session.scalar(
        select(TagGroup)
        .where(TagGroup.project_id == project.id, TagGroup.slug == slug)
        .options(selectinload(TagGroup.created_by))
    )
    if group is None:
        raise NotFound(f"No tag group {slug!r} in project {project.slug!r}.")
    return group


def list_groups(project: Project, *, cursor: str | None, limit: int) -> Page[TagGroup]:
    """The project's groups by address (slug), each with its creator loaded."""
    query = (
        select(TagGroup)
        .where(TagGroup.project_id == project.id)
        .options(selectinload(TagGroup.created_by))
    )
    return keyset_page(query, [TagGroup.slug], cursor=cursor, limit=limit)


def _slug_base(title: str) -> str:
    """``"Église & nurses"`` → ``"eglise-nurses"``; a title with no Latin letters or digits
    gives ``"group"``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_GROUP_SLUG].strip("-") or "group"


#: How often saving a group looks for a free address again after losing a race for one (each
#: loss is to a writer that then holds its address, so this many writers at once all succeed).
SLUG_ATTEMPTS = 20


def _free_slug(project: Project, title: str) -> str:
    base = _slug_base(title)
    number = 1
    while True:
        candidates = []
        for n in range(number, number + 50):
            suffix = "" if n == 1 else f"-{n}"
            candidates.append(base[: MAX_GROUP_SLUG - len(suffix)].rstrip("-") + suffix)
        taken = set(
            db.session.scalars(
                select(TagGroup.slug).where(
                    TagGroup.project_id == project.id, TagGroup.slug.in_(candidates)
                )
            )
        )
        for slug in candidates:
            if slug not in taken and slug not in RESERVED_SLUGS:
                return slug
        number += 50


def _clean(
    title: str | None, description: str | None, query: str | None
) -> tuple[str | None, str | None, str | None]:
    if title is not None:
        title = clean_text(title, "title", max_length=MAX_GROUP_TITLE)
    if description is not None:
        description = clean_text(
            description, "description", max_length=MAX_GROUP_DESCRIPTION, required=False
        )
    if query is not None:
        if not query.strip():
            raise InvalidInput("query is required.", {"query": ["Must not be blank."]})
        query = query.strip()
        parse_query(query)
    return title, description, query


def _check_content(actor: Any, target: Project | TagGroup, *parts: str | None) -> None:
    """Run the content checks on the text a group's title, description and query bring in
    (those given; nothing when none is)."""
    text = "\n".join(part for part in parts if part)
    if text:
        policy.check_content(actor, "tag_group", target, text)


def create_group(
    actor: Any,
    project: Project,
    *,
    title: str,
    query: str,
    description: str = "",
    verified_only: bool = False,
) -> TagGroup:
    """Save ``query`` as a group of ``project``; its address comes from the title."""
    policy.require(actor, "tag_group.create", project)
    assert isinstance(actor, User)  # the rule refuses the operator and anonymous callers
    cleaned = _clean(title, description, query)
    new_title, new_description, new_query = cleaned
    assert new_title is not None and new_query is not None and new_description is not None
    _check_content(actor, project, *cleaned)
    now = utcnow()
    attempts = 0
    while True:
        # Two people saving "Nurses" at once both find "nurses" free; the one whose insert
        # loses the race takes the next free address instead of a 409.
        group = TagGroup(
            project=project,
            slug=_free_slug(project, new_title),
            title=new_title,
            description=new_description,
            query=new_query,
            verified_only=bool(verified_only),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        try:
            with conflict_on_duplicate(
                "Another group took this address at the same moment; please save again.",
                {"title": ["Its address was taken at the same moment; save again."]},
            ):
                db.session.add(group)
        except Conflict:
            attempts += 1
            if attempts >= SLUG_ATTEMPTS:
                raise
            continue
        return group


def edit_group(
    actor: Any,
    group: TagGroup,
    *,
    title: str | None = None,
    description: str | None = None,
    query: str | None = None,
    verified_only: bool | None = None,
) -> TagGroup:
    """Change what is given; the address (slug) stays, so shared links keep working."""
    policy.require(actor, "tag_group.manage", group)
    title, description, query = _clean(title, description, query)
    _check_content(actor, group, title, description, query)
    if title is not None:
        group.title = title
    if description is not None:
        group.description = description
    if query is not None:
        group.query = query
    if verified_only is not None:
        group.verified_only = bool(verified_only)
    group.updated_at = utcnow()
    db.session.flush()
    return group


def delete_group(actor: Any, group: TagGroup) -> None:
    """Delete the group (the items and their tags are untouched)."""
    policy.require(actor, "tag_group.manage", group)
    db.session.delete(group)
    db.session.flush()
