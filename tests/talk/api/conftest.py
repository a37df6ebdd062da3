"""Fixtures for the JSON API tests: tokens, a small populated project, and database counts."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from talk.extensions import db
from tests.conftest import discussion_first_comment_id

API = "/api/v1"


@pytest.fixture
def counts(app: Flask) -> Callable[[], dict[str, Any]]:
    """``counts()``: rows per table plus every stored counter — equal before and after a refused
    request means the request changed nothing."""

    def snapshot() -> dict[str, Any]:
        from talk.models import Board, Discussion, Item, Project, User

        with app.app_context():
            result: dict[str, Any] = {
                table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables
            }
            for model in (Project, Board, Item, Discussion, User):
                columns = [
                    getattr(model, name)
                    for name in ("item_count", "discussion_count", "comment_count")
                    if hasattr(model, name)
                ]
                result[model.__name__] = db.session.execute(
                    select(*columns).order_by(model.id)
                ).all()
            return result

    return snapshot


@pytest.fixture
def world(make: Any, token: Any) -> SimpleNamespace:
    """A project with an owner (a site admin), staff, a volunteer and an outsider, each with a
    token, one item and one discussion on its Chat board."""
    owner = make.admin()
    project = make.project("herbarium", owner=owner)
    admin = make.member(project, "admin", username="projadmin")
    team = make.member(project, "team", username="staffer")
    moderator = make.member(project, "moderator", username="moddy")
    volunteer = make.user("volunteer")
    outsider = make.user("outsider")
    item = make.item(project, prefix="sheet")
    discussion = make.discussion(project, volunteer, title="What is this?", body="A *leaf*?")
    return SimpleNamespace(
        project=project,
        owner=owner,
        admin=admin,
        team=team,
        moderator=moderator,
        volunteer=volunteer,
        outsider=outsider,
        item=item,
        discussion=discussion,
        owner_auth=token(owner),
        admin_auth=token(admin),
        team_auth=token(team),
        moderator_auth=token(moderator),
        volunteer_auth=token(volunteer),
        outsider_auth=token(outsider),
    )


@pytest.fixture
def staff_board(app: Flask, world: SimpleNamespace) -> SimpleNamespace:
    """A general board only project team and up may read and write, with one discussion."""
    from talk.models import Project, User
    from talk.services import discussions, projects

    with app.app_context():
        project = db.session.get(Project, world.project.id)
        board = projects.create_board(
            db.session.get(User, world.owner.id),
            project,
            "Staff room",
            read_level="team",
            write_level="team",
        )
        discussion = discussions.start_discussion(
            db.session.get(User, world.team.id), board, "Rota", "Who is in on Friday?"
        )
        db.session.commit()
        return SimpleNamespace(
            id=board.id,
            discussion_id=discussion.id,
            comment_id=discussion_first_comment_id(discussion.id),
        )


def assert_error(response: Any, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The response is an API error of ``status``/``code`` naming at least ``fields``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code, error
    assert error["message"]
    for name in fields:
        assert name in error["fields"], error
    return error


@pytest.fixture
def expect_error() -> Callable[..., dict[str, Any]]:
    return assert_error
