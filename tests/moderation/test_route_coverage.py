"""One guard over every permission table (issue 10, "Permissions"): each moderation route and
endpoint, page or API, and each of the core's moderators' thread actions, is in some table that
tries it as every role. A route added anywhere in the moderation package, or to the core's
thread actions, fails :func:`test_every_moderation_route_is_in_a_permission_table`, naming it,
until a table gives it a row.

The tables keep their own shapes (endpoint, rule or example path); this guard turns each row into
the ``(method, endpoint)`` the app serves it with."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from werkzeug.routing import MapAdapter

from tests.moderation import (
    test_case_permissions,
    test_heritage_permissions,
    test_prevention_permissions,
    test_sanction_routes,
)
from tests.talk import test_threads_permissions

Route = tuple[str, str]  # (method, endpoint)

#: Modules whose views are moderators' powers: the moderation package's, and the core's
#: thread actions (lock, pin, move, merge, split, a moderator's edit).
MODULES = ("moderation.", "talk.web.threads", "talk.api.threads")
#: The moderator's edit of someone's comment through the API shares the comment's endpoint.
MODERATOR_EDIT = ("PATCH", "/api/v1/comments/1")


def _module(app: Flask, endpoint: str) -> str:
    view = app.view_functions[endpoint]
    return getattr(view, "view_class", view).__module__


def served(app: Flask) -> set[Route]:
    """Every (method, endpoint) whose view lives in :data:`MODULES`, and the moderator's edit."""
    found = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if _module(app, rule.endpoint).startswith(MODULES)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    return found | {_match(app.url_map.bind("localhost"), *MODERATOR_EDIT)}


def _match(urls: MapAdapter, method: str, path: str) -> Route:
    endpoint, _args = urls.match(path, method=method)
    return method, str(endpoint)


def _by_rule(app: Flask, rows: Iterable[tuple[str, str]]) -> set[Route]:
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    return {(method, endpoints.get(rule, f"no rule {rule}")) for method, rule in rows}


def covered(app: Flask) -> set[Route]:
    """The (method, endpoint) of every row of every table."""
    urls = app.url_map.bind("localhost")
    threads = {
        _match(urls, method, rule.format(d=1, c=1))
        for method, rule, _data, _status in test_threads_permissions.ROUTES
    }
    sanctions = _by_rule(app, [*test_sanction_routes.PAGES, *test_sanction_routes.ENDPOINTS])
    return (
        {(method, endpoint) for endpoint, method in test_case_permissions.TABLE}
        | set(test_heritage_permissions.ROUTES)
        | set(test_prevention_permissions.ROUTES)
        | sanctions
        | threads
    )


def test_every_moderation_route_is_in_a_permission_table(app: Flask) -> None:
    missing = served(app) - covered(app)
    assert not missing, f"no permission table covers {sorted(missing)}"


def test_every_row_is_a_route_still_served(app: Flask) -> None:
    """A row left behind by a removed or renamed route is named too."""
    stale = covered(app) - served(app)
    assert not stale, f"rows for routes no longer served: {sorted(stale)}"


def test_the_guard_sees_each_kind_of_route(app: Flask) -> None:
    """The walk reaches pages and API of the package and the core's thread actions (else an
    empty walk would pass)."""
    endpoints = {endpoint for _method, endpoint in served(app)}
    for expected in ("cases.queue", "api_moderation.Reports", "prevention.settings"):
        assert expected in endpoints
    assert {e.split(".")[0] for e in endpoints} >= {"threads", "api_threads", "api_discussions"}
