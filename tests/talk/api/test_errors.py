"""Bad requests of every kind: the right 4xx, the one error shape, and nothing changed."""

import json

import pytest

API = "/api/v1"


@pytest.fixture
def comments_url(world):
    return f"{API}/discussions/{world.discussion.id}/comments"


def test_unknown_api_route_is_json_404_while_pages_keep_html(client, expect_error):
    expect_error(client.get(f"{API}/nothing/here"), 404, "not_found")
    expect_error(client.post(f"{API}/nothing", json={}), 404, "not_found")
    expect_error(client.get("/api"), 404, "not_found")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_wrong_method_is_405_with_allow_header(client, world, expect_error):
    response = client.delete(f"{API}/projects/herbarium", headers=world.owner_auth)
    expect_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/projects/nope",
        "/projects/nope/items",
        "/projects/herbarium/items/nope",
        "/projects/herbarium/items/nope/discussions",
        "/projects/nope/boards",
        "/projects/nope/members",
        "/boards/999999",
        "/boards/999999/discussions",
        "/discussions/999999",
        "/discussions/999999/comments",
        "/comments/999999",
        "/users/nobody",
        "/boards/99999999999999999999999",
        "/comments/0",
    ],
)
def test_unknown_things_are_404(client, world, path, expect_error):
    expect_error(client.get(API + path, headers=world.owner_auth), 404, "not_found")


def test_writes_to_unknown_things_are_404_and_change_nothing(client, world, counts, expect_error):
    before = counts()
    auth = world.owner_auth
    cases = [
        client.post(
            f"{API}/projects/nope/items", json={"items": [{"external_id": "a"}]}, headers=auth
        ),
        client.post(
            f"{API}/projects/herbarium/items/nope/discussions",
            json={"title": "t", "body": "b"},
            headers=auth,
        ),
        client.post(
            f"{API}/boards/999999/discussions", json={"title": "t", "body": "b"}, headers=auth
        ),
        client.post(f"{API}/discussions/999999/comments", json={"body": "b"}, headers=auth),
        client.patch(f"{API}/comments/999999", json={"body": "b"}, headers=auth),
        client.delete(f"{API}/comments/999999", headers=auth),
        client.put(f"{API}/projects/herbarium/members/nobody", json={"role": "team"}, headers=auth),
        client.delete(f"{API}/projects/nope/members/volunteer", headers=auth),
    ]
    for response in cases:
        expect_error(response, 404, "not_found")
    assert counts() == before


def test_malformed_json_is_400(client, world, comments_url, counts, expect_error):
    before = counts()
    for body in (b'{"body": "unterminated', b"{'body': 'single quotes'}", b"{,}"):
        response = client.post(
            comments_url, data=body, content_type="application/json", headers=world.team_auth
        )
        expect_error(response, 400, "malformed_json")
    assert counts() == before


def test_invalid_utf8_is_400(client, world, comments_url, counts, expect_error):
    before = counts()
    response = client.post(
        comments_url,
        data=b'{"body": "caf\xe9 \xff\xfe"}',
        content_type="application/json; charset=utf-8",
        headers=world.team_auth,
    )
    expect_error(response, 400, "malformed_json")
    assert counts() == before


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_write_without_json_content_type_is_415(
    client, world, comments_url, counts, expect_error, content_type
):
    before = counts()
    kwargs = {"data": json.dumps({"body": "hello"})}
    if content_type:
        kwargs["content_type"] = content_type
    response = client.post(comments_url, headers=world.team_auth, **kwargs)
    expect_error(response, 415, "unsupported_media_type")
    assert counts() == before


def test_json_with_charset_parameter_is_accepted(client, world, comments_url):
    response = client.post(
        comments_url,
        data=json.dumps({"body": "hello"}).encode(),
        content_type="application/json; charset=utf-8",
        headers=world.team_auth,
    )
    assert response.status_code == 201


def test_body_over_max_content_length_is_413(client, app, world, counts, expect_error):
    before = counts()
    limit = app.config["MAX_CONTENT_LENGTH"]
    rows = [{"external_id": f"x-{n}", "title": "t" * 250} for n in range(limit // 250)]
    payload = json.dumps({"items": rows[:1000]}).encode()
    payload += b" " * (limit + 1 - len(payload))  # valid JSON, one byte too large
    response = client.post(
        f"{API}/projects/herbarium/items",
        data=payload,
        content_type="application/json",
        headers=world.owner_auth,
    )
    expect_error(response, 413, "too_large")
    assert counts() == before


def test_smaller_configured_request_limit_is_honoured(
    client, app, world, comments_url, expect_error
):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post(comments_url, json={"body": "x" * 200}, headers=world.team_auth)
    expect_error(response, 413, "too_large")
    assert (
        client.post(comments_url, json={"body": "short"}, headers=world.team_auth).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "nul \u0000 inside"}, "body"),
        ({"body": "fine", "reply_to": None, "\u0000": 1}, "_schema"),
    ],
)
def test_nul_bytes_are_422(client, world, comments_url, counts, expect_error, body, field):
    before = counts()
    response = client.post(comments_url, json=body, headers=world.team_auth)
    error = expect_error(response, 422, "invalid", field)
    assert "NUL" in error["fields"][field][0]
    assert counts() == before


def test_nul_bytes_in_nested_rows_name_the_row(client, world, counts, expect_error):
    before = counts()
    rows = [
        {"external_id": "fine-1"},
        {"external_id": "fine-2", "metadata": {"collector": "A.\u0000B."}},
        {"external_id": "bad\u0000id"},
    ]
    response = client.post(
        f"{API}/projects/herbarium/items", json={"items": rows}, headers=world.owner_auth
    )
    expect_error(response, 422, "invalid", "items.1.metadata.collector", "items.2.external_id")
    assert counts() == before


def test_nul_bytes_in_path_and_query_are_422(client, world, expect_error):
    expect_error(client.get(f"{API}/projects/herb%00arium"), 422, "invalid", "slug")
    expect_error(client.get(f"{API}/users/a%00b"), 422, "invalid", "username")
    expect_error(client.get(f"{API}/projects/herbarium/items/x%00y"), 422, "invalid", "external_id")
    expect_error(client.get(f"{API}/projects?cursor=a%00b"), 422, "invalid", "cursor")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["body"]),
        ({"body": ""}, ["body"]),
        ({"body": 42}, ["body"]),
        ({"body": None}, ["body"]),
        ({"body": "ok", "reply_to": "one"}, ["reply_to"]),
        ({"body": "ok", "reply_to": 2**40}, ["reply_to"]),
        ({"body": "ok", "surprise": True}, ["surprise"]),
        ([], ["_schema"]),
        ("just a string", ["_schema"]),
    ],
)
def test_invalid_fields_are_422_naming_them(
    client, world, comments_url, counts, expect_error, body, fields
):
    before = counts()
    response = client.post(comments_url, json=body, headers=world.team_auth)
    expect_error(response, 422, "invalid", *fields)
    assert counts() == before


def test_empty_json_body_is_422(client, world, comments_url, expect_error):
    response = client.post(
        comments_url, data=b"", content_type="application/json", headers=world.team_auth
    )
    expect_error(response, 422, "invalid", "body")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJhIl0", "cursor"),  # valid base64 JSON, wrong type for the key
    ],
)
def test_bad_page_arguments_are_422(client, world, expect_error, query, field):
    for path in (
        "/projects",
        "/projects/herbarium/items",
        f"/discussions/{world.discussion.id}/comments",
    ):
        expect_error(client.get(f"{API}{path}?{query}"), 422, "invalid", field)


def test_comment_over_the_size_limit_is_422(client, app, world, comments_url, counts, expect_error):
    before = counts()
    limit = app.config["TALK_MAX_COMMENT_LENGTH"]
    response = client.post(comments_url, json={"body": "x" * (limit + 1)}, headers=world.team_auth)
    expect_error(response, 422, "invalid", "body")
    assert counts() == before
    response = client.post(comments_url, json={"body": "x" * limit}, headers=world.team_auth)
    assert response.status_code == 201


def test_service_errors_keep_their_status_code_and_fields(client, world, expect_error):
    # A blank body passes the schema's length check; the service refuses it after stripping.
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json={"body": "   "},
        headers=world.team_auth,
    )
    error = expect_error(response, 422, "invalid", "body")
    assert error["fields"]["body"] == ["Must not be blank."]


@pytest.mark.parametrize(
    "body",
    [
        '{"body": "x", "reply_to": ' + "1" * 5000 + "}",  # more digits than Python converts
        "[" * 100_000 + "]" * 100_000,  # deeper than the interpreter's stack
        '{"body": NaN}',
        '{"body": "x", "reply_to": Infinity}',
    ],
    ids=["huge-number", "deep-nesting", "nan", "infinity"],
)
def test_json_python_reads_but_json_does_not_allow_is_400(
    client, world, comments_url, counts, expect_error, body
):
    before = counts()
    response = client.post(
        comments_url, data=body, content_type="application/json", headers=world.team_auth
    )
    expect_error(response, 400, "malformed_json")
    assert counts() == before


def test_unpaired_surrogates_are_422(client, world, counts, expect_error):
    before = counts()
    response = client.post(
        f"{API}/projects",
        data='{"slug": "x", "title": "\\ud800", "settings": {"\\udfff": 1}}',
        content_type="application/json",
        headers=world.owner_auth,
    )
    error = expect_error(response, 422, "invalid", "title", "settings")
    assert "surrogate" in error["fields"]["title"][0]
    assert counts() == before


def test_deeply_nested_values_are_422(client, world, counts, expect_error):
    before = counts()
    settings = inner = {}
    for _ in range(30):
        inner["deeper"] = {}
        inner = inner["deeper"]
    response = client.post(
        f"{API}/projects",
        json={"slug": "deep", "title": "Deep", "settings": settings},
        headers=world.owner_auth,
    )
    error = expect_error(response, 422, "invalid")
    assert any(key.startswith("settings.deeper.deeper") for key in error["fields"])
    assert counts() == before
