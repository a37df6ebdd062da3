"""The caller's own API tokens: listed and revoked by their owner alone, optional expiry, a
``last_used_at`` written at most once a minute, and project scope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from talk.extensions import db
from talk.models import ApiToken
from tests.conftest import csrf_token, login

API = "/api/v1"


def _new_token(client, headers, **body):
    response = client.post(f"{API}/me/tokens", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_owner_lists_makes_and_revokes_their_tokens(client, world):
    made = _new_token(client, world.volunteer_auth, name="nightly sync", expires_days=30)
    assert made["token"].startswith("talk_")
    assert made["name"] == "nightly sync"
    assert made["project"] is None
    assert made["expired"] is False

    listed = client.get(f"{API}/me/tokens", headers=world.volunteer_auth).get_json()["rows"]
    assert [t["name"] for t in listed] == ["nightly sync", "tests"]
    assert all("token" not in t and "token_hash" not in t for t in listed)

    assert client.get(f"{API}/projects", headers=_bearer(made["token"])).status_code == 200
    revoked = client.delete(f"{API}/me/tokens/{made['id']}", headers=world.volunteer_auth)
    assert revoked.status_code == 204
    after = client.get(f"{API}/projects", headers=_bearer(made["token"]))
    assert after.status_code == 401


def test_only_a_hash_of_the_secret_is_stored(app, client, world):
    made = _new_token(client, world.volunteer_auth)
    with app.app_context():
        stored = db.session.get(ApiToken, made["id"])
        assert made["token"] not in stored.token_hash
        assert len(stored.token_hash) == 64


def test_nobody_lists_or_revokes_someone_elses_tokens(app, client, world, expect_error, counts):
    made = _new_token(client, world.volunteer_auth, name="private")
    before = counts()
    # The list is always the caller's own: the outsider (and a site admin) sees only theirs.
    for auth in (world.outsider_auth, world.owner_auth):
        rows = client.get(f"{API}/me/tokens", headers=auth).get_json()["rows"]
        assert made["id"] not in [t["id"] for t in rows]
        assert "private" not in [t["name"] for t in rows]
    # Someone else's id is as unknown as a missing one: 404, not 403, and nothing changes.
    for auth in (world.outsider_auth, world.owner_auth):
        others = client.delete(f"{API}/me/tokens/{made['id']}", headers=auth)
        missing = client.delete(f"{API}/me/tokens/{made['id'] + 1000}", headers=auth)
        expect_error(others, 404, "not_found")
        expect_error(missing, 404, "not_found")
        assert others.get_json()["error"]["message"].replace(str(made["id"]), "N") == (
            missing.get_json()["error"]["message"].replace(str(made["id"] + 1000), "N")
        )
    assert counts() == before
    assert client.get(f"{API}/projects", headers=_bearer(made["token"])).status_code == 200


def test_anonymous_callers_have_no_tokens(client, world, expect_error):
    expect_error(client.get(f"{API}/me/tokens"), 401, "unauthenticated")


def test_browser_session_manages_tokens_with_the_csrf_header(client, world):
    login(client, "volunteer")
    header = {"X-CSRFToken": csrf_token(client)}
    refused = client.post(f"{API}/me/tokens", json={"name": "x"})
    made = client.post(f"{API}/me/tokens", json={"name": "x"}, headers=header)
    assert (refused.status_code, made.status_code) == (400, 201)


def test_bad_token_requests_are_422_naming_the_field(client, world, expect_error, counts):
    before = counts()
    for body, field in (
        ({"expires_days": 0}, "expires_days"),
        ({"expires_days": 99999}, "expires_days"),
        ({"project": "no-such-project"}, "project"),
        ({"name": "x" * 200}, "name"),
        ({"secret": "mine"}, "secret"),
    ):
        response = client.post(f"{API}/me/tokens", json=body, headers=world.volunteer_auth)
        expect_error(response, 422, "invalid", field)
    expect_error(
        client.delete(f"{API}/me/tokens/99999999999", headers=world.volunteer_auth),
        404,
        "not_found",
    )
    assert counts() == before


def test_an_expired_token_is_refused_with_a_clear_401(client, world, clock, expect_error):
    made = _new_token(client, world.volunteer_auth, expires_days=7)
    clock.advance(days=7, seconds=-1)
    assert client.get(f"{API}/projects", headers=_bearer(made["token"])).status_code == 200
    clock.advance(seconds=1)
    error = expect_error(
        client.get(f"{API}/projects", headers=_bearer(made["token"])), 401, "invalid_token"
    )
    assert "expired" in error["message"]
    assert "2026-03-21" in error["message"]
    listed = client.get(f"{API}/me/tokens", headers=world.volunteer_auth).get_json()["rows"]
    assert [t["expired"] for t in listed if t["id"] == made["id"]] == [True]


def test_last_used_is_written_at_most_once_a_minute(app, client, world, clock, count_queries):
    made = _new_token(client, world.volunteer_auth)
    auth = _bearer(made["token"])

    def last_used():
        with app.app_context():
            return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == made["id"]))

    assert last_used() is None
    first = clock.now
    client.get(f"{API}/projects", headers=auth)
    assert last_used() == first

    clock.advance(seconds=59)
    with count_queries() as counter:
        client.get(f"{API}/projects", headers=auth)
    assert not [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert last_used() == first

    clock.advance(seconds=1)
    client.get(f"{API}/projects", headers=auth)
    assert last_used() == first + timedelta(minutes=1)


def test_cli_options_make_a_scoped_expiring_token(app, runner, world, clock):
    from talk.cli import cli

    result = runner.invoke(
        cli,
        ["create-token", "volunteer", "--project", "herbarium", "--expires-days", "30"],
    )
    assert result.exit_code == 0, result.output
    assert "project herbarium" in result.output
    assert "expires 2026-04-13" in result.output
    secret = result.stdout.strip().splitlines()[-1]
    with app.app_context():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.name == "").order_by(ApiToken.id.desc())
        )
        assert token.project.slug == "herbarium"
        assert token.expires_at == clock.now + timedelta(days=30)
    assert secret.startswith("talk_")

    for args, message in (
        (["--project", "nowhere"], "No project 'nowhere'"),
        (["--expires-days", "0"], "0 is not in the range"),
    ):
        refused = runner.invoke(cli, ["create-token", "volunteer", *args])
        assert refused.exit_code != 0
        assert message in refused.output


# --- project scope --------------------------------------------------------------------------


def _staff_board(app, project, owner):
    from talk.models import Project, User
    from talk.services import projects

    with app.app_context():
        board = projects.create_board(
            db.session.get(User, owner.id),
            db.session.get(Project, project.id),
            "Staff room",
            read_level="team",
            write_level="team",
        )
        db.session.commit()
        return board.id


def test_a_project_token_acts_only_in_its_project(app, client, make, world, staff_board):
    ledgers = make.project("ledgers", owner=world.owner)
    make.grant(ledgers, world.team, "team")
    elsewhere = make.discussion(ledgers, world.volunteer, title="A ledger", body="Faded ink")
    ledgers_staff = _staff_board(app, ledgers, world.owner)
    scoped = _bearer(_new_token(client, world.team_auth, project="herbarium")["token"])

    # In its project: the user's full rights, team-only boards included.
    here = client.post(
        f"{API}/discussions/{world.discussion.id}/comments", json={"body": "Oak"}, headers=scoped
    )
    assert here.status_code == 201, here.get_json()
    assert client.get(f"{API}/boards/{staff_board.id}", headers=scoped).status_code == 200

    # Elsewhere: writes refused with a 403 naming the scope…
    there = client.post(
        f"{API}/discussions/{elsewhere.id}/comments", json={"body": "Ink"}, headers=scoped
    )
    assert there.status_code == 403
    assert "limited to the project 'herbarium'" in there.get_json()["error"]["message"]
    # …and reads answered as to an anonymous visitor: public boards yes, team-only no (404).
    assert client.get(f"{API}/discussions/{elsewhere.id}", headers=scoped).status_code == 200
    assert client.get(f"{API}/boards/{ledgers_staff}", headers=scoped).status_code == 404
    assert client.get(f"{API}/boards/{ledgers_staff}", headers=world.team_auth).status_code == 200


def test_a_project_token_cannot_act_on_the_site_or_manage_tokens(client, world):
    scoped = _bearer(_new_token(client, world.owner_auth, project="herbarium")["token"])
    for method, path, body in (
        ("get", "/me/tokens", None),
        ("post", "/me/tokens", {"name": "wider"}),
        ("post", "/projects", {"slug": "new-one", "title": "New"}),
    ):
        response = getattr(client, method)(f"{API}{path}", json=body, headers=scoped)
        assert response.status_code == 403, (path, response.get_json())
        assert "limited to the project 'herbarium'" in response.get_json()["error"]["message"]


def test_a_project_token_leaves_other_projects_counts_and_lists_anonymous(app, client, make, world):
    """The SQL twin of board.read (lists across boards) follows the scope too."""
    from talk.models import Board, User
    from talk.policy import readable_boards_filter

    ledgers = make.project("ledgers", owner=world.owner)
    make.grant(ledgers, world.team, "team")
    ledgers_staff = _staff_board(app, ledgers, world.owner)
    scoped = _new_token(client, world.team_auth, project="herbarium")
    with app.test_request_context():
        from talk import policy
        from talk.models import Project

        user = db.session.get(User, world.team.id)
        readable = set(db.session.scalars(select(Board.id).where(readable_boards_filter(user))))
        assert ledgers_staff in readable
        policy.limit_to_project(user, db.session.get(Project, world.project.id))
        scoped_readable = set(
            db.session.scalars(select(Board.id).where(readable_boards_filter(user)))
        )
        assert ledgers_staff not in scoped_readable
        assert scoped_readable == readable - {ledgers_staff}
        # Only the token's user is limited: others are answered as usual.
        owner = db.session.get(User, world.owner.id)
        assert ledgers_staff in set(
            db.session.scalars(select(Board.id).where(readable_boards_filter(owner)))
        )
    assert scoped["project"] == "herbarium"
