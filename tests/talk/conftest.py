"""Fixtures shared by the page and API tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import snapshot


@pytest.fixture
def make_board(make: Any) -> Any:
    """``make_board(project, title, read_level=..., write_level=...)`` through the service."""

    def board(project: SimpleNamespace, title: str, **levels: str) -> SimpleNamespace:
        from talk.extensions import db
        from talk.models import Project, User
        from talk.services import projects

        with make.context():
            created = projects.create_board(
                db.session.get(User, project.owner.id),
                db.session.get(Project, project.id),
                title,
                **levels,
            )
            result = snapshot(created)
        project.boards[title] = result
        return result

    return board
