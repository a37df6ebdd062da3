"""Project members: listing, granting and removing roles."""

import pytest

API = "/api/v1"
MEMBERS = f"{API}/projects/herbarium/members"


def _roles(client):
    return {
        m["user"]["username"]: (m["role"], m["label"])
        for m in client.get(MEMBERS).get_json()["data"]
    }


def test_members_list_shows_roles_labels_and_profile_links(client, world):
    response = client.get(MEMBERS)
    assert response.status_code == 200
    members = response.get_json()["data"]
    assert [m["user"]["username"] for m in members] == [
        world.owner.username,
        "projadmin",
        "staffer",
        "moddy",
    ]
    assert members[1] == {
        "user": {
            "username": "projadmin",
            "display_name": "projadmin",
            "url": "http://talk.test/users/projadmin",
        },
        "role": "admin",
        "label": "",
        "created_at": members[1]["created_at"],
    }


def test_project_admin_grants_a_role_with_label(client, world):
    response = client.put(
        f"{MEMBERS}/volunteer",
        json={"role": "expert", "label": "Herbarium curator"},
        headers=world.admin_auth,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["role"] == "expert"
    assert _roles(client)["volunteer"] == ("expert", "Herbarium curator")
    # and the new expert may now register items
    items = client.post(
        f"{API}/projects/herbarium/items",
        json={"items": [{"external_id": "by-expert"}]},
        headers=world.volunteer_auth,
    )
    assert items.status_code == 201


def test_usernames_are_found_regardless_of_case(client, world):
    response = client.put(f"{MEMBERS}/VOLUNTEER", json={"role": "team"}, headers=world.admin_auth)
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "volunteer"


@pytest.mark.parametrize("who", ["volunteer_auth", "team_auth", "moderator_auth", "outsider_auth"])
def test_only_admins_and_owners_grant_roles(client, world, counts, expect_error, who):
    before = counts()
    response = client.put(
        f"{MEMBERS}/outsider", json={"role": "moderator"}, headers=getattr(world, who)
    )
    expect_error(response, 403, "forbidden")
    response = client.delete(f"{MEMBERS}/staffer", headers=getattr(world, who))
    expect_error(response, 403, "forbidden")
    assert counts() == before


def test_project_admin_may_not_make_or_unmake_owners(client, world, counts, expect_error):
    before = counts()
    expect_error(
        client.put(f"{MEMBERS}/volunteer", json={"role": "owner"}, headers=world.admin_auth),
        403,
        "forbidden",
    )
    expect_error(
        client.put(f"{MEMBERS}/projadmin", json={"role": "owner"}, headers=world.admin_auth),
        403,
        "forbidden",
    )
    expect_error(
        client.delete(f"{MEMBERS}/{world.owner.username}", headers=world.admin_auth),
        403,
        "forbidden",
    )
    assert counts() == before


def test_owner_grants_ownership_and_the_last_owner_stays(
    client, make, world, token, counts, expect_error
):
    owner = make.user("realowner")
    project = make.project("solo", owner=make.admin())
    make.grant(project, owner, "owner")
    headers = token(owner)
    url = f"{API}/projects/solo/members"
    # the project now has two owners; remove the site admin who created it
    creator = project.owner.username
    assert client.delete(f"{url}/{creator}", headers=headers).status_code == 204
    before = counts()
    response = client.put(f"{url}/realowner", json={"role": "admin"}, headers=headers)
    expect_error(response, 409, "conflict", "role")
    expect_error(client.delete(f"{url}/realowner", headers=headers), 409, "conflict")
    assert counts() == before
    assert (
        client.put(f"{url}/volunteer", json={"role": "owner"}, headers=headers).status_code == 200
    )


def test_removing_a_member(client, world):
    response = client.delete(f"{MEMBERS}/staffer", headers=world.admin_auth)
    assert response.status_code == 204
    assert response.data == b""
    assert "staffer" not in _roles(client)


def test_removing_a_non_member_is_404(client, world, expect_error):
    expect_error(client.delete(f"{MEMBERS}/volunteer", headers=world.admin_auth), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "role"),
        ({"role": "king"}, "role"),
        ({"role": "team", "label": "x" * 81}, "label"),
        ({"role": "team", "label": 5}, "label"),
    ],
)
def test_invalid_role_is_422(client, world, counts, expect_error, body, field):
    before = counts()
    response = client.put(f"{MEMBERS}/volunteer", json=body, headers=world.admin_auth)
    expect_error(response, 422, "invalid", field)
    assert counts() == before
