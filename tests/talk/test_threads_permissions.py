"""Who may take the moderators' thread actions, on every door: each page and API route of
talk/web/threads.py and talk/api/threads.py (and the moderator's edit through the API) × each
role. Only the project's moderators, admins and owner, and site admins, act; a moderator of
another project has no power here. A new route of those modules fails
:func:`test_every_thread_route_is_in_the_matrix` until it is added to :data:`ROUTES`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from talk.extensions import db
from talk.models import Comment, Discussion
from tests.conftest import login
from tests.talk.web.pages import submit

ROLES = (
    "anonymous",
    "volunteer",
    "expert",
    "team",
    "moderator",
    "admin",
    "moderator elsewhere",
    "site admin",
)
ALLOWED = {"moderator", "admin", "site admin"}

#: (method, rule, form or JSON body, status when allowed). ``{d}`` the discussion acted on,
#: ``{c}`` its reply, ``{other}`` another discussion, ``{item}`` another item's external id.
ROUTES: tuple[tuple[str, str, dict[str, Any], int], ...] = (
    ("POST", "/discussions/{d}/lock", {"locked": "1"}, 302),
    ("POST", "/discussions/{d}/pin", {"pinned": "1"}, 302),
    ("GET", "/discussions/{d}/move", {}, 200),
    ("POST", "/discussions/{d}/move", {"item": "{item}"}, 302),
    ("GET", "/discussions/{d}/merge", {}, 200),
    ("POST", "/discussions/{d}/merge", {"into": "{other}", "confirm": "1"}, 302),
    ("GET", "/discussions/{d}/split", {}, 200),
    ("POST", "/discussions/{d}/split", {"title": "Apart", "comments": "{c}", "confirm": "1"}, 302),
    ("GET", "/comments/{c}/moderate", {}, 200),
    ("POST", "/comments/{c}/moderate", {"body": "Tidied", "note": "A phone number"}, 302),
    ("GET", "/comments/{c}/delete", {}, 200),
    ("POST", "/api/v1/discussions/{d}/lock", {"locked": True}, 200),
    ("POST", "/api/v1/discussions/{d}/pin", {"pinned": True}, 200),
    ("POST", "/api/v1/discussions/{d}/move", {"item": "{item}"}, 200),
    ("POST", "/api/v1/discussions/{d}/merge", {"into": "{other}"}, 200),
    ("POST", "/api/v1/discussions/{d}/split", {"title": "Apart", "comment_ids": ["{c}"]}, 201),
    ("PATCH", "/api/v1/comments/{c}", {"body": "Tidied", "moderator_note": "A phone"}, 200),
)


def test_every_thread_route_is_in_the_matrix(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("threads", "api_threads"):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                path = rule.rule.replace("<int:discussion_id>", "{d}")
                path = path.replace("<int(max=2147483647):discussion_id>", "{d}")
                served.add((method, path.replace("<int:comment_id>", "{c}")))
    assert served <= {(method, rule) for method, rule, _, _ in ROUTES}


@pytest.fixture
def place(make: Any) -> SimpleNamespace:
    project = make.project("herbarium")
    author, other_author = make.user("author"), make.user("writer")
    items = make.items(project, 2, prefix="sheet")
    thread = make.discussion(project, author, item=items[0], title="Oak", body="An oak")
    reply = make.comment(thread, other_author, "A leaf")
    other = make.discussion(project, author, title="Chat", body="Hello")
    elsewhere = make.project("letters")
    return SimpleNamespace(
        make=make,
        project=project,
        elsewhere=elsewhere,
        thread=thread,
        reply=reply,
        other=other,
        item=items[1],
    )


def _actor(place: SimpleNamespace, role: str) -> Any:
    make = place.make
    if role == "anonymous":
        return None
    if role == "volunteer":
        return make.user("someone")
    if role == "site admin":
        return make.admin()
    if role == "moderator elsewhere":
        return make.member(place.elsewhere, "moderator", username="othermod")
    return make.member(place.project, role, username=f"the{role}")


def _fill(value: Any, place: SimpleNamespace, *, api: bool) -> Any:
    if isinstance(value, list):
        return [_fill(v, place, api=api) for v in value]
    if not isinstance(value, str) or not value.startswith("{"):
        return value
    number = {"{c}": place.reply.id, "{other}": place.other.id}.get(value)
    if number is None:
        return place.item.external_id
    return number if api else str(number)


def state(app: Any, place: SimpleNamespace) -> tuple[Any, ...]:
    with app.app_context():
        thread = db.session.get(Discussion, place.thread.id)
        reply = db.session.get(Comment, place.reply.id)
        ids = db.session.scalars(select(Discussion.id).order_by(Discussion.id)).all()
        return (
            thread.locked_at,
            thread.pinned,
            thread.item_id,
            thread.merged_into_id,
            reply.discussion_id,
            reply.body,
            reply.moderator_note,
            tuple(ids),
        )


def send(client: Any, token: Any, place: SimpleNamespace, actor: Any, route: Any) -> Any:
    """Try one row of :data:`ROUTES` as ``actor`` (None: anonymous) on ``place``."""
    method, rule, data, _allowed = route
    url = rule.format(d=place.thread.id, c=place.reply.id)
    api = url.startswith("/api/")
    filled = {key: _fill(value, place, api=api) for key, value in data.items()}
    if api:
        headers = token(actor) if actor else {}
        return client.open(url, method=method, json=filled, headers=headers)
    if actor:
        login(client, actor.username)
    return client.get(url) if method == "GET" else submit(client, "/", url, **filled)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "rule", "data", "allowed"), ROUTES, ids=str)
def test_only_this_projects_moderators_act(
    app, client, token, place, role, method, rule, data, allowed
):
    actor = _actor(place, role)
    api = rule.startswith("/api/")
    before = state(app, place)
    response = send(client, token, place, actor, (method, rule, data, allowed))
    if role in ALLOWED:
        assert response.status_code == allowed, response.get_data(as_text=True)[:500]
        if method != "GET":
            assert state(app, place) != before
    else:
        expected = 401 if api else 302
        assert response.status_code == (expected if role == "anonymous" else 403)
        if role == "anonymous" and not api:
            assert response.headers["Location"].startswith("/login")
    if method == "GET" or role not in ALLOWED:
        assert state(app, place) == before
