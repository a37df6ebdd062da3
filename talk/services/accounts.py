"""Accounts: registration, passwords, login sessions, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from talk.extensions import db
from talk.limits import MAX_DISPLAY_NAME, MAX_ID, MAX_TOKEN_NAME, MAX_USERNAME
from talk.models import ApiToken, User
from talk.models.accounts import new_session_token
from talk.services.validation import clean_text, conflict_on_duplicate

USERNAME_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{1,{MAX_USERNAME - 2}}}[A-Za-z0-9_]$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "talk_"  # noqa: S105 (a prefix, not a secret)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"Email address is not valid: {exc}", {"email": [str(exc)]}) from exc


def create_user(
    actor: Any,
    username: str,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    site_admin: bool = False,
) -> User:
    """Register an account; username and email must be unused (ignoring case).

    ``actor`` is whoever registers it: the visitor signing up (anonymous), a site admin or the
    operator; only a site admin or the operator makes a site admin. The rule
    ``account.register`` is asked about the (normalised) address, so a veto may refuse sign-ups
    or an address."""
    email = normalise_email(email)
    policy.require(actor, "account.register", email)
    if site_admin and not policy.may(actor, "account.make_site_admin", email):
        reason = policy.refusal(actor, "account.make_site_admin", email)
        raise PermissionDenied(reason or "Only a site admin can make a site admin.")
    username = clean_text(username, "username", max_length=MAX_USERNAME)
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "Username is not valid.",
            {
                "username": [
                    f"Use 3–{MAX_USERNAME} letters, digits, '_', '.' or '-' (not at either end)."
                ]
            },
        )
    display_name = clean_text(display_name or username, "display_name", max_length=MAX_DISPLAY_NAME)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "Password is too short.",
            {"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]},
        )
    if "\x00" in password:
        raise InvalidInput("Password contains a NUL byte.", {"password": ["Contains a NUL byte."]})
    policy.check_content(actor, "registration", email, f"{username}\n{display_name}")
    if db.session.scalar(select(User.id).where(User.username_key == username.lower())):
        raise Conflict("That username is taken.", {"username": ["Already taken."]})
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("That email address is already registered.", {"email": ["Already used."]})
    user = User(
        username=username,
        username_key=username.lower(),
        display_name=display_name,
        email=email,
        password_hash=generate_password_hash(password, method=_password_method()),
        is_site_admin=site_admin,
        created_at=utcnow(),
        comment_count=0,
        session_token=new_session_token(),
    )
    with conflict_on_duplicate(
        "That username or email address was registered a moment ago.",
        {"username": ["Already taken."]},
    ):
        db.session.add(user)
    # A visitor signing up acts as the account they made; anyone logged in (or the operator) as
    # themselves.
    signals.user_registered.send(user, actor=actor if actor.is_authenticated else user)
    return user


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username_key == username.strip().lower()))


def _password_method() -> str:
    method: str = current_app.config.get("TALK_PASSWORD_METHOD", "scrypt")
    return method


@cache
def _stand_in_hash(method: str) -> str:
    """A hash of a random password, made with ``method``: what an unknown login is checked
    against, so that it takes as long as a known one (no telling accounts apart by timing)."""
    return generate_password_hash(secrets.token_urlsafe(32), method=method)


def authenticate(login: str, password: str) -> User | None:
    """The user whose username or email and password match, else None.

    One password check either way: an unknown login is checked against a stand-in hash made
    with the configured method, so its answer takes as long as a wrong password's."""
    key = login.strip().lower()
    user: User | None = db.session.scalar(
        select(User).where((User.username_key == key) | (func.lower(User.email) == key))
    )
    if user is None:
        check_password_hash(_stand_in_hash(_password_method()), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def user_for_session(session_id: str) -> User | None:
    """The user a login session belongs to: ``session_id`` is what :meth:`User.get_id` gave
    when the session began (``"<id>:<session token>"``), kept in the session and the
    remember-me cookie. None once :func:`end_sessions` has replaced the token, or for anything
    malformed."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or int(user_id) > MAX_ID or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def end_sessions(actor: policy.Actor, user: User) -> None:
    """End every login session of ``user`` on every device: session and remember-me cookies
    given out so far stop working (the next request that carries one is anonymous).

    Logging out calls it; so will a password change and disabling an account. Nobody is
    refused ending their own sessions (no veto may keep someone logged in); ending someone
    else's is the rule ``account.end_sessions`` (site admins and the operator). API tokens are
    not sessions and stay valid."""
    if not (isinstance(actor, User) and actor.id == user.id):
        policy.require(actor, "account.end_sessions", user)
    user.session_token = new_session_token()
    db.session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """Make an API token for ``user`` and return it; it is shown once and stored only hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    name = clean_text(name, "name", max_length=MAX_TOKEN_NAME, required=False)
    db.session.add(
        ApiToken(user=user, token_hash=_token_hash(token), name=name, created_at=utcnow())
    )
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if api_token is None:
        return None
    return api_token.user
