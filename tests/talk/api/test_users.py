"""Public user profiles."""

API = "/api/v1"


def test_public_profile_has_no_private_fields(client, make, world):
    make.comment(world.discussion, world.volunteer, "Me again")
    response = client.get(f"{API}/users/volunteer")
    assert response.status_code == 200
    profile = response.get_json()
    assert set(profile) == {
        "username",
        "display_name",
        "created_at",
        "comment_count",
        "url",
        "api_url",
    }
    assert profile["comment_count"] == 2
    assert profile["url"] == "http://talk.test/users/volunteer"
    assert profile["api_url"] == "http://talk.test/api/v1/users/volunteer"
    assert "example.org" not in response.get_data(as_text=True)


def test_profile_lookup_ignores_case(client, world):
    assert client.get(f"{API}/users/VolUnteer").get_json()["username"] == "volunteer"


def test_unknown_user_is_404(client, world, expect_error):
    expect_error(client.get(f"{API}/users/nobody"), 404, "not_found")
