"""Shared set-up for the sanction tests: a project with one person in each role, and a
recorder of the ``notice`` signal (what the person is told)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from talk import signals
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import Factory

#: The roles the route table tests, in order.
ROLES = (
    "anonymous",
    "volunteer",
    "suspended",
    "expert",
    "team",
    "moderator",
    "admin",
    "other_moderator",
    "site_admin",
)


def build_world(make: Factory) -> SimpleNamespace:
    """Project ``here`` (with a discussion) and ``elsewhere``, and a person in each role."""
    here = make.project("here", title="Asylum Registers")
    elsewhere = make.project("elsewhere", title="Ship Logs")
    people = SimpleNamespace(
        volunteer=make.user("vol"),
        suspended=make.user("sus"),
        expert=make.member(here, "expert", username="exp"),
        team=make.member(here, "team", username="tea"),
        moderator=make.member(here, "moderator", username="mod"),
        admin=make.member(here, "admin", username="adm"),
        other_moderator=make.member(elsewhere, "moderator", username="othermod"),
        site_admin=make.user("boss", site_admin=True),
    )
    discussion = make.discussion(here, people.volunteer, title="Ward 3", body="First entry")
    there = make.discussion(elsewhere, people.suspended, title="Log", body="Calm seas")
    return SimpleNamespace(
        here=here, elsewhere=elsewhere, people=people, discussion=discussion, there=there
    )


@pytest.fixture
def world(make: Factory) -> SimpleNamespace:
    return build_world(make)


@pytest.fixture
def notices() -> Iterator[list[dict[str, Any]]]:
    """What people were told, as (username, kind, text, url) dicts."""
    told: list[dict[str, Any]] = []

    def record(person: User, **kwargs: Any) -> None:
        told.append(
            {
                "to": person.username,
                "kind": kwargs["kind"],
                "text": kwargs["text"],
                "url": kwargs["url"],
            }
        )

    signals.notice.connect(record)
    yield told
    signals.notice.disconnect(record)


def user(person: SimpleNamespace) -> User:
    found = db.session.get(User, person.id)
    assert found is not None
    return found


def project(row: SimpleNamespace) -> Project:
    found = db.session.get(Project, row.id)
    assert found is not None
    return found


def logout(client: Any) -> None:
    """Log out through the real form (a POST with its CSRF token)."""
    from tests.conftest import csrf_token

    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
