"""Identities that cannot pass for someone else: reserved names, NFKC + casefold comparison of
usernames and addresses, and usernames confusable with an existing or reserved one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from talk import policy
from talk.errors import Conflict, InvalidInput
from talk.extensions import db
from talk.models import User
from talk.services import accounts
from tests.conftest import TEST_PASSWORD


def _register(username, email=None, **kwargs):
    return accounts.create_user(
        policy.OPERATOR, username, email or f"{username}@example.org", TEST_PASSWORD, **kwargs
    )


@pytest.mark.parametrize(
    "username",
    [
        "moderators",
        "Experts",
        "team",
        "ADMINS",
        "admin",
        "talk",
        "staff",
        "support",
        "system",
        "owners",
        "volunteers",
    ],
)
def test_reserved_names_are_refused(app, username):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        _register(username)
    assert refused.value.fields == {"username": ["That name is reserved; choose another."]}


@pytest.mark.parametrize("username", ["rnoderators", "adrnin", "Staff", "ta1k"])
def test_names_confusable_with_a_reserved_one_are_refused(app, username):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        _register(username)
    assert refused.value.fields["username"][0] in (
        "Too similar to a reserved name; choose another.",
        "That name is reserved; choose another.",
    )


@pytest.mark.parametrize("lookalike", ["AIice", "A1ice", "a1ice"])
def test_a_username_confusable_with_an_existing_one_is_refused(app, make, lookalike):
    make.user("alice")
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        _register(lookalike)
    assert refused.value.fields == {"username": ["Too similar to an existing username."]}


def test_rn_passes_for_m(app, make):
    make.user("jsmith")
    with app.app_context(), pytest.raises(InvalidInput, match="Username is not valid"):
        _register("jsrnith")


def test_usernames_compare_by_nfkc_and_casefold(app, make):
    make.user("grace")
    with app.app_context():
        for variant in ("GRACE", "\uff47race"):  # the second starts with a fullwidth g
            with pytest.raises(Conflict, match=r"That username is taken\."):
                _register(variant, email="other@example.org")
        assert accounts.find_user("\uff27RACE").username == "grace"


def test_fullwidth_input_is_stored_as_its_plain_form(app):
    with app.app_context():
        user = _register("\uff4e\uff45\uff57", email="new@example.org")  # "new", fullwidth
        assert (user.username, user.username_key) == ("new", "new")


def test_addresses_compare_by_nfkc_and_casefold(app, make):
    """Another case is the same address; a look-alike outside ASCII cannot register at all
    (mailing it needs SMTPUTF8: docs/decisions.md, "Account email"), and logs in as the one."""
    with app.app_context():
        _register("first", email="strasse@example.org")
        db.session.commit()
        with pytest.raises(Conflict, match=r"That email address is already registered\."):
            _register("second", email="STRASSE@example.org")
        for address in ("stra\u00dfe@example.org", "\uff53trasse@example.org"):
            with pytest.raises(InvalidInput) as refused:
                _register("second", email=address)
            assert "before the @-sign are not supported" in str(refused.value.fields["email"])
        user = accounts.authenticate("STRAẞE@EXAMPLE.ORG", TEST_PASSWORD)
        assert user is not None and user.username == "first"


def test_every_registration_problem_is_reported_at_once(app, make):
    make.user("alice")
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            accounts.create_user(policy.OPERATOR, "AIice", "not-an-address", "short")
        assert set(refused.value.fields) == {"username", "email", "password"}
        assert refused.value.message == "There are 3 problems with the registration."
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_user_refuses_a_reserved_name_with_a_clear_message(app, runner):
    from talk.cli import cli

    result = runner.invoke(
        cli, ["create-user", "moderators", "--email", "m@example.org", "--password", TEST_PASSWORD]
    )
    assert result.exit_code == 1
    assert "That name is reserved; choose another." in result.stderr
    similar = runner.invoke(
        cli, ["create-user", "rnoderators", "--email", "m@example.org", "--password", TEST_PASSWORD]
    )
    assert "Too similar to a reserved name" in similar.stderr


# --- migration 0009 ---------------------------------------------------------------------------


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_migration_fills_the_keys_and_refuses_clashing_accounts(app, make, capsys):
    from flask_migrate import downgrade, upgrade

    make.user("Grace")
    make.user("ada")
    with app.app_context():
        db.session.remove()
        downgrade(revision="0008_talk_token_scopes")
        db.session.remove()
        upgrade()
        rows = db.session.execute(
            text("SELECT username_key, username_skeleton, email_key FROM users ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("grace", "grace", "grace@example.org"),
            ("ada", "ada", "ada@example.org"),
        ]

        db.session.remove()
        downgrade(revision="0008_talk_token_scopes")
        # Before 0008, two addresses differing by case folding (ß, ss) were two accounts.
        db.session.execute(
            text("UPDATE users SET email = 'stra\u00dfe@example.org' WHERE username = 'Grace'")
        )
        db.session.execute(
            text("UPDATE users SET email = 'strasse@example.org' WHERE username = 'ada'")
        )
        db.session.commit()
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error, then exits
            upgrade()
        said = capsys.readouterr().err
        assert "emails 'stra\u00dfe@example.org', 'strasse@example.org'" in said
        assert "Nothing was changed." in said
        columns = db.session.execute(text("SELECT * FROM users")).keys()
        assert "email_key" not in columns
        db.session.remove()
        db.session.execute(
            text("UPDATE users SET email = 'grace@example.org' WHERE username = 'Grace'")
        )
        db.session.commit()
        db.session.remove()
        upgrade()
