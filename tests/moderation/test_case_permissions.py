"""Every route of reports, cases and the audit log × every role, from one table.

:mod:`tests.moderation.test_route_coverage` fails for a route of these blueprints without a
row. A moderator of another project
has no power here, and a case is 404 (not 403) to anyone who may not read it, so its existence
is not revealed."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import reports, sanctions
from talk.extensions import db
from talk.models import User
from tests.conftest import Factory, csrf_token, login, module_data
from tests.moderation.people import ROLES, user
from tests.moderation.people import project as project_of

STAFF = {"moderator", "admin", "site_admin"}
PEOPLE = set(ROLES) - {"anonymous"}
#: A suspended volunteer reads and reports like any volunteer (docs/sanctions.md: being harassed
#: while suspended stays reportable); the rest of the table is a volunteer's.

Fresh = Callable[[], SimpleNamespace]
#: Rows whose request resolves the case, so each role is sent a newly reported comment; the
#: others send every role the same one (reporting it, claiming it, reading it change nothing
#: the next role's answer depends on).
SETTLES = {("cases.act", "POST"), ("api_moderation.CaseActions", "POST")}


@module_data
def world(app: Flask) -> SimpleNamespace:
    """The projects and people, built once for the module (each test's writes are undone);
    ``fresh()`` makes a new reported comment for each request a test sends."""
    make = Factory(app)
    project = make.project("herbarium")
    other = make.project("whaling-logs")
    author = make.user("author")
    reporter = make.user("reporter")
    thread = make.discussion(project, author)
    users = {
        "volunteer": make.user("vol1"),
        "suspended": make.user("sus1"),
        "expert": make.member(project, "expert", username="expert1"),
        "team": make.member(project, "team", username="team1"),
        "moderator": make.member(project, "moderator", username="mod1"),
        "admin": make.member(project, "admin", username="projadmin"),
        "other_moderator": make.member(other, "moderator", username="othermod"),
        "site_admin": make.user("siteroot", site_admin=True),
    }
    with make.context():
        sanctions.suspend(
            user(users["moderator"]),
            project_of(project),
            user(users["suspended"]),
            days=30,
            reason="spam",
        )

    def fresh() -> SimpleNamespace:
        """A new comment by the author, reported by someone outside the roles."""
        comment = make.comment(thread, author, "Buy watches")
        with app.test_request_context():
            report = reports.file_report(
                db.session.get(User, reporter.id), "comment", comment.id, "spam"
            )
            db.session.commit()
            return SimpleNamespace(comment=comment.id, case=report.case_id, author=author.id)

    return SimpleNamespace(users=users, fresh=fresh, thread=thread.id)


def page_post(path: str, **data: Any) -> Callable[[FlaskClient, SimpleNamespace], Any]:
    def send(client: FlaskClient, s: SimpleNamespace) -> Any:
        return client.post(path.format(**vars(s)), data={"csrf_token": csrf_token(client), **data})

    return send


def get(path: str) -> Callable[[FlaskClient, SimpleNamespace], Any]:
    return lambda client, s: client.get(path.format(**vars(s)))


def fill(value: Any, s: SimpleNamespace) -> Any:
    """A body's value with the scene's ids put in (``"{comment}"`` becomes the number)."""
    if isinstance(value, str) and value.startswith("{"):
        return vars(s)[value.strip("{}")]
    return value


def api(method: str, path: str, body: Any = None) -> Callable[[FlaskClient, SimpleNamespace], Any]:
    def send(client: FlaskClient, s: SimpleNamespace) -> Any:
        payload = (
            None
            if body is None
            else {k: v.format(**vars(s)) if isinstance(v, str) else v for k, v in body.items()}
        )
        if payload and "target_id" in payload:
            payload["target_id"] = int(payload["target_id"])
        headers = {} if method == "GET" else {"X-CSRFToken": csrf_token(client)}
        url = f"/api/v1{path.format(**vars(s))}"
        return client.open(url, method=method, json=payload, headers=headers)

    return send


CASE = "/projects/herbarium/moderation/cases/{case}"
# (endpoint, method) → (request, who may, status when allowed, status for others logged in,
# status for anonymous)
TABLE: dict[tuple[str, str], tuple[Any, set[str], int, int, int]] = {
    ("cases.report", "GET"): (get("/report/comment/{comment}"), PEOPLE, 200, 0, 302),
    ("cases.report", "POST"): (
        page_post("/report/comment/{comment}", reason="spam"),
        PEOPLE,
        302,
        0,
        302,
    ),
    ("cases.my_reports", "GET"): (get("/my/reports"), PEOPLE, 200, 0, 302),
    ("cases.queue", "GET"): (get("/projects/herbarium/moderation"), STAFF, 200, 403, 302),
    ("cases.case_page", "GET"): (get(CASE), STAFF, 200, 404, 302),
    ("cases.claim", "POST"): (page_post(CASE + "/claim"), STAFF, 302, 404, 302),
    ("cases.act", "POST"): (page_post(CASE + "/act", action="dismiss"), STAFF, 302, 404, 302),
    ("audit_pages.audit", "GET"): (
        get("/projects/herbarium/moderation/audit"),
        STAFF,
        200,
        403,
        302,
    ),
    ("audit_pages.audit_csv", "GET"): (
        get("/projects/herbarium/moderation/audit.csv"),
        STAFF,
        200,
        403,
        302,
    ),
    ("audit_pages.audit_json", "GET"): (
        get("/projects/herbarium/moderation/audit.json"),
        STAFF,
        200,
        403,
        302,
    ),
    ("api_moderation.Reports", "POST"): (
        api(
            "POST",
            "/reports",
            {"target_type": "comment", "target_id": "{comment}", "reason": "spam"},
        ),
        PEOPLE,
        201,
        0,
        401,
    ),
    ("api_moderation.Reports", "GET"): (api("GET", "/reports"), PEOPLE, 200, 0, 401),
    ("api_moderation.ProjectCases", "GET"): (
        api("GET", "/projects/herbarium/moderation/cases"),
        STAFF,
        200,
        403,
        401,
    ),
    ("api_moderation.CaseDetail", "GET"): (
        api("GET", "/moderation/cases/{case}"),
        STAFF,
        200,
        404,
        401,
    ),
    ("api_moderation.CaseActions", "POST"): (
        api("POST", "/moderation/cases/{case}/actions", {"action": "dismiss"}),
        STAFF,
        200,
        404,
        401,
    ),
    ("api_moderation.CaseClaim", "PUT"): (
        api("PUT", "/moderation/cases/{case}/claim", {}),
        STAFF,
        200,
        404,
        401,
    ),
    ("api_moderation.CaseClaim", "DELETE"): (
        api("DELETE", "/moderation/cases/{case}/claim"),
        STAFF,
        200,
        404,
        401,
    ),
    ("api_moderation.ProjectAudit", "GET"): (
        api("GET", "/projects/herbarium/moderation/audit"),
        STAFF,
        200,
        403,
        401,
    ),
}


@pytest.mark.parametrize("route", list(TABLE), ids=["-".join(r) for r in TABLE])
def test_each_role_gets_what_the_table_says(
    app: Flask, world: SimpleNamespace, route: tuple[str, str]
) -> None:
    send, allowed, ok, refused, anonymous = TABLE[route]
    scene = world.fresh()
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, world.users[role].username)
        if route in SETTLES:  # the case is resolved by the first who may: a new one each
            scene = world.fresh()
        response = send(client, scene)
        expected = ok if role in allowed else anonymous if role == "anonymous" else refused
        assert response.status_code == expected, (role, response.get_data(as_text=True)[:300])


def test_the_suspended_volunteer_is_suspended(app: Flask, world: SimpleNamespace) -> None:
    """The table's "suspended" role really is (else its rows would prove nothing): a reply in
    the project is refused, naming the suspension."""
    client = app.test_client()
    login(client, world.users["suspended"].username)
    page = f"/discussions/{world.thread}"
    refused = client.post(page, data={"body": "Let me in", "csrf_token": csrf_token(client, page)})
    assert refused.status_code == 403
    assert "You are suspended from" in refused.get_data(as_text=True)
