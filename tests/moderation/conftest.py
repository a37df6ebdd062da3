"""Fixtures of the moderation tests: a project with a person in every role, an item with a
discussion and a board discussion; and a second project with its own moderator and content,
for "a moderator of project A has no power in B"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.moderation.people import notices, world  # noqa: F401

ROLES = ("volunteer", "team", "expert", "moderator", "admin")


@pytest.fixture
def heritage(make):
    owner = make.admin()
    project = make.project("asylum", owner=owner, title="Asylum registers")
    people = {role: make.member(project, role, username=f"a_{role}") for role in ROLES}
    item = make.item(project, prefix="reg")
    thread = make.discussion(
        project, people["volunteer"], item=item, board="Item discussions", title="Page 4"
    )
    chat = make.discussion(project, people["volunteer"], title="Hello all")
    other = make.project("parish", owner=make.admin(), title="Parish minutes")
    other_moderator = make.member(other, "moderator", username="b_moderator")
    other_item = make.item(other, prefix="min")
    other_thread = make.discussion(
        other, other_moderator, item=other_item, board="Item discussions", title="Minutes"
    )
    return SimpleNamespace(
        project=project,
        people=people,
        item=item,
        thread=thread,
        chat=chat,
        other=other,
        other_moderator=other_moderator,
        other_item=other_item,
        other_thread=other_thread,
    )


def add_warning(app, heritage, title="Historic language", text="Terms of the 1910s.", on=()):
    """A warning written by the project's moderator through the service, attached to each
    ``(kind, ref)`` of ``on``; returns its id."""
    from moderation import content_warnings
    from talk.extensions import db
    from talk.models import Project, User

    with app.app_context():
        moderator = db.session.get(User, heritage.people["moderator"].id)
        project = db.session.get(Project, heritage.project.id)
        warning = content_warnings.create_warning(moderator, project, title, text)
        for kind, ref in on:
            target = content_warnings.find_target(moderator, project, kind, ref)
            content_warnings.attach(moderator, warning, target)
        db.session.commit()
        return warning.id
