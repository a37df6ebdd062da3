"""Every sanction route and endpoint × every role, from one table. A route added under the
sanction blueprints fails :mod:`tests.moderation.test_route_coverage` until it is given a row
here."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import appeals, sanctions
from moderation.sanction_models import Sanction
from talk.extensions import db
from tests.conftest import Factory, csrf_token, login, module_data
from tests.moderation.people import ROLES, build_world, project, user

MODS = frozenset({"moderator", "admin", "site_admin"})
LOGGED_IN = frozenset(ROLES) - {"anonymous"}


@module_data
def routes_world(app: Flask) -> SimpleNamespace:
    """The world, plus: ``sus`` suspended here by ``mod`` (and appealing it) and warned by
    ``adm`` (not appealed); ``tgt``, whom moderators act on."""
    make = Factory(app)
    world = build_world(make)
    make.user("tgt")
    with make.context():
        here, sus = project(world.here), user(world.people.suspended)
        suspension = sanctions.suspend(
            user(world.people.moderator), here, sus, days=30, reason="spam"
        )
        warning = sanctions.warn(user(world.people.admin), here, sus, reason="other")
        appeal = appeals.appeal(sus, suspension, "Please reconsider")
        world.ids = SimpleNamespace(suspension=suspension.id, warning=warning.id, appeal=appeal.id)
    return world


def statuses(ok: frozenset[str], success: int, **others: int) -> Callable[[str], int]:
    """A role named in ``others`` gets its own; ``ok`` roles ``success``; other logged-in
    roles 404 (nothing to see); anonymous callers 401 (pages: sent to log in, shown as 401)."""

    def status(role: str) -> int:
        if role in others:
            return others[role]
        if role in ok:
            return success
        return 401 if role == "anonymous" else 404

    return status


ALL = statuses(LOGGED_IN, 200)
_NOT_SITE_ADMINS = dict.fromkeys(LOGGED_IN - {"site_admin"}, 403)
SITE_ADMIN_ONLY = statuses(frozenset({"site_admin"}), 200, **_NOT_SITE_ADMINS)
BAN_PAGE = statuses(frozenset({"site_admin"}), 302, **_NOT_SITE_ADMINS)
BAN_API = statuses(frozenset({"site_admin"}), 201, **_NOT_SITE_ADMINS)
APPEAL = {"suspended": 201, **dict.fromkeys(MODS, 403)}
LIFT = {"suspended": 403}
DECIDE = {"moderator": 403}  # decided the suspension; the admin may

PERSON = "/projects/here/moderation/people/tgt"
API = "/api/v1"

#: (method, rule) → (path, JSON body or form, expected status per role)
PAGES: dict[tuple[str, str], tuple[str, dict[str, Any], Callable[[str], int]]] = {
    ("GET", "/projects/<slug>/moderation/people/<username>"): (PERSON, {}, statuses(MODS, 200)),
    ("POST", "/projects/<slug>/moderation/people/<username>/actions"): (
        f"{PERSON}/actions",
        {"action": "warn", "reason": "spam"},
        statuses(MODS, 302),
    ),
    ("POST", "/projects/<slug>/moderation/people/<username>/notes"): (
        f"{PERSON}/notes",
        {"body": "Watch"},
        statuses(MODS, 302),
    ),
    ("POST", "/moderation/sanctions/<int:sanction_id>/lift"): (
        "/moderation/sanctions/{suspension}/lift",
        {},
        statuses(MODS, 302, **LIFT),
    ),
    ("GET", "/projects/<slug>/standing"): ("/projects/here/standing", {}, ALL),
    ("GET", "/me/standing"): ("/me/standing", {}, ALL),
    ("POST", "/moderation/sanctions/<int:sanction_id>/appeal"): (
        "/moderation/sanctions/{warning}/appeal",
        {"note": "Unfair"},
        statuses(frozenset(), 0, **{**APPEAL, "suspended": 302}),
    ),
    ("GET", "/projects/<slug>/moderation/appeals"): (
        "/projects/here/moderation/appeals",
        {},
        statuses(MODS, 200),
    ),
    ("POST", "/moderation/appeals/<int:appeal_id>/decision"): (
        "/moderation/appeals/{appeal}/decision",
        {"outcome": "upheld"},
        statuses(MODS, 302, **DECIDE),
    ),
    ("GET", "/moderation/bans"): ("/moderation/bans", {}, SITE_ADMIN_ONLY),
    ("POST", "/moderation/bans"): (
        "/moderation/bans",
        {"username": "tgt", "reason": "spam"},
        BAN_PAGE,
    ),
}

ENDPOINTS: dict[tuple[str, str], tuple[str, dict[str, Any], Callable[[str], int]]] = {
    ("GET", "/api/v1/projects/<slug>/moderation/people/<username>"): (
        f"{API}{PERSON}",
        {},
        statuses(MODS, 200),
    ),
    ("POST", "/api/v1/projects/<slug>/moderation/people/<username>/actions"): (
        f"{API}{PERSON}/actions",
        {"action": "warn", "reason": "spam"},
        statuses(MODS, 201),
    ),
    ("GET", "/api/v1/projects/<slug>/moderation/people/<username>/notes"): (
        f"{API}{PERSON}/notes",
        {},
        statuses(MODS, 200),
    ),
    ("POST", "/api/v1/projects/<slug>/moderation/people/<username>/notes"): (
        f"{API}{PERSON}/notes",
        {"body": "Watch"},
        statuses(MODS, 201),
    ),
    ("GET", "/api/v1/projects/<slug>/moderation/appeals"): (
        f"{API}/projects/here/moderation/appeals",
        {},
        statuses(MODS, 200),
    ),
    ("POST", "/api/v1/moderation/appeals/<int:appeal_id>/decision"): (
        API + "/moderation/appeals/{appeal}/decision",
        {"outcome": "upheld"},
        statuses(MODS, 200, **DECIDE),
    ),
    ("POST", "/api/v1/moderation/sanctions/<int:sanction_id>/appeal"): (
        API + "/moderation/sanctions/{warning}/appeal",
        {"note": "Unfair"},
        statuses(frozenset(), 0, **APPEAL),
    ),
    ("POST", "/api/v1/moderation/sanctions/<int:sanction_id>/lift"): (
        API + "/moderation/sanctions/{suspension}/lift",
        {},
        statuses(MODS, 200, **LIFT),
    ),
    ("GET", "/api/v1/moderation/bans"): (f"{API}/moderation/bans", {}, SITE_ADMIN_ONLY),
    ("POST", "/api/v1/moderation/bans"): (
        f"{API}/moderation/bans",
        {"username": "tgt", "reason": "spam"},
        BAN_API,
    ),
    ("GET", "/api/v1/me/standing"): (f"{API}/me/standing", {}, ALL),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(PAGES), ids=" ".join)
def test_pages_by_role(
    client: FlaskClient, routes_world: SimpleNamespace, role: str, route: tuple[str, str]
) -> None:
    method, _rule = route
    path, form, expected = PAGES[route]
    path = path.format(**vars(routes_world.ids))
    if role != "anonymous":
        login(client, getattr(routes_world.people, role).username)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={**form, "csrf_token": csrf_token(client)})
    status = response.status_code
    if status == 302 and "/login" in response.headers["Location"]:
        status = 401
    assert status == expected(role), response.get_data(as_text=True)[-600:]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ENDPOINTS), ids=" ".join)
def test_endpoints_by_role(
    client: FlaskClient,
    routes_world: SimpleNamespace,
    token: Any,
    role: str,
    route: tuple[str, str],
) -> None:
    method, _rule = route
    path, body, expected = ENDPOINTS[route]
    path = path.format(**vars(routes_world.ids))
    headers = {} if role == "anonymous" else token(getattr(routes_world.people, role))
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        response = client.post(path, json=body, headers=headers)
    assert response.status_code == expected(role), response.get_json()


def test_the_suspended_volunteer_is_suspended(app: Flask, routes_world: SimpleNamespace) -> None:
    """The table's "suspended" role really is (else its rows would prove nothing)."""
    with app.app_context():
        sanction = db.session.get(Sanction, routes_world.ids.suspension)
        assert sanction is not None and sanction.user_id == routes_world.people.suspended.id
        assert sanction.active_at(sanctions.utcnow())
