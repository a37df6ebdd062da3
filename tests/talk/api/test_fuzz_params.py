"""Every date, number and cursor parameter of every GET endpoint and page, fuzzed (issue 8).

Whatever a client puts in ``limit``, ``cursor``, ``from``, ``to``, ``board``, an id in the path
(or the few other paging arguments), the answer is never a 500: bad input is a 4xx naming it.
The routes come from the app's URL map, so a new list or page is fuzzed without being listed
here. The data (a project with a board, an item, a discussion with a tag, a tag group) is built
once for the module; the requests only read.
"""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talk.extensions import db
from talk.services import accounts
from tests.conftest import Factory, module_data

# Rules not worth fuzzing: files, the OpenAPI document, the login and sign-up forms.
SKIPPED = re.compile(r"^/(static|favicon\.ico|api/v1/openapi\.json|login|register|logout)")
QUERY_NAMES = ("limit", "cursor", "from", "to", "board", "discussions", "reply_to", "trending")

EDGE_NUMBERS = [
    "",
    "0",
    "-1",
    "1",
    "100",
    "101",
    "2147483647",
    "2147483648",
    "9" * 30,
    "1e3",
    "1.0",
    "1_0",
    " 5",
    "+5",
    "5 ",
    "٣",
    "５",
    "𝟏",
    "0x10",
    "NaN",
    "inf",
    "\x00",
]
EDGE_DATES = [
    "9999-12-31",
    "0001-01-01",
    "0000-01-01",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-03-14",
    "２０２６-03-14",
    "2026-3-14",
    "20260314",
    "2026-03-14T00:00:00",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["2026-03-14T12:00:00+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=6,
)


def _encode(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


numbers = (
    st.sampled_from(EDGE_NUMBERS) | st.integers(-(2**40), 2**40).map(str) | st.text(max_size=8)
)
dates = (
    st.sampled_from(EDGE_DATES[:2])
    | st.sampled_from(EDGE_DATES)
    | st.dates().map(lambda d: d.isoformat())
    | st.text(alphabet="0123456789-٣", max_size=12)
)
cursors = (
    st.lists(json_values, max_size=4).map(_encode)
    | json_values.map(_encode)
    | st.text(max_size=30)
    | st.sampled_from(["", "=", "W251bGxd", "bnVsbA", "!!!"])
)
VALUES = {
    "limit": numbers,
    "board": numbers,
    "reply_to": numbers,
    "from": dates,
    "to": dates,
    "cursor": cursors,
    "discussions": cursors,
    "trending": st.sampled_from(["true", "false", "1", "yes", "maybe", ""]),
}


@module_data
def site(app: Flask) -> SimpleNamespace:
    """A project with something in every list, and an admin's token to read them all."""
    make = Factory(app)
    owner = make.admin()
    project = make.project("herbarium", owner=owner)
    item = make.item(project, prefix="sheet")
    discussion = make.discussion(project, owner, item=item, title="Oak", body="An oak leaf #oak")
    with app.app_context():
        from talk.models import User

        raw = accounts.create_token(db.session.get(User, owner.id), "fuzz")
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    group = app.test_client().post(
        "/api/v1/projects/herbarium/groups",
        json={"title": "Oaks", "query": "#oak"},
        headers=headers,
    )
    assert group.status_code == 201, group.get_json()
    return SimpleNamespace(
        headers=headers,
        external_id=item.external_id,
        group_slug=group.get_json()["slug"],
        board_id=discussion.board_id,
    )


def _page_rules(app: Flask) -> list[str]:
    """Every page a GET reaches (not the API's: those come from its OpenAPI document)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not SKIPPED.match(rule.rule)
        and not rule.rule.startswith("/api/")
    )


def _api_paths(app: Flask) -> dict[str, dict[str, str]]:
    """``{path: {parameter: where}}`` of every GET of the API, from its OpenAPI document."""
    with app.test_request_context():
        spec = app.extensions["talk_api"].spec.to_dict()
    found = {}
    for path, operations in spec["paths"].items():
        if "get" in operations:
            parameters = operations["get"].get("parameters", []) + operations.get("parameters", [])
            found[path] = {p["name"]: p["in"] for p in parameters}
    return found


def _path_value(draw: Any, name: str, site: SimpleNamespace) -> str:
    if name.endswith("_id") and name != "external_id":
        return quote(draw(numbers), safe="")
    return {
        "slug": "herbarium",
        "external_id": site.external_id,
        "group_slug": site.group_slug,
        "name": "oak",
        "username": "nobody",
        "fmt": draw(st.sampled_from(["csv", "json"])),
    }.get(name, "x")


@st.composite
def api_requests(draw: Any, path: str, parameters: dict[str, str], site: SimpleNamespace) -> str:
    for name, where in parameters.items():
        if where == "path":
            path = path.replace("{" + name + "}", _path_value(draw, name, site))
    query = {"q": draw(st.sampled_from(["oak", "leaf", "#oak"]))} if "q" in parameters else {}
    for name in parameters:
        if name in VALUES and draw(st.booleans()):
            query[name] = draw(VALUES[name])
    return f"{path}?{urlencode(query)}" if query else path


@st.composite
def page_requests(draw: Any, rule: str, site: SimpleNamespace) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.groups()
        if converter and converter.startswith("int"):
            return quote(draw(numbers), safe="")
        return _path_value(draw, name, site)

    path = re.sub(r"<(?:([^:<>]+):)?([a-z_]+)>", fill, rule)
    query = {"q": draw(st.sampled_from(["oak", "leaf", "#oak"]))}
    for name in draw(st.lists(st.sampled_from(QUERY_NAMES), unique=True, max_size=4)):
        query[name] = draw(VALUES[name])
    return f"{path}?{urlencode(query)}"


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
        database=None,
    )


def examples(parameters: set[str]) -> int:
    """More for more fuzzed parameters: the search's dates, a list's cursor and limit."""
    fuzzed = parameters & set(VALUES) - {"trending"}
    return 40 if {"from", "to"} <= fuzzed else 12 if fuzzed else 3


def _is_ascii_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _decoded_cursor(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None


def _answer(client: Any, site: SimpleNamespace, url: str) -> tuple[int, str]:
    response = client.get(url, headers=site.headers)
    body = response.get_data(as_text=True)  # streamed exports: read to the end
    response.close()
    assert response.status_code < 500, (url, body[:500])
    return response.status_code, body


def test_the_api_never_answers_500_to_fuzzed_parameters(app, client, site):
    """And what it refuses is refused: numbers not written 0-9, cursors holding null."""
    for path, parameters in _api_paths(app).items():

        @fuzz(examples(set(parameters)))
        @given(url=api_requests(path, parameters, site))
        def check(url: str) -> None:
            status, body = _answer(client, site, url)
            if status >= 400:
                error = json.loads(body)["error"]
                assert error["message"] and set(error) == {"code", "message", "fields"}, url
            query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
            if query.get("limit", "1") and not _is_ascii_number(query.get("limit", "1")):
                assert status != 200, url  # 422 naming limit, or a 404 for the path
            cursor = _decoded_cursor(query.get("cursor", ""))
            if isinstance(cursor, list) and None in cursor:
                assert status != 200, url

        check()


def test_the_pages_never_answer_500_to_fuzzed_parameters(app, client, site):
    for rule in _page_rules(app):

        @fuzz(40 if rule == "/search" else 8 if "<int" in rule or rule == "/" else 4)
        @given(url=page_requests(rule, site))
        def check(url: str) -> None:
            _answer(client, site, url)

        check()


def test_every_list_of_the_api_is_fuzzed(app):
    paths = _api_paths(app)
    for path in ("/api/v1/search", "/api/v1/projects", "/api/v1/projects/{slug}/items"):
        assert {"cursor", "limit"} <= set(paths[path])
    assert {"from", "to", "board"} <= set(paths["/api/v1/search"])
