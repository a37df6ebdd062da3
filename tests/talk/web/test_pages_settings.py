"""The account settings page (issue 9) and disabled accounts (issue 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from talk import policy
from talk.cli import cli
from talk.errors import PermissionDenied
from talk.extensions import db
from talk.models import User
from talk.services import accounts
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.talk.web.pages import outline, submit, text


def stored(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return {c.key: getattr(user, c.key) for c in User.__mapper__.column_attrs}


def logged_in(client):
    return bool(outline(client.get("/")).find("form", action="/logout"))


def test_settings_needs_a_login_and_links_the_tokens_page(app, client, make):
    assert client.get("/settings").status_code == 302
    make.user("grace")
    login(client, "grace")
    page = client.get("/settings")
    assert page.status_code == 200
    assert outline(page).find("a", href="/settings/tokens")
    assert outline(client.get("/")).find("a", href="/settings")


def test_display_name_and_time_zone_are_saved_or_refused_with_every_problem(app, client, make):
    make.user("grace")
    login(client, "grace")
    saved = submit(
        client, "/settings", "/settings/profile", display_name="Grace H.", time_zone="Europe/Paris"
    )
    assert saved.status_code == 302
    assert (stored(app, "grace")["display_name"], stored(app, "grace")["time_zone"]) == (
        "Grace H.",
        "Europe/Paris",
    )
    for zone in ("Mars/Olympus", "../../etc/passwd", "europe/paris", ""):
        refused = submit(
            client, "/settings", "/settings/profile", display_name="x" * 81, time_zone=zone
        )
        assert refused.status_code == 422, zone
        page = outline(refused)
        (control,) = [i for i in page.find("input") if i.get("name") == "time_zone"]
        assert control["aria-invalid"] == "true"
    assert stored(app, "grace")["time_zone"] == "Europe/Paris"


def test_changing_the_password_needs_the_current_one_and_ends_every_other_session(
    app, make, mailbox
):
    make.user("grace")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "grace")
    login(elsewhere, "grace")
    wrong = submit(
        here,
        "/settings",
        "/settings/password",
        current_password="not it at all",
        new_password="a new password",
        confirm="a new password",
    )
    assert wrong.status_code == 422
    assert "Not your password." in text(wrong)
    assert logged_in(elsewhere)
    done = submit(
        here,
        "/settings",
        "/settings/password",
        current_password=TEST_PASSWORD,
        new_password="a new password",
        confirm="a new password",
    )
    assert done.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)
    assert mailbox.kinds() == [("password_changed", "grace@example.org")]
    login(app.test_client(), "grace", "a new password")


def test_changing_the_address_takes_effect_when_the_new_one_confirms(app, make, mailbox):
    make.user("grace")
    client = app.test_client()
    login(client, "grace")
    asked = submit(
        client, "/settings", "/settings/email", email="g.hopper@example.org", password=TEST_PASSWORD
    )
    assert asked.status_code == 302
    assert mailbox.kinds() == [
        ("verify_email", "g.hopper@example.org"),
        ("email_changed", "grace@example.org"),
    ]
    assert mailbox.last("email_changed").extra == {"new_address": "g.hopper@example.org"}
    assert stored(app, "grace")["email"] == "grace@example.org"
    link = mailbox.link("verify_email")
    # Another browser (a scanner, or someone else) opening it confirms nothing.
    assert app.test_client().get(link).status_code == 200
    assert stored(app, "grace")["email"] == "grace@example.org"
    done = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert done.status_code == 302
    assert stored(app, "grace")["email"] == "g.hopper@example.org"
    again = client.post(link, data={"csrf_token": csrf_token(client)})
    assert again.status_code == 400
    login(app.test_client(), "g.hopper@example.org")


def test_changing_to_a_taken_address_answers_the_same_and_tells_its_owner(app, make, mailbox):
    make.user("grace")
    make.user("ada")
    client = app.test_client()
    login(client, "grace")
    answers = [
        submit(client, "/settings", "/settings/email", email=address, password=TEST_PASSWORD)
        for address in ("free@example.org", "ADA@example.org")
    ]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert mailbox.kinds() == [
        ("verify_email", "free@example.org"),
        ("email_changed", "grace@example.org"),
        ("already_registered", "ada@example.org"),
        ("email_changed", "grace@example.org"),
    ]
    assert stored(app, "grace")["email"] == "grace@example.org"


def test_changing_the_address_needs_the_password(app, make, mailbox):
    make.user("grace")
    client = app.test_client()
    login(client, "grace")
    refused = submit(
        client, "/settings", "/settings/email", email="new@example.org", password="wrong one"
    )
    assert refused.status_code == 422
    assert mailbox.sent == []


def test_settings_forms_need_a_csrf_token(app, make):
    make.user("grace")
    client = app.test_client()
    login(client, "grace")
    for path in ("/settings/profile", "/settings/password", "/settings/email"):
        answer = client.post(path, data={"display_name": "X", "time_zone": "UTC"})
        assert answer.status_code == 400, path
    assert stored(app, "grace")["display_name"] == "grace"


def test_an_unverified_account_can_ask_for_a_confirmation_link(app, make, mailbox):
    make.user("grace")
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "grace")).email_verified_at = None
        db.session.commit()
    client = app.test_client()
    login(client, "grace")
    assert "not confirmed yet" in text(client.get("/settings"))
    assert submit(client, "/settings", "/settings/verify-email").status_code == 302
    link = mailbox.link("verify_email")
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert stored(app, "grace")["email_verified_at"] is not None
    assert client.post(link, data={"csrf_token": csrf_token(client)}).status_code == 400


# --- disabled accounts ------------------------------------------------------------------------


def test_disable_user_ends_sessions_and_refuses_logins_and_tokens_until_enabled(
    app, make, runner, token
):
    grace = make.user("grace")
    headers = token(grace)
    client = app.test_client()
    login(client, "grace")
    result = runner.invoke(cli, ["disable-user", "grace"])
    assert result.exit_code == 0, result.output
    assert not logged_in(client)
    refused = submit(client, "/login", login="grace", password=TEST_PASSWORD)
    assert refused.status_code == 403
    assert "disabled" in text(refused)
    api = client.get("/api/v1/me/tokens", headers=headers)
    assert api.status_code == 401
    assert "disabled" in api.get_data(as_text=True)
    wrong = submit(client, "/login", login="grace", password="wrong password")
    assert wrong.status_code == 401  # a wrong password learns nothing about the account

    assert runner.invoke(cli, ["disable-user", "grace", "--enable"]).exit_code == 0
    login(client, "grace")
    assert client.get("/api/v1/me/tokens", headers=headers).status_code == 200
    assert runner.invoke(cli, ["disable-user", "nobody"]).exit_code != 0


def test_only_site_admins_disable_accounts_and_never_their_own(app, make):
    make.user("grace")
    make.user("ada")
    admin = make.admin()
    with app.app_context():
        grace, ada, boss = (
            db.session.get(User, u)
            for u in (stored(app, "grace")["id"], stored(app, "ada")["id"], admin.id)
        )
        with pytest.raises(PermissionDenied):
            accounts.disable_user(grace, ada)
        with pytest.raises(PermissionDenied):
            accounts.disable_user(boss, boss)
        accounts.disable_user(boss, ada)
        assert ada.is_disabled
        assert policy.may(policy.OPERATOR, "account.disable", boss)


def test_site_admins_disable_and_enable_accounts_through_the_api(app, client, make, token):
    grace, ada, admin = make.user("grace"), make.user("ada"), make.admin()
    as_admin, as_grace = token(admin), token(grace)
    path = "/api/v1/users/ada/disabled"
    assert client.put(path, json={}).status_code == 401
    assert client.put(path, json={}, headers=as_grace).status_code == 403
    assert (
        client.put(
            f"/api/v1/users/{admin.username}/disabled", json={}, headers=as_admin
        ).status_code
        == 403
    )
    assert client.put("/api/v1/users/nobody/disabled", json={}, headers=as_admin).status_code == 404
    assert client.put(path, json={}, headers=as_admin).status_code == 204
    assert stored(app, "ada")["disabled_at"] is not None
    assert client.delete(path, headers=as_admin).status_code == 204
    assert stored(app, "ada")["disabled_at"] is None
    del ada
