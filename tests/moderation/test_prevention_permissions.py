"""Every prevention route, page and API (watched words, historical terms, new volunteers'
limits, trust, held posts) × every role, from one table (issue 10, "Permissions"). Only the
project's moderators and admins, and site admins, manage them; a moderator of another project
has no power here. :mod:`tests.moderation.test_route_coverage` fails for a prevention route
without a row."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import prevention, sanctions
from talk.services import accounts, discussions
from tests.conftest import Factory, csrf_token, login, module_data
from tests.moderation.people import ROLES, build_world, project, user
from tests.moderation.test_sanction_routes import MODS, statuses


@module_data
def prevention_world(app: Flask) -> SimpleNamespace:
    """The world, plus a watched word that holds, a historical term, a reply held by it
    (written by ``newbie``, outside the roles), and ``sus`` suspended here."""
    make = Factory(app)
    world = build_world(make)
    make.user("newbie")
    with make.context():
        here, moderator = project(world.here), user(world.people.moderator)
        word = prevention.add_watched_word(
            moderator, here, pattern="casino", action="hold", category="spam"
        )
        term = prevention.add_historical_term(moderator, here, "lunatic")
        sanctions.suspend(moderator, here, user(world.people.suspended), days=30, reason="spam")
        newbie = accounts.get_user("newbie")
        held = discussions.post_comment(
            newbie, discussions.get_discussion(world.discussion.id), "Visit the casino"
        )
        assert held.is_held
        world.ids = SimpleNamespace(word=word.id, term=term.id, held=held.id)
    return world


# Pages send anonymous callers to log in (counted as 401); everyone else not staff gets 403.
REFUSED = {role: 403 for role in ROLES if role not in MODS and role != "anonymous"}
PAGE_READ = statuses(MODS, 200, **REFUSED)
PAGE_WRITE = statuses(MODS, 302, **REFUSED)
API = "/api/v1/projects/here/moderation"
PAGE = "/projects/here/moderation"


def api_status(success: int) -> Callable[[str], int]:
    return statuses(MODS, success, **REFUSED)


#: (method, endpoint) → (path, form or JSON body, expected status per role)
ROUTES: dict[tuple[str, str], tuple[str, dict[str, Any], Callable[[str], int]]] = {
    ("GET", "prevention.settings"): (f"{PAGE}/prevention", {}, PAGE_READ),
    ("POST", "prevention.add_word"): (
        f"{PAGE}/watched-words",
        {"pattern": "lottery", "action": "block", "category": "spam"},
        PAGE_WRITE,
    ),
    ("POST", "prevention.remove_word"): (f"{PAGE}/watched-words/{{word}}/remove", {}, PAGE_WRITE),
    ("POST", "prevention.add_term"): (f"{PAGE}/historical-terms", {"term": "pauper"}, PAGE_WRITE),
    ("POST", "prevention.remove_term"): (
        f"{PAGE}/historical-terms/{{term}}/remove",
        {},
        PAGE_WRITE,
    ),
    ("POST", "prevention.set_limits"): (f"{PAGE}/limits", {"max_links": "2"}, PAGE_WRITE),
    ("POST", "prevention.grant_trust"): (f"{PAGE}/trust", {"username": "newbie"}, PAGE_WRITE),
    ("GET", "prevention.held_posts"): (f"{PAGE}/held", {}, PAGE_READ),
    ("POST", "prevention.approve"): ("/comments/{held}/approve", {}, PAGE_WRITE),
    ("POST", "prevention.reject"): ("/comments/{held}/reject", {"reason": "spam"}, PAGE_WRITE),
    ("GET", "api_moderation_prevention.WatchedWords"): (
        f"{API}/watched-words",
        {},
        api_status(200),
    ),
    ("POST", "api_moderation_prevention.WatchedWords"): (
        f"{API}/watched-words",
        {"pattern": "lottery", "action": "block", "category": "spam"},
        api_status(201),
    ),
    ("DELETE", "api_moderation_prevention.WatchedWordDetail"): (
        f"{API}/watched-words/{{word}}",
        {},
        api_status(204),
    ),
    ("GET", "api_moderation_prevention.HistoricalTerms"): (
        f"{API}/historical-terms",
        {},
        api_status(200),
    ),
    ("POST", "api_moderation_prevention.HistoricalTerms"): (
        f"{API}/historical-terms",
        {"term": "pauper"},
        api_status(201),
    ),
    ("DELETE", "api_moderation_prevention.HistoricalTermDetail"): (
        f"{API}/historical-terms/{{term}}",
        {},
        api_status(204),
    ),
    ("GET", "api_moderation_prevention.Limits"): (f"{API}/limits", {}, api_status(200)),
    ("PUT", "api_moderation_prevention.Limits"): (
        f"{API}/limits",
        {"max_links": 2},
        api_status(200),
    ),
    ("POST", "api_moderation_prevention.Trust"): (
        f"{API}/trust",
        {"username": "newbie"},
        api_status(204),
    ),
    ("GET", "api_moderation_prevention.HeldComments"): (f"{API}/held", {}, api_status(200)),
    ("POST", "api_moderation_prevention.Approve"): (
        "/api/v1/comments/{held}/approve",
        {},
        api_status(200),
    ),
    ("POST", "api_moderation_prevention.Reject"): (
        "/api/v1/comments/{held}/reject",
        {"reason": "spam"},
        api_status(200),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ROUTES), ids=" ".join)
def test_prevention_by_role(
    client: FlaskClient,
    prevention_world: SimpleNamespace,
    token: Any,
    role: str,
    route: tuple[str, str],
) -> None:
    method, endpoint = route
    path, body, expected = ROUTES[route]
    path = path.format(**vars(prevention_world.ids))
    person = None if role == "anonymous" else getattr(prevention_world.people, role)
    if endpoint.startswith("api_"):
        headers = token(person) if person else {}
        json = None if method in ("GET", "DELETE") else body
        response = client.open(path, method=method, json=json, headers=headers)
        status = response.status_code
    else:
        if person:
            login(client, person.username)
        data = None if method == "GET" else {**body, "csrf_token": csrf_token(client)}
        response = client.open(path, method=method, data=data)
        status = response.status_code
        if status == 302 and "/login" in response.headers["Location"]:
            status = 401
    assert status == expected(role), response.get_data(as_text=True)[-600:]


#: Rows naming one of this project's rows by id: tried under the other project's address.
BY_ID = [
    route
    for route, (path, _body, _status) in ROUTES.items()
    if "{word}" in path or "{term}" in path
]


@pytest.mark.parametrize("route", BY_ID, ids=" ".join)
def test_another_projects_moderator_cannot_reach_a_row_through_their_project(
    app: Flask,
    client: FlaskClient,
    prevention_world: SimpleNamespace,
    token: Any,
    route: tuple[str, str],
) -> None:
    """Under their own project's slug, this project's watched word or term is not found (404)
    and stays."""
    method, endpoint = route
    path = ROUTES[route][0].replace("/here/", "/elsewhere/").format(**vars(prevention_world.ids))
    person = prevention_world.people.other_moderator
    if endpoint.startswith("api_"):
        response = client.open(path, method=method, headers=token(person))
    else:
        login(client, person.username)
        response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404, response.get_data(as_text=True)[-300:]
    with app.app_context():
        here = project(prevention_world.here)
        assert [w.id for w in prevention.watched_words(here)] == [prevention_world.ids.word]
        assert [t.id for t in prevention.historical_terms(here)] == [prevention_world.ids.term]
