"""Who may call: bearer tokens, the browser session with its CSRF header, and anonymous readers."""

from tests.conftest import csrf_token, login

API = "/api/v1"


def _comment_body(text="Looks like *Quercus robur*."):
    return {"body": text}


def test_token_user_is_the_author_of_what_they_post(client, world):
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json=_comment_body(),
        headers=world.outsider_auth,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"]["username"] == "outsider"


def test_token_requests_set_no_cookie(client, world):
    read = client.get(f"{API}/projects/herbarium", headers=world.volunteer_auth)
    write = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json=_comment_body(),
        headers=world.volunteer_auth,
    )
    assert (read.status_code, write.status_code) == (200, 201)
    for response in (read, write):
        assert "Set-Cookie" not in response.headers
    assert client.get_cookie("session", domain="talk.test") is None


def test_write_without_credentials_is_401_and_changes_nothing(client, world, counts, expect_error):
    before = counts()
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments", json=_comment_body()
    )
    expect_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert counts() == before


def test_unknown_token_is_401_even_for_reads(client, world, expect_error):
    for method, path in (
        ("get", "/projects"),
        ("post", f"/discussions/{world.discussion.id}/comments"),
    ):
        response = getattr(client, method)(
            f"{API}{path}", json=_comment_body(), headers={"Authorization": "Bearer talk_nope"}
        )
        expect_error(response, 401, "invalid_token")
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_malformed_authorization_header_is_401(client, world, expect_error):
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "talk_abc", "Bearer " + "x" * 500):
        response = client.get(f"{API}/projects", headers={"Authorization": header})
        expect_error(response, 401, "invalid_token")


def test_anonymous_reads_what_everyone_may_read(client, world):
    assert client.get(f"{API}/projects").status_code == 200
    assert client.get(f"{API}/projects/herbarium").status_code == 200
    assert client.get(f"{API}/discussions/{world.discussion.id}/comments").status_code == 200


def test_session_write_without_csrf_header_is_refused(client, world, counts, expect_error):
    login(client, "volunteer")
    before = counts()
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments", json=_comment_body()
    )
    expect_error(response, 400, "csrf")
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json=_comment_body(),
        headers={"X-CSRFToken": "forged"},
    )
    expect_error(response, 400, "csrf")
    assert counts() == before


def test_session_write_with_csrf_header_works(client, world):
    login(client, "volunteer")
    token = csrf_token(client)
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json=_comment_body(),
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"]["username"] == "volunteer"
    comment_id = response.get_json()["id"]
    response = client.delete(f"{API}/comments/{comment_id}", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["deleted"] is True


def test_session_user_is_the_reader(client, world, staff_board):
    assert client.get(f"{API}/boards/{staff_board.id}").status_code == 404
    login(client, world.team.username)
    assert client.get(f"{API}/boards/{staff_board.id}").status_code == 200


def test_token_wins_over_a_session(client, world):
    login(client, "volunteer")
    response = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json=_comment_body(),
        headers=world.outsider_auth,
    )
    assert response.status_code == 201
    assert response.get_json()["author"]["username"] == "outsider"
