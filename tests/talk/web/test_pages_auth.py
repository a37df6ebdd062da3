"""Registering, logging in and out through the real forms, CSRF and the session cookie."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import User
from tests.conftest import TEST_PASSWORD, csrf_token, login, register
from tests.talk.web.pages import outline, submit, text


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def registration(**overrides):
    data = {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
    }
    return {**data, **overrides}


def test_register_logs_in_and_shows_the_display_name(app, client, mailbox):
    response = register(client, mailbox)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Ada Lovelace" in text(page)
    assert outline(page).find("form", action="/logout")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ada"))
        assert (user.display_name, user.email) == ("Ada Lovelace", "ada@example.org")


def test_register_form_labels_every_field(client):
    page = outline(client.get("/register"))
    labelled = {label["for"] for label in page.find("label")}
    inputs = [i for i in page.find("input") if i.get("type") != "hidden"]
    assert {"username", "display_name", "email", "password", "confirm"} <= labelled
    assert all(i["id"] in labelled for i in inputs)


@pytest.mark.parametrize(
    ("overrides", "field", "status"),
    [
        ({"confirm": "something else entirely"}, "confirm", 422),
        ({"password": "short", "confirm": "short"}, "password", 422),
        ({"email": "not-an-address"}, "email", 422),
        ({"username": "a b"}, "username", 422),
        ({"username": ""}, "username", 422),
    ],
)
def test_register_refuses_bad_input_next_to_the_field(app, client, overrides, field, status):
    response = submit(client, "/register", **registration(**overrides))
    assert response.status_code == status
    page = outline(response)
    (control,) = [t for t in page.find("input") if t.get("name") == field]
    assert control["aria-invalid"] == "true"
    assert f"{field}-error" in control["aria-describedby"].split()
    assert page.find("p", id=f"{field}-error")
    assert user_count(app) == 0


def test_register_refuses_a_taken_username_with_409_but_not_a_taken_email(app, client, make):
    make.user("ada")
    taken_name = submit(client, "/register", **registration(email="other@example.org"))
    assert taken_name.status_code == 409
    assert "Already taken." in text(taken_name)
    # A taken address answers as a new one (its owner is mailed): issue 8's enumeration.
    taken_email = submit(
        client, "/register", **registration(username="ada2", email="ADA@example.org")
    )
    assert taken_email.status_code == 200
    assert "Already used." not in text(taken_email)
    assert user_count(app) == 1


def test_register_without_or_with_a_wrong_csrf_token_is_refused(app, client):
    client.get("/register")
    missing = client.post("/register", data=registration())
    wrong = client.post("/register", data={**registration(), "csrf_token": "forged"})
    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert "CSRF" in text(missing)
    assert user_count(app) == 0


def test_login_by_username_or_email_and_logout(client, make):
    make.user("grace", display_name="Grace Hopper")
    login(client, "grace")
    assert "Grace Hopper" in text(client.get("/"))
    response = submit(client, "/", "/logout")
    assert response.status_code == 302
    assert "Grace Hopper" not in text(client.get("/"))
    login(client, "GRACE@example.org")
    assert "Grace Hopper" in text(client.get("/"))


def test_logout_needs_post_with_csrf(client, make):
    make.user("grace", display_name="Grace Hopper")
    login(client, "grace")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert "Grace Hopper" in text(client.get("/"))


def test_login_with_a_wrong_password_is_refused(client, make):
    make.user("grace", display_name="Grace Hopper")
    response = submit(client, "/login", login="grace", password="wrong password")
    assert response.status_code == 401
    assert "do not match" in text(response)
    assert "Grace Hopper" not in text(client.get("/"))
    unknown = submit(client, "/login", login="nobody", password=TEST_PASSWORD)
    assert unknown.status_code == 401


def test_login_with_empty_fields_is_422(client):
    response = submit(client, "/login", login="", password="")
    assert response.status_code == 422
    assert outline(response).find("p", id="login-error")


def test_login_follows_a_same_site_next(client, make):
    make.user("grace")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/projects/p?cursor=x",
        data={"login": "grace", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/p?cursor=x"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\r\nLocation: https://evil.example",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_login_refuses_an_open_redirect(client, make, target):
    make.user("grace")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"login": "grace", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "talk.test")
    assert location.path == "/"


def test_session_cookie_is_httponly_and_samesite_lax(client, make):
    make.user("grace")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"login": "grace", "password": TEST_PASSWORD, "remember": "y", "csrf_token": token},
    )
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        attributes = [a.strip().lower() for a in cookies[name].split(";")]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes


def test_without_remember_me_no_remember_cookie_is_set(client, make):
    make.user("grace")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"login": "grace", "password": TEST_PASSWORD, "csrf_token": token}
    )
    names = {c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")}
    assert "session" in names
    assert "remember_token" not in names
