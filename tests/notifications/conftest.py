"""A project to follow things in: a volunteer, a public thread about an item, and a team-only
board with a thread the volunteer may not read."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from talk.extensions import db
from tests.conftest import snapshot


@pytest.fixture
def world(make: Any) -> SimpleNamespace:
    from talk.models import Project, User
    from talk.services import discussions, projects

    project = make.project("herbarium", title="Herbarium sheets")
    volunteer = make.user("vol", display_name="Val Volunteer")
    other = make.user("other", display_name="Otto Other")
    item = make.item(project)
    thread = make.discussion(
        project, other, item=item, board="Item discussions", title="Odd #fern", body="A #fern?"
    )
    with make.context():
        owner = db.session.get(User, project.owner.id)
        team_room = projects.create_board(
            owner,
            db.session.get(Project, project.id),
            "Team room",
            read_level="team",
            write_level="team",
        )
        secret = discussions.start_discussion(owner, team_room, "Secret", "Team only")
        team_room, secret = snapshot(team_room), snapshot(secret)
    return SimpleNamespace(
        project=project,
        volunteer=volunteer,
        other=other,
        item=item,
        thread=thread,
        chat=project.boards["Chat"],
        team_room=team_room,
        secret=secret,
    )
