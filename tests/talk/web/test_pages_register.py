"""Registration keeps the page you came from and shows every problem at once; bylines show
the username beside a display name that could pass for someone else's."""

from __future__ import annotations

from tests.conftest import csrf_token
from tests.talk.web.pages import outline, squash, submit, text
from tests.talk.web.test_pages_auth import registration


def test_registering_goes_back_to_the_page_you_came_from(client, make, mailbox):
    project = make.project("herbarium")
    came_from = f"/projects/{project.slug}"
    page = client.get(came_from)
    (register_link,) = [a for a in outline(page).find("a") if a["href"].startswith("/register")]
    assert register_link["href"] == f"/register?next={came_from}"

    form_page = client.get(register_link["href"])
    (form,) = [
        f for f in outline(form_page).find("form") if f.get("action", "").startswith("/register")
    ]
    assert "next=" in form["action"]
    assert (
        submit(client, register_link["href"], form["action"], **registration()).status_code == 200
    )
    response = confirm_link(client, mailbox)
    assert response.status_code == 302
    assert response.headers["Location"] == came_from


def test_next_survives_a_refused_attempt_and_the_login_link(client, mailbox):
    refused = submit(
        client,
        "/register?next=/projects/x",
        "/register?next=/projects/x",
        **registration(password="short", confirm="short"),
    )
    assert refused.status_code == 422
    page = outline(refused)
    (form,) = [f for f in page.find("form") if f.get("action", "").startswith("/register")]
    assert form["action"] == "/register?next=/projects/x"
    assert [a for a in page.find("a") if a["href"] == "/login?next=/projects/x"]
    submit(client, "/register", form["action"], **registration())
    assert confirm_link(client, mailbox).headers["Location"] == "/projects/x"


def test_an_off_site_next_is_dropped(client, mailbox):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = submit(
            client,
            "/register",
            f"/register?next={target}",
            **registration(username=f"u{len(target)}", email=f"u{len(target)}@example.org"),
        )
        assert response.status_code == 200
        confirmed = confirm_link(client, mailbox)
        assert confirmed.status_code == 302
        assert confirmed.headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def confirm_link(client, mailbox):
    link = mailbox.link("verify_email")
    return client.post(link, data={"csrf_token": csrf_token(client, link)})


def test_every_problem_is_shown_at_once_beside_its_field_and_in_the_summary(client, make):
    make.user("alice")
    response = submit(
        client,
        "/register",
        username="AIice",
        display_name="",
        email="not-an-address",
        password="short",
        confirm="different",
    )
    assert response.status_code == 422
    page = outline(response)
    for field in ("username", "email", "password", "confirm"):
        (control,) = [i for i in page.find("input") if i.get("name") == field]
        assert control["aria-invalid"] == "true", field
        assert page.find("p", id=f"{field}-error"), field
        assert page.find("a", href=f"#{field}"), field
    html = squash(text(response))
    assert "Too similar to an existing username." in html
    assert "Use at least 8 characters." in html


def test_every_service_problem_is_shown_at_once_when_the_form_itself_is_fine(client, make):
    make.user("alice")
    response = submit(
        client,
        "/register",
        **registration(username="moderators", email="x@", password="short", confirm="short"),
    )
    assert response.status_code == 422
    page = outline(response)
    for field in ("username", "email", "password"):
        assert page.find("a", href=f"#{field}"), field
    assert "That name is reserved; choose another." in text(response)


def test_a_registered_address_is_not_revealed(client, make, mailbox):
    """Issue 8: registration said "That email address is already registered"; now it answers
    as for a new address and tells the address's owner by mail."""
    make.user("ada")
    response = submit(client, "/register", **registration(username="ada2"))
    assert response.status_code == 200
    assert "already registered" not in text(response)
    assert "Check your email" in text(response)
    assert mailbox.kinds() == [("already_registered", "ada@example.org")]


def test_bylines_show_the_username_beside_a_display_name(client, make):
    project = make.project("herbarium")
    staff = make.member(project, "moderator", username="jsmith", display_name="Jane Smith")
    copycat = make.user("janesmith2", display_name="Jane Smith")
    plain = make.user("plainname")
    discussion = make.discussion(project, staff, title="Welcome", body="Hello")
    make.comment(discussion, copycat, body="Hello from the real Jane")
    make.comment(discussion, plain, body="Hi")
    html = squash(text(client.get(f"/discussions/{discussion.id}")))
    assert 'Jane Smith <span class="username">(@jsmith)</span>' in html
    assert 'Jane Smith <span class="username">(@janesmith2)</span>' in html
    assert "(@plainname)" not in html  # the display name is the username: nothing to add
    profile = squash(text(client.get("/users/janesmith2")))
    assert "@janesmith2" in profile
