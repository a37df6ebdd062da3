"""Projects and their boards."""

import pytest

API = "/api/v1"


def _new_project(**overrides):
    return {"slug": "registers", "title": "Parish registers", "description": "1700s", **overrides}


def test_site_admin_creates_a_project_with_its_boards(client, world):
    response = client.post(
        f"{API}/projects",
        json=_new_project(settings={"item_label": "page"}),
        headers=world.owner_auth,
    )
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    assert project["slug"] == "registers"
    assert project["settings"] == {"item_label": "page"}
    assert project["url"] == "http://talk.test/projects/registers"
    assert project["api_url"] == "http://talk.test/api/v1/projects/registers"
    assert [b["kind"] for b in project["boards"]] == ["items", "general", "general", "general"]
    assert client.get(f"{API}/projects/registers").status_code == 200
    members = client.get(f"{API}/projects/registers/members").get_json()["data"]
    assert [(m["user"]["username"], m["role"]) for m in members] == [
        (world.owner.username, "owner")
    ]


@pytest.mark.parametrize("who", ["admin_auth", "team_auth", "volunteer_auth"])
def test_only_site_admins_create_projects(client, world, counts, expect_error, who):
    before = counts()
    response = client.post(f"{API}/projects", json=_new_project(), headers=getattr(world, who))
    expect_error(response, 403, "forbidden")
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No slug"}, "slug"),
        (_new_project(slug="Has Spaces"), "slug"),
        (_new_project(slug="-edge"), "slug"),
        (_new_project(slug="x" * 65), "slug"),
        (_new_project(title=""), "title"),
        (_new_project(title="t" * 201), "title"),
        (_new_project(settings=["not", "an", "object"]), "settings"),
        (_new_project(owner="me"), "owner"),
    ],
)
def test_invalid_project_is_422(client, world, counts, expect_error, body, field):
    before = counts()
    response = client.post(f"{API}/projects", json=body, headers=world.owner_auth)
    expect_error(response, 422, "invalid", field)
    assert counts() == before


def test_duplicate_slug_is_409(client, world, counts, expect_error):
    before = counts()
    response = client.post(
        f"{API}/projects", json=_new_project(slug="herbarium"), headers=world.owner_auth
    )
    expect_error(response, 409, "conflict", "slug")
    assert counts() == before


def test_project_lists_and_detail(client, make, world):
    make.project("second", owner=world.owner)
    listing = client.get(f"{API}/projects").get_json()
    assert [p["slug"] for p in listing["data"]] == ["herbarium", "second"]
    assert listing["next_cursor"] is None
    detail = client.get(f"{API}/projects/herbarium").get_json()
    assert detail["item_count"] == 1
    assert detail["discussion_count"] == 1
    assert detail["comment_count"] == 1
    assert "email" not in str(detail)


def test_project_detail_lists_only_readable_boards(client, world, staff_board):
    anonymous = client.get(f"{API}/projects/herbarium").get_json()
    staff = client.get(f"{API}/projects/herbarium", headers=world.team_auth).get_json()
    assert "Staff room" not in [b["title"] for b in anonymous["boards"]]
    assert "Staff room" in [b["title"] for b in staff["boards"]]
    boards = client.get(f"{API}/projects/herbarium/boards", headers=world.volunteer_auth).get_json()
    assert [b["title"] for b in boards["data"]] == [b["title"] for b in anonymous["boards"]]
    assert boards["next_cursor"] is None


def test_project_admin_creates_a_board(client, world):
    response = client.post(
        f"{API}/projects/herbarium/boards",
        json={"title": "Experts", "read_level": "logged-in", "write_level": "team"},
        headers=world.admin_auth,
    )
    assert response.status_code == 201, response.get_json()
    board = response.get_json()
    assert (board["kind"], board["read_level"], board["write_level"]) == (
        "general",
        "logged-in",
        "team",
    )
    assert board["url"] == f"http://talk.test/projects/herbarium/boards/{board['id']}"
    assert client.get(board["api_url"], headers=world.volunteer_auth).status_code == 200
    assert client.get(board["api_url"]).status_code == 404  # anonymous may not read it


@pytest.mark.parametrize("who", ["team_auth", "moderator_auth", "volunteer_auth"])
def test_only_project_admins_create_boards(client, world, counts, expect_error, who):
    before = counts()
    response = client.post(
        f"{API}/projects/herbarium/boards", json={"title": "Mine"}, headers=getattr(world, who)
    )
    expect_error(response, 403, "forbidden")
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": ""}, 422, "title"),
        ({"title": "x", "read_level": "friends"}, 422, "read_level"),
        ({"title": "x", "read_level": "team", "write_level": "logged-in"}, 422, "write_level"),
    ],
)
def test_invalid_board_is_422(client, world, counts, expect_error, body, status, field):
    before = counts()
    response = client.post(f"{API}/projects/herbarium/boards", json=body, headers=world.admin_auth)
    expect_error(response, status, "invalid", field)
    assert counts() == before
