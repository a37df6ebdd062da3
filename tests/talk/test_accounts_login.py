"""Logging in costs the same for an unknown login as for a known one: one password check."""

from __future__ import annotations

from typing import Any

import pytest

from talk.services import accounts
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes :func:`accounts.authenticate` checks a password against, in order."""
    checked: list[str] = []
    real = accounts.check_password_hash

    def recording(pwhash: str, password: str) -> Any:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", recording)
    return checked


@pytest.mark.parametrize(
    ("login", "password", "found"),
    [
        ("grace", TEST_PASSWORD, True),
        ("grace@example.org", TEST_PASSWORD, True),
        ("grace", "wrong password", False),
        ("nobody", TEST_PASSWORD, False),
        ("nobody@example.org", "wrong password", False),
    ],
)
def test_every_login_checks_one_password_hash(app, make, password_checks, login, password, found):
    make.user("grace")
    with app.app_context():
        user = accounts.authenticate(login, password)
        assert (user is not None) == found
    assert len(password_checks) == 1
    method = app.config["TALK_PASSWORD_METHOD"]
    assert password_checks[0].startswith(method.split(":")[0] + ":")


def test_the_stand_in_hash_uses_the_configured_method_and_never_matches(app, password_checks):
    with app.app_context():
        for method in ("pbkdf2:sha256:1000", "scrypt:1024:8:1"):
            app.config["TALK_PASSWORD_METHOD"] = method
            assert accounts.authenticate("nobody", "") is None
            assert password_checks[-1].startswith(method + "$")
