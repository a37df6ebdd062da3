"""Logging out ends every session of the account: cookies copied before the logout (the session
cookie, the remember-me cookie) stop working on every device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from talk import policy
from talk.errors import PermissionDenied
from talk.extensions import db
from talk.models import User
from talk.services import accounts
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.talk.web.pages import outline, submit, text

DOMAIN = "talk.test"  # the test app's SERVER_NAME


def _log_in_remembered(client: FlaskClient, username: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"login": username, "password": TEST_PASSWORD, "remember": "y", "csrf_token": token},
    )
    assert response.status_code == 302


def _copy_cookie(source: FlaskClient, target: FlaskClient, name: str) -> None:
    cookie = source.get_cookie(name, domain=DOMAIN)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value, domain=DOMAIN)


def _logged_in_as(client: FlaskClient, display_name: str) -> bool:
    """The page shows the name and offers to log out (a pending "Logged in as" flash alone
    does not count)."""
    page = client.get("/")
    return display_name in text(page) and bool(outline(page).find("form", action="/logout"))


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_logout_ends_the_copied_session_and_remember_cookies(app, make, cookie):
    make.user("grace", display_name="Grace Hopper")
    first, second = app.test_client(), app.test_client()
    _log_in_remembered(first, "grace")
    _copy_cookie(first, second, cookie)
    assert _logged_in_as(second, "Grace Hopper")  # the copied cookie alone logs in

    assert submit(first, "/", "/logout").status_code == 302

    assert not _logged_in_as(first, "Grace Hopper")
    assert not _logged_in_as(second, "Grace Hopper")


def test_logout_ends_both_cookies_held_together_and_logging_in_again_works(app, make):
    make.user("grace", display_name="Grace Hopper")
    first, second = app.test_client(), app.test_client()
    _log_in_remembered(first, "grace")
    for name in ("session", "remember_token"):
        _copy_cookie(first, second, name)
    _log_in_remembered(second, "grace")  # a second device of its own, too
    third = app.test_client()
    _log_in_remembered(third, "grace")

    submit(first, "/", "/logout")

    assert not _logged_in_as(second, "Grace Hopper")
    assert not _logged_in_as(third, "Grace Hopper")
    _log_in_remembered(third, "grace")
    assert _logged_in_as(third, "Grace Hopper")


def test_the_remember_cookie_lasts_talk_remember_days(app, make):
    make.user("grace")
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    client = app.test_client()
    _log_in_remembered(client, "grace")
    cookie = client.get_cookie("remember_token", domain=DOMAIN)
    assert cookie is not None
    assert cookie.expires is not None
    lifetime = cookie.expires - cookie.expires.now(cookie.expires.tzinfo)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)


def test_ending_sessions_is_for_the_user_site_admins_and_the_operator(app, make):
    grace, ada, admin = make.user("grace"), make.user("ada"), make.admin()
    with app.app_context():
        target = db.session.get(User, grace.id)
        before = target.get_id()
        with pytest.raises(PermissionDenied):
            accounts.end_sessions(db.session.get(User, ada.id), target)
        assert target.get_id() == before
        for actor in (target, db.session.get(User, admin.id), policy.OPERATOR):
            accounts.end_sessions(actor, target)
            assert target.get_id() != before
            before = target.get_id()
        assert policy.may(target, "account.end_sessions", target)
        assert not policy.may(db.session.get(User, ada.id), "account.end_sessions", target)


@pytest.mark.parametrize(
    "session_id", ["", "x", "1", "1:", ":abc", "abc:def", "99999:abc", "1:wrong", "1:a:b"]
)
def test_a_malformed_or_stale_session_id_loads_nobody(app, make, session_id):
    make.user("grace")
    with app.app_context():
        assert accounts.user_for_session(session_id) is None


def test_no_veto_keeps_anyone_logged_in(app, make, monkeypatch):
    """A veto refusing grace everything (a suspension) does not stop her logging out, while
    an admin's ending of someone else's sessions is still a vetoable decision."""
    make.user("grace", display_name="Grace Hopper")
    admin = make.admin()

    def suspended(actor, action, target):
        return (
            "Suspended." if getattr(actor, "username", None) in {"grace", admin.username} else None
        )

    monkeypatch.setattr(policy, "_VETOES", [suspended])
    first, second = app.test_client(), app.test_client()
    _log_in_remembered(first, "grace")
    _log_in_remembered(second, "grace")
    assert submit(first, "/", "/logout").status_code == 302
    assert not _logged_in_as(second, "Grace Hopper")
    with app.app_context():
        grace = db.session.scalar(select(User).where(User.username == "grace"))
        with pytest.raises(PermissionDenied, match="Suspended"):
            accounts.end_sessions(db.session.get(User, admin.id), grace)
