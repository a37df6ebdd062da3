"""Fixtures for tag group tests: items tagged through real comments, synonyms and experts'
verdicts (rows the curation work writes; inserted here as that work would leave them), and
reading what a query matches."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from talk.extensions import db
from tests.conftest import snapshot

# The shelf: which tags each item carries (item 5 carries none).
SHELF = {
    1: "#nurse #smallpox",
    2: "#nurse",
    3: "#smallpox #measles",
    4: "#nurse #measles #army",
    5: "",
    6: "#army",
}


@pytest.fixture
def herbarium(make: Any) -> SimpleNamespace:
    return make.project("herbarium")


@pytest.fixture
def tag_items(make: Any) -> Any:
    """``tag_items(project, [(item, "#a #b"), ...])``: a volunteer's comment on each item's
    thread."""

    def run(project: SimpleNamespace, bodies: list[tuple[SimpleNamespace, str]]) -> None:
        author = make.user()
        for item, body in bodies:
            if body:
                make.discussion(project, author, item=item, body=f"I see {body} here.")

    return run


@pytest.fixture
def shelf(make: Any, herbarium: SimpleNamespace, tag_items: Any) -> dict[int, SimpleNamespace]:
    """Six items of ``herbarium`` tagged as :data:`SHELF` says, by number."""
    items = make.items(herbarium, len(SHELF), prefix="sheet")
    numbered = dict(zip(SHELF, items, strict=True))
    tag_items(herbarium, [(numbered[n], body) for n, body in SHELF.items()])
    return numbered


@pytest.fixture
def synonym(make: Any) -> Any:
    """``synonym(project, "sister", "nurse")``: a tag row pointing at its canonical tag;
    ``synonym(project, "matron", None)``: a tag nobody has used (as curating one makes)."""

    def run(project: SimpleNamespace, name: str, canonical: str | None) -> None:
        from talk.clock import utcnow
        from talk.models import Tag

        with make.context():
            target = db.session.scalar(
                select(Tag).where(Tag.project_id == project.id, Tag.name == canonical)
            )
            now = utcnow()
            db.session.add(
                Tag(
                    project_id=project.id,
                    name=name,
                    created_at=now,
                    last_used_at=now,
                    canonical_id=target.id if target else None,
                )
            )

    return run


@pytest.fixture
def verdict(make: Any) -> Any:
    """``verdict(project, item, "nurse", "verified")``: an expert's verdict on an item's tag."""

    def run(project: SimpleNamespace, item: SimpleNamespace, name: str, value: str) -> None:
        from talk.clock import utcnow
        from talk.models import Tag, TagVerdict, Verdict

        with make.context():
            tag = db.session.scalar(
                select(Tag).where(Tag.project_id == project.id, Tag.name == name)
            )
            db.session.add(
                TagVerdict(
                    item_id=item.id,
                    tag_id=tag.id,
                    project_id=project.id,
                    verdict=Verdict(value),
                    decided_at=utcnow(),
                )
            )

    return run


@pytest.fixture
def matched(app: Flask) -> Any:
    """``matched(project, query, verified_only=False)``: the external ids of every matching
    item, newest first, checked against the count."""

    def run(project: SimpleNamespace, query: str, *, verified_only: bool = False) -> list[str]:
        from talk.models import Project
        from talk.services import tag_matching

        with app.app_context():
            matches = tag_matching.match(
                db.session.get(Project, project.id), query, verified_only=verified_only
            )
            found = [item.external_id for item, _tags in tag_matching.each_item(matches)]
            assert tag_matching.count_items(matches) == len(found)
            return found

    return run


@pytest.fixture
def group(make: Any) -> Any:
    """``group(project, actor, title=..., query=..., ...)`` through the service."""

    def run(project: SimpleNamespace, actor: SimpleNamespace, **values: Any) -> SimpleNamespace:
        from talk.models import Project, User
        from talk.services import tag_groups

        values.setdefault("title", "Nurses")
        values.setdefault("query", "#nurse")
        with make.context():
            created = tag_groups.create_group(
                db.session.get(User, actor.id), db.session.get(Project, project.id), **values
            )
            return snapshot(created)

    return run


def ids(shelf: dict[int, SimpleNamespace], *numbers: int) -> list[str]:
    """External ids of the shelf's items ``numbers``, newest (highest) first."""
    return [shelf[n].external_id for n in sorted(numbers, reverse=True)]


@pytest.fixture
def register(make: Any) -> Any:
    """``register(project, [{"external_id": ..., "title": ...}, ...])`` through the service."""

    def run(project: SimpleNamespace, rows: list[dict[str, Any]]) -> list[SimpleNamespace]:
        from talk.models import Project, User
        from talk.services import items

        with make.context():
            created = items.register_items(
                db.session.get(User, project.owner.id), db.session.get(Project, project.id), rows
            )
            return [snapshot(item) for item in created]

    return run


def group_count(app: Flask) -> int:
    from sqlalchemy import func

    from talk.models import TagGroup

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TagGroup))
