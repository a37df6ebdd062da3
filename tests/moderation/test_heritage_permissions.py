"""Every content-warning and workflow-flag route, page and API, for every kind of person
(issue 10, "Permissions"): the table below says what each may do; a new route fails
:mod:`tests.moderation.test_route_coverage` until it is added."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import Factory, csrf_token, login, module_data

WHO = (
    "anonymous",
    "volunteer",
    "suspended",
    "team",
    "expert",
    "moderator",
    "admin",
    "other",
    "site_admin",
)
STAFF = {"team", "expert", "moderator", "admin", "site_admin"}


@module_data
def world(app):
    """A project with a person in each role, a warning on its item, #help configured and asked;
    another project's moderator; a site admin; an API token for each."""
    from moderation import content_warnings, sanctions, workflow
    from talk.extensions import db
    from talk.models import Project, User
    from talk.services import accounts

    make = Factory(app)
    project = make.project("asylum", title="Asylum registers")
    people = {r: make.member(project, r, username=f"p_{r}") for r in sorted(STAFF - {"site_admin"})}
    people["volunteer"] = make.member(project, "volunteer", username="p_volunteer")
    # Suspended here: reads, and acknowledges warnings (a read), like any volunteer.
    people["suspended"] = make.member(project, "volunteer", username="p_suspended")
    other = make.project("parish")
    people["other"] = make.member(other, "moderator", username="p_other")
    people["site_admin"] = make.user("p_site_admin", site_admin=True)
    item = make.item(project, prefix="reg")
    thread = make.discussion(project, people["volunteer"], item=item, board="Item discussions")
    with make.context():
        admin = db.session.get(User, people["admin"].id)
        found = db.session.get(Project, project.id)
        warning = content_warnings.create_warning(admin, found, "Historic", "Old terms.")
        content_warnings.attach(
            admin, warning, content_warnings.find_target(admin, found, "item", item.external_id)
        )
        workflow.add_flag(admin, found, "help")
        suspended = db.session.get(User, people["suspended"].id)
        sanctions.suspend(admin, found, suspended, days=30, reason="spam")
        warning_id = warning.id
    make.comment(thread, people["volunteer"], "#help please")
    with make.context():
        from moderation.heritage_models import WorkflowRequest

        request_id = db.session.query(WorkflowRequest.id).scalar()
        tokens = {}
        for who, person in people.items():
            raw = accounts.create_token(db.session.get(User, person.id), "tests")
            tokens[who] = {"Authorization": f"Bearer {raw}"}
    return SimpleNamespace(
        item=item,
        thread=thread,
        chat_board=project.boards["Chat"].id,
        warning=warning_id,
        request=request_id,
        tokens=tokens,
    )


def _paths(w):
    cw = f"/projects/asylum/content-warnings/{w.warning}"
    api_cw = f"/api/v1{cw}"
    item_ref = {"type": "item", "ref": w.item.external_id}
    return {
        # (method, endpoint): (path, form or JSON body, who may: see _expected)
        ("GET", "content_warnings.manage"): ("/projects/asylum/content-warnings", None, "staff"),
        ("POST", "content_warnings.manage"): (
            "/projects/asylum/content-warnings",
            {"title": "New", "text": "Text"},
            "staff",
        ),
        ("POST", "content_warnings.edit"): (f"{cw}/edit", {"title": "T", "text": "X"}, "staff"),
        ("POST", "content_warnings.delete"): (f"{cw}/delete", {}, "staff"),
        ("POST", "content_warnings.attach"): (
            f"{cw}/attach",
            {"type": "board", "ref": str(w.chat_board)},
            "staff",
        ),
        ("POST", "content_warnings.detach"): (f"{cw}/detach", item_ref, "staff"),
        ("POST", "content_warnings.acknowledge"): (
            "/projects/asylum/content-warnings/acknowledge",
            {"warning": str(w.warning)},
            "everyone",
        ),
        ("GET", "workflow.review_list"): ("/projects/asylum/review-list", None, "staff"),
        ("POST", "workflow.add_flag"): ("/projects/asylum/workflow-flags", {"tag": "x1"}, "staff"),
        ("POST", "workflow.remove_flag"): (
            "/projects/asylum/workflow-flags/help/remove",
            {},
            "staff",
        ),
        ("POST", "workflow.mark_answered"): (
            f"/projects/asylum/review-list/{w.request}/answered",
            {},
            "staff",
        ),
        ("GET", "api_heritage.Warnings"): (
            "/api/v1/projects/asylum/content-warnings",
            None,
            "read",
        ),
        ("POST", "api_heritage.Warnings"): (
            "/api/v1/projects/asylum/content-warnings",
            {"title": "New", "text": "Text"},
            "staff",
        ),
        ("GET", "api_heritage.WarningDetail"): (api_cw, None, "read"),
        ("PATCH", "api_heritage.WarningDetail"): (api_cw, {"text": "Changed"}, "staff"),
        ("DELETE", "api_heritage.WarningDetail"): (api_cw, None, "staff"),
        ("GET", "api_heritage.Attachments"): (f"{api_cw}/attachments", None, "read"),
        ("POST", "api_heritage.Attachments"): (
            f"{api_cw}/attachments",
            {"type": "board", "id": w.chat_board},
            "staff",
        ),
        ("DELETE", "api_heritage.Attachments"): (
            f"{api_cw}/attachments?type=item&external_id={w.item.external_id}",
            None,
            "staff",
        ),
        ("PUT", "api_heritage.Acknowledgement"): (f"{api_cw}/acknowledgement", {}, "person"),
        ("GET", "api_heritage.ItemWarnings"): (
            f"/api/v1/projects/asylum/items/{w.item.external_id}/content-warnings",
            None,
            "read",
        ),
        ("GET", "api_heritage.DiscussionWarnings"): (
            f"/api/v1/discussions/{w.thread.id}/content-warnings",
            None,
            "read",
        ),
        ("GET", "api_heritage.BoardWarnings"): (
            f"/api/v1/boards/{w.chat_board}/content-warnings",
            None,
            "read",
        ),
        ("GET", "api_heritage.Flags"): ("/api/v1/projects/asylum/workflow-flags", None, "read"),
        ("POST", "api_heritage.Flags"): (
            "/api/v1/projects/asylum/workflow-flags",
            {"tag": "x1"},
            "staff",
        ),
        ("DELETE", "api_heritage.FlagDetail"): (
            "/api/v1/projects/asylum/workflow-flags/help",
            None,
            "staff",
        ),
        ("GET", "api_heritage.ReviewList"): ("/api/v1/projects/asylum/review-list", None, "staff"),
        ("POST", "api_heritage.MarkAnswered"): (
            f"/api/v1/projects/asylum/review-list/{w.request}/answered",
            {},
            "staff",
        ),
    }


ROUTES = list(
    _paths(
        SimpleNamespace(
            item=SimpleNamespace(external_id="x"),
            thread=SimpleNamespace(id=1),
            chat_board=1,
            warning=1,
            request=1,
            tokens={},
        )
    )
)


def _expected(who: str, access: str) -> str:
    """``read`` and ``everyone``: anyone; ``person``: anyone logged in (an API write needs a
    token); ``staff``: this project's team, experts, moderators, admins and site admins."""
    if access in ("read", "everyone") or who in STAFF:
        return "ok"
    if who == "anonymous":
        return "login"
    return "ok" if access == "person" else "denied"


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_who_may_use_each_route(client, world, route, who):
    method, endpoint = route
    path, body, access = _paths(world)[route]
    api = endpoint.startswith("api_")
    if api:
        headers = world.tokens.get(who, {})
        answer = client.open(path, method=method, json=body, headers=headers)
    else:
        if who != "anonymous":
            login(client, f"p_{who}")
        data = None
        if method == "POST":
            data = {**body, "csrf_token": csrf_token(client, "/")}
        answer = client.open(path, method=method, data=data)
    status, location = answer.status_code, answer.headers.get("Location", "")
    outcome = (
        "login"
        if status == 401 or (status == 302 and "/login" in location)
        else "denied"
        if status == 403
        else "ok"
        if status < 400
        else f"status {status}"
    )
    assert outcome == _expected(who, access), (status, answer.get_data(as_text=True)[:300])
