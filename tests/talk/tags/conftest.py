"""Fixtures for hashtag and mention tests: reading the stored tag state, recounting it from the
uses, and a few writes the Factory does not offer (edit, delete)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from talk.extensions import db
from tests.conftest import snapshot
from tests.talk.tags.tag_counts import recounted_state, stored_state


@pytest.fixture
def herbarium(make: Any) -> SimpleNamespace:
    return make.project("herbarium")


@pytest.fixture
def tag_state(app: Flask) -> Any:
    """``tag_state(project)``: the stored aggregates, after checking they equal a recount."""

    def read(project: SimpleNamespace) -> dict[str, Any]:
        with app.app_context():
            stored = stored_state(project.id)
            assert stored == recounted_state(project.id)
            return stored

    return read


@pytest.fixture
def edit(make: Any) -> Any:
    """``edit(comment_id, author, body)`` through the service."""

    def run(comment_id: int, author: SimpleNamespace, body: str) -> SimpleNamespace:
        from talk.models import Comment, User
        from talk.services import discussions

        with make.context():
            comment = discussions.edit_comment(
                db.session.get(User, author.id), db.session.get(Comment, comment_id), body
            )
            return snapshot(comment)

    return run


@pytest.fixture
def remove(make: Any) -> Any:
    """``remove(comment_id, actor)``: soft-delete through the service."""

    def run(comment_id: int, actor: SimpleNamespace) -> None:
        from talk.models import Comment, User
        from talk.services import discussions

        with make.context():
            discussions.delete_comment(
                db.session.get(User, actor.id), db.session.get(Comment, comment_id)
            )

    return run


@pytest.fixture
def body_html(app: Flask) -> Any:
    """``body_html(comment_id)``: the stored HTML of a comment."""

    def read(comment_id: int) -> str:
        from talk.models import Comment

        with app.app_context():
            return db.session.get(Comment, comment_id).body_html

    return read


@pytest.fixture
def mentions_of(app: Flask) -> Any:
    """``mentions_of(comment_id)``: the comment's recorded mentions as (kind, target) pairs,
    targets being usernames, group names and external ids."""

    def read(comment_id: int) -> set[tuple[str, str]]:
        from talk.models import Mention

        with app.app_context():
            found = set()
            for m in db.session.scalars(select(Mention).where(Mention.comment_id == comment_id)):
                target = {
                    "user": lambda m: m.user.username,
                    "group": lambda m: m.group_name,
                    "item": lambda m: m.item.external_id,
                }[m.kind.value](m)
                found.add((m.kind.value, target))
            return found

    return read


@pytest.fixture
def staff_board(make: Any) -> Any:
    """``staff_board(project)``: a general board only the project team and up may read."""

    def create(project: SimpleNamespace, title: str = "Team room") -> SimpleNamespace:
        from talk.models import Project, User
        from talk.services import projects

        with make.context():
            board = projects.create_board(
                db.session.get(User, project.owner.id),
                db.session.get(Project, project.id),
                title,
                read_level="team",
                write_level="team",
            )
            project.boards[title] = snapshot(board)
            return project.boards[title]

    return create
