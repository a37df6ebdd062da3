"""Account email (issue 9): signing up through a confirmed address, forgotten passwords, and
answers that never tell which addresses have accounts (issue 8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import PendingRegistration, User
from tests.conftest import TEST_PASSWORD, csrf_token, login, register
from tests.talk.web.pages import outline, submit, text

SIGN_UP = {
    "username": "ada",
    "display_name": "Ada Lovelace",
    "email": "ada@example.org",
    "password": TEST_PASSWORD,
    "confirm": TEST_PASSWORD,
}


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def confirm(client, link):
    return client.post(link, data={"csrf_token": csrf_token(client, link)})


# --- signing up ---------------------------------------------------------------------------------


def test_a_mailbox_name_outside_ascii_is_refused_naming_it_and_a_unicode_domain_kept(
    app, client, mailbox
):
    """Mailing "josé@…" needs SMTPUTF8, which few relays offer: refused at the door, naming the
    character, rather than failing in the outbox later. A Unicode domain has an ASCII form."""
    answer = submit(client, "/register", **(SIGN_UP | {"email": "josé@example.org"}))
    assert answer.status_code == 422 and "before the @-sign are not supported" in text(answer)
    submit(client, "/register", **(SIGN_UP | {"email": "ada@exämple.org"}))
    assert mailbox.last("verify_email").to_address == "ada@xn--exmple-cua.org"


def test_signing_up_makes_the_account_only_when_the_emailed_link_is_confirmed(app, client, mailbox):
    answer = submit(client, "/register?next=/projects/x", **SIGN_UP)
    assert answer.status_code == 200
    assert "Check your email" in text(answer)
    assert user_count(app) == 0
    mail = mailbox.last("verify_email")
    assert (mail.user, mail.to_address, mail.extra) == (
        None,
        "ada@example.org",
        {"purpose": "register"},
    )
    assert mail.expires_at == app.config["TALK_CLOCK"]().replace(microsecond=0) + timedelta(
        hours=48
    )
    link = mailbox.link("verify_email")

    # Opening the link (as a mail scanner would) confirms nothing: it shows a button.
    shown = client.get(link)
    assert shown.status_code == 200
    assert "Create my account" in text(shown)
    assert user_count(app) == 0

    done = confirm(client, link)
    assert done.status_code == 302
    assert done.headers["Location"] == "/projects/x"
    assert "Ada Lovelace" in text(client.get("/"))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ada"))
        assert user.email_verified and user.display_name == "Ada Lovelace"
        assert db.session.scalar(select(func.count()).select_from(PendingRegistration)) == 0

    # The link works once.
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    again = confirm(client, link)
    assert again.status_code == 400
    assert "already used" in text(again)
    assert client.get(link).status_code == 400
    assert user_count(app) == 1


def test_the_confirmation_needs_a_csrf_token(app, client, mailbox):
    submit(client, "/register", **SIGN_UP)
    link = mailbox.link("verify_email")
    assert client.post(link).status_code == 400
    assert client.post(link, data={"csrf_token": "forged"}).status_code == 400
    assert user_count(app) == 0


def test_an_expired_tampered_or_other_purpose_link_is_refused(app, client, mailbox, clock, make):
    submit(client, "/register", **SIGN_UP)
    link = mailbox.link("verify_email")
    token = link.split("token=", 1)[1]
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert confirm(client, tampered).status_code == 400
    assert confirm(client, "/register/confirm").status_code == 400
    assert confirm(client, "/register/confirm?token=" + "x" * 5000).status_code == 400
    # A sign-up token is no reset or address token, and the other way round.
    assert client.get(f"/reset-password?token={token}").status_code == 400
    assert client.get(f"/confirm-email?token={token}").status_code == 400
    make.user("grace")
    submit(client, "/forgot-password", email="grace@example.org")
    reset_token = mailbox.link("reset_password").split("token=", 1)[1]
    assert confirm(client, f"/register/confirm?token={reset_token}").status_code == 400

    clock.advance(hours=48, seconds=1)
    expired = confirm(client, link)
    assert expired.status_code == 400
    assert "expired" in text(expired)
    assert user_count(app) == 1  # grace only


def _comparable(response):
    """Status, body without the CSRF token, and the cookies set."""
    body = re.sub(
        r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]+"', "", text(response)
    )
    return response.status_code, body, sorted(response.headers.getlist("Set-Cookie"))


def test_signing_up_with_a_taken_address_answers_exactly_like_a_new_one(app, make, mailbox):
    make.user("grace")
    new, taken = app.test_client(), app.test_client()
    answers = [
        submit(new, "/register", **{**SIGN_UP, "email": "someone.new@example.org"}),
        submit(taken, "/register", **{**SIGN_UP, "email": "GRACE@example.org"}),
    ]
    assert _comparable(answers[0]) == _comparable(answers[1])
    assert user_count(app) == 1
    # The owner is told (how to log in or reset); the new address gets its link.
    assert mailbox.kinds() == [
        ("verify_email", "someone.new@example.org"),
        ("already_registered", "grace@example.org"),
    ]
    owner_mail = mailbox.last("already_registered")
    assert owner_mail.username == "grace"
    assert owner_mail.url.endswith("/forgot-password")
    # Nobody is logged in by either.
    for client in (new, taken):
        assert not outline(client.get("/")).find("form", action="/logout")


def test_a_taken_username_may_still_say_so(client, make, mailbox):
    make.user("ada")
    answer = submit(client, "/register", **{**SIGN_UP, "email": "other@example.org"})
    assert answer.status_code == 409
    assert "Already taken." in text(answer)
    assert mailbox.sent == []


def test_a_username_taken_between_sign_up_and_confirmation_is_explained(app, client, mailbox, make):
    submit(client, "/register", **{**SIGN_UP, "email": "ada.l@example.org"})
    link = mailbox.link("verify_email")
    make.user("ada")
    answer = confirm(client, link)
    assert answer.status_code == 409
    assert "register again with another" in text(answer)


def test_operator_accounts_are_verified_and_the_register_helper_works(app, client, mailbox, make):
    grace = make.user("grace")
    assert grace.email_verified_at is not None
    assert register(client, mailbox).status_code == 302


# --- forgotten passwords ----------------------------------------------------------------------


def test_forgot_password_is_linked_from_login_and_answers_the_same_for_any_address(
    app, make, mailbox
):
    make.user("grace")
    assert outline(app.test_client().get("/login")).find("a", href="/forgot-password")
    known, unknown = app.test_client(), app.test_client()
    answers = [
        submit(known, "/forgot-password", email="grace@example.org"),
        submit(unknown, "/forgot-password", email="nobody@example.org"),
    ]
    assert _comparable(answers[0]) == _comparable(answers[1])
    assert answers[0].status_code == 200
    assert "If an account uses this address" in text(answers[0])
    assert mailbox.kinds() == [("reset_password", "grace@example.org")]


def test_a_reset_link_sets_a_new_password_ends_every_session_and_works_once(
    app, make, mailbox, clock
):
    make.user("grace", display_name="Grace Hopper")
    elsewhere = app.test_client()
    login(elsewhere, "grace")
    client = app.test_client()
    submit(client, "/forgot-password", email="grace@example.org")
    mail = mailbox.last("reset_password")
    assert mail.expires_at == clock().replace(microsecond=0) + timedelta(hours=1)
    link = mailbox.link("reset_password")

    short = submit(client, link, new_password="short", confirm="short")
    assert short.status_code == 422
    assert "Use at least 8 characters." in text(short)
    done = submit(client, link, new_password="a new password", confirm="a new password")
    assert done.status_code == 302
    assert "Grace Hopper" in text(client.get("/"))
    elsewhere.get("/")  # (shows the login's message)
    assert not outline(elsewhere.get("/")).find("form", action="/logout")  # its session ended
    assert mailbox.kinds()[-1] == ("password_changed", "grace@example.org")
    login(app.test_client(), "grace", "a new password")

    reused = submit(client, link, new_password="third password", confirm="third password")
    assert reused.status_code == 400
    login(app.test_client(), "grace", "a new password")


def test_a_reset_link_expires_after_an_hour(app, make, mailbox, clock):
    make.user("grace")
    client = app.test_client()
    submit(client, "/forgot-password", email="grace@example.org")
    link = mailbox.link("reset_password")
    clock.advance(minutes=61)
    answer = client.get(link)
    assert answer.status_code == 400
    assert "expired" in text(answer)


def test_reset_requests_are_throttled_per_address(app, make, mailbox):
    make.user("grace")
    client = app.test_client()
    for _ in range(5):
        assert submit(client, "/forgot-password", email="grace@example.org").status_code == 200
    refused = submit(client, "/forgot-password", email="grace@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert len(mailbox.sent) == 5


def test_sign_ups_mailing_one_address_are_throttled_the_same_for_a_taken_one(app, make, mailbox):
    make.user("grace")
    for address in ("grace@example.org", "new@example.org"):
        client = app.test_client()
        for n in range(5):
            answer = submit(
                client, "/register", **{**SIGN_UP, "username": f"user{n}", "email": address}
            )
            assert answer.status_code == 200
        refused = submit(client, "/register", **{**SIGN_UP, "username": "user9", "email": address})
        assert refused.status_code == 429
        assert "Too many sign-ups" in text(refused)
    assert len(mailbox.sent) == 10


@pytest.mark.parametrize("email", ["", "not an address", "a\x00@example.org"])
def test_forgot_password_with_bad_input_is_a_clear_4xx(client, mailbox, email):
    answer = submit(client, "/forgot-password", email=email)
    assert answer.status_code in (200, 422)
    assert mailbox.sent == []


def test_a_link_signed_with_another_key_or_naming_another_account_is_refused(app, make, mailbox):
    from itsdangerous import URLSafeSerializer

    grace, ada = make.user("grace"), make.user("ada")
    client = app.test_client()
    submit(client, "/forgot-password", email="grace@example.org")
    forged = URLSafeSerializer("not the key", salt="talk.account-email.reset").dumps(
        {"u": ada.id, "h": "0" * 32, "x": 2**40}
    )
    assert client.get(f"/reset-password?token={forged}").status_code == 400
    # The right key but Ada's id on Grace's fingerprint (as a leaked key could make): refused,
    # since the fingerprint is of Ada's password hash.
    with app.app_context():
        wrong = URLSafeSerializer(app.secret_key, salt="talk.account-email.reset").dumps(
            {"u": ada.id, "h": "0" * 32, "x": 2**40}
        )
    assert client.get(f"/reset-password?token={wrong}").status_code == 400
    del grace


def test_an_address_link_opened_by_another_account_changes_only_its_owners_address(
    app, make, mailbox
):
    make.user("grace")
    make.user("ada")
    grace = app.test_client()
    login(grace, "grace")
    submit(grace, "/settings", "/settings/email", email="g2@example.org", password=TEST_PASSWORD)
    link = mailbox.link("verify_email")
    ada = app.test_client()
    login(ada, "ada")
    assert ada.post(link, data={"csrf_token": csrf_token(ada, link)}).status_code == 302
    with app.app_context():
        emails = dict(db.session.execute(select(User.username, User.email)).all())
    assert emails == {"grace": "g2@example.org", "ada": "ada@example.org"}
