"""The core's thread-actions table (:mod:`tests.talk.test_threads_permissions`) tried as its
ninth role, a volunteer suspended from the project: suspensions are the moderation package's,
so the row lives here and the core's tests stay free of it. Every thread action is refused
(403) and changes nothing, on pages and API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from moderation import sanctions
from talk.extensions import db
from talk.models import Project, User
from tests.talk.test_threads_permissions import ROUTES, place, send, state

__all__ = ["place"]  # the fixture, used by name


def _suspended(place: SimpleNamespace) -> Any:
    make = place.make
    person = make.user("suspended")
    moderator = make.member(place.project, "moderator", username="suspender")
    with make.context():
        sanctions.suspend(
            db.session.get(User, moderator.id),
            db.session.get(Project, place.project.id),
            db.session.get(User, person.id),
            days=30,
            reason="spam",
        )
    return person


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_suspended_volunteer_takes_no_thread_action(
    app: Any, client: Any, token: Any, place: SimpleNamespace, route: Any
) -> None:
    person = _suspended(place)
    before = state(app, place)
    response = send(client, token, place, person, route)
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert state(app, place) == before
