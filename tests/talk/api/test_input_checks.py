"""Bad input from an outside trial (issue 8): each answers a clear 4xx naming the problem, in
the API's error shape, and changes nothing — never a 500, never a silent reinterpretation."""

from __future__ import annotations

import base64
import json

import pytest

from tests.talk.api.conftest import assert_error

API = "/api/v1"
ITEMS = f"{API}/projects/herbarium/items"


def _cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _row(n, **extra):
    return {"external_id": f"sheet/{n:05d}", "title": f"Sheet {n}", **extra}


# --------------------------------------------------------------------------- search dates


@pytest.mark.parametrize(
    "period",
    [
        "to=9999-12-31",
        "from=9999-12-31",
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01",
        "to=0001-01-01",
        "from=0001-01-01&to=9999-12-31",
    ],
)
def test_search_periods_at_the_limits_of_the_calendar_answer(client, world, period):
    response = client.get(f"{API}/search?q=leaf&{period}")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = client.get(f"/search?q=leaf&{period}")
    assert page.status_code == 200


def test_search_to_the_last_day_finds_everything_since(client, world):
    found = client.get(f"{API}/search?q=leaf&to=9999-12-31").get_json()["data"]
    assert found == client.get(f"{API}/search?q=leaf").get_json()["data"] != []


# --------------------------------------------------------------------------- ASCII digits


@pytest.mark.parametrize("digits", ["٣", "３", "1٣", "𝟏"])
def test_ids_in_paths_are_ascii_digits_only(client, world, digits):
    for path in (f"/boards/{digits}", f"/discussions/{digits}", f"/comments/{digits}"):
        assert_error(client.get(f"{API}{path}"), 404, "not_found")
    assert client.get(f"/discussions/{digits}").status_code == 404
    assert client.get(f"/projects/herbarium/boards/{digits}").status_code == 404


@pytest.mark.parametrize("limit", ["５", "٣", "1_0", " 5", "+5", "5 "])
def test_limits_are_ascii_digits_only(client, world, limit):
    for path in ("/projects", "/projects/herbarium/items", "/search?q=leaf"):
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{API}{path}{joiner}limit={limit}")
        assert_error(response, 422, "invalid", "limit")


def test_search_board_is_ascii_digits_only(client, world):
    assert_error(client.get(f"{API}/search?q=leaf&board=٣"), 422, "invalid", "board")


# --------------------------------------------------------------------------- cursors


@pytest.mark.parametrize("values", [[None], [None, None], ["1"], [True], [1.5], [-1], [[1]], [{}]])
def test_cursors_the_list_could_not_have_made_are_422(client, world, values):
    response = client.get(f"{API}/projects?cursor={_cursor(values)}")
    assert_error(response, 422, "invalid", "cursor")


@pytest.mark.parametrize(
    "path, values",
    [
        ("/boards/{board}/discussions", [None, None]),
        ("/boards/{board}/discussions", ["2026-03-14T12:00:00+00:00", None]),
        ("/boards/{board}/discussions", [None, 1]),
        ("/projects/herbarium/tags", [None, 1]),
        ("/projects/herbarium/tags", [-1, 1]),
        ("/projects/herbarium/groups", [None]),
    ],
)
def test_null_in_any_lists_cursor_is_422(client, world, path, values):
    url = API + path.format(board=world.discussion.board_id) + f"?cursor={_cursor(values)}"
    assert_error(client.get(url), 422, "invalid", "cursor")


def test_a_null_cursor_on_a_page_is_refused(client, world):
    assert client.get(f"/?cursor={_cursor([None])}").status_code == 422


# --------------------------------------------------------------------------- 414


def test_a_uri_too_long_answers_the_api_error_shape(client, world, counts):
    before = counts()
    response = client.get(f"{API}/projects?cursor=" + "a" * 9000)
    error = assert_error(response, 414, "uri_too_long")
    assert "longer than the server accepts" in error["message"]
    response = client.post(f"{API}/projects/herbarium/items?x=" + "a" * 9000, json={})
    assert_error(response, 414, "uri_too_long")
    assert counts() == before


def test_a_uri_just_short_enough_is_read(client, world):
    from talk.api.errors import MAX_URI_BYTES

    path = f"{API}/projects?limit=5&x="
    response = client.get(path + "a" * (MAX_URI_BYTES - len(path)))
    assert response.status_code == 200


def test_a_414_raised_inside_the_app_has_its_own_code(client, world):
    from werkzeug.exceptions import RequestURITooLarge

    with client.application.test_request_context(f"{API}/projects"):
        answer = client.application.handle_http_exception(RequestURITooLarge())
    assert_error(answer, 414, "uri_too_long")


# `talk serve` lets such URLs reach the API: tests/talk/test_serve.py (a real server).


# --------------------------------------------------------------------------- item metadata


@pytest.mark.parametrize(
    "metadata, problem",
    [
        ({"a": "1", " a": "2"}, " a"),
        ({"a ": "1"}, "a "),
        ({"A\t": "1"}, "A\t"),
        ({"year": "1871", "Year": "1872"}, "Year"),
        ({"caf\u00e9": "1", "cafe\u0301": "2"}, "cafe\u0301"),
    ],
)
def test_metadata_keys_that_would_merge_are_refused_naming_the_key(
    client, world, counts, metadata, problem
):
    before = counts()
    response = client.post(
        ITEMS, json={"items": [_row(0, metadata=metadata)]}, headers=world.team_auth
    )
    error = assert_error(response, 422, "invalid")
    assert any(repr(problem) in m for ms in error["fields"].values() for m in ms), error
    assert counts() == before


def test_metadata_numbers_that_overflow_are_refused(client, world, counts):
    before = counts()
    body = '{"items": [{"external_id": "x", "metadata": {"size": 1e400}}]}'
    response = client.post(
        ITEMS, data=body, content_type="application/json", headers=world.team_auth
    )
    error = assert_error(response, 400, "malformed_json", "_body")
    assert "1e400" in error["fields"]["_body"][0]
    assert counts() == before


def test_the_item_service_refuses_non_finite_numbers_and_merging_keys(app, world):
    from talk.services.items import check_items

    rows = [
        {"external_id": "a", "metadata": {"size": float("inf")}},
        {"external_id": "b", "metadata": {"size": float("nan")}},
        {"external_id": "c", "metadata": {"k": "1", " k": "2"}},
    ]
    with app.app_context():
        problems = check_items(world.project, rows)
    assert [p.index for p in problems] == [0, 1, 2]


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None, "1"])
def test_tag_group_booleans_are_json_true_or_false_only(client, world, value):
    response = client.post(
        f"{API}/projects/herbarium/groups",
        json={"title": "Oaks", "query": "#oak", "verified_only": value},
        headers=world.volunteer_auth,
    )
    assert_error(response, 422, "invalid", "verified_only")


def test_a_group_may_still_be_verified_only(client, world):
    response = client.post(
        f"{API}/projects/herbarium/groups",
        json={"title": "Oaks", "query": "#oak", "verified_only": True},
        headers=world.volunteer_auth,
    )
    assert response.status_code == 201 and response.get_json()["verified_only"] is True


# --------------------------------------------------------------------------- bulk registration


def test_every_problem_of_a_batch_is_reported_in_one_answer(client, world, counts):
    before = counts()
    rows = [
        _row(0, title="t" * 301),
        _row(1, image_url="javascript:alert(1)"),
        _row(2, source_url="data:text/html,hi"),
        _row(0),
    ]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    error = assert_error(
        response,
        422,
        "invalid",
        "items.0.title",
        "items.1.image_url",
        "items.2.source_url",
        "items.3.external_id",
    )
    assert "only http(s) URLs" in " ".join(error["fields"]["items.2.source_url"])
    assert "data:" in " ".join(error["fields"]["items.2.source_url"])
    assert error["fields"]["items.3.external_id"] == ["Same external_id as items.0 in this batch."]
    assert counts() == before


def test_in_batch_duplicates_name_rows_as_the_fields_do(client, world, counts):
    before = counts()
    rows = [_row(0), _row(1), _row(0), _row(1)]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    error = assert_error(response, 409, "conflict", "items.2.external_id", "items.3.external_id")
    assert error["fields"]["items.2.external_id"] == ["Same external_id as items.0 in this batch."]
    assert error["fields"]["items.3.external_id"] == ["Same external_id as items.1 in this batch."]
    assert counts() == before


@pytest.mark.parametrize(
    "url",
    ["/\\evil.example/x", "\\\\evil.example/x", "/ok\\..\\x", "https://talk.test\\@evil.example/"],
)
def test_item_urls_with_a_backslash_are_refused_since_browsers_leave_the_site(
    client, world, counts, url
):
    before = counts()
    response = client.post(
        ITEMS, json={"items": [_row(0, image_url=url, source_url=url)]}, headers=world.team_auth
    )
    error = assert_error(response, 422, "invalid", "items.0.image_url", "items.0.source_url")
    assert "backslash" in " ".join(error["fields"]["items.0.source_url"])
    assert counts() == before
