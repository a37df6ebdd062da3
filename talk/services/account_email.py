"""Account email: confirming addresses, signing up, resetting passwords (issue 9).

The core asks for each mail through :data:`talk.signals.account_mail`; the notifications
package renders and queues it. Every link carries a token signed with the app's secret key and a
salt per purpose (a reset token is no registration token), an expiry read against the injected
clock, and what makes it single-use: the pending sign-up's random nonce (the row is deleted when
used), the account's address and its verification state (a confirmed change no longer matches),
or a fingerprint of the password hash (a reset changes it).

Nothing here tells a visitor whether an address has an account: signing up with a taken address
and asking a reset for an unknown one answer exactly like the others; the address's owner is
told by mail instead (``already_registered``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from talk import policy, rate_limits, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, TalkError
from talk.extensions import db
from talk.limits import MAX_DISPLAY_NAME, MAX_ID
from talk.models import PendingRegistration, User
from talk.services import accounts
from talk.services.validation import clean_text

PURPOSES = ("register", "email", "reset")
MAX_TOKEN_LENGTH = 1000


class LinkRefused(TalkError):
    """An emailed link that is tampered with, expired, for another purpose, or used."""

    status = 400
    code = "invalid_link"


def _serializer(purpose: str) -> URLSafeSerializer:
    secret: str | bytes = current_app.secret_key or ""
    return URLSafeSerializer(secret, salt=f"talk.account-email.{purpose}")


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def make_token(purpose: str, payload: dict[str, Any], lifetime: timedelta) -> tuple[str, datetime]:
    """A signed token for ``purpose`` carrying ``payload``, and when it expires."""
    expires_at = (utcnow() + lifetime).replace(microsecond=0)
    token = _serializer(purpose).dumps({**payload, "x": int(expires_at.timestamp())})
    return str(token), expires_at


def read_token(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token made for ``purpose``; :class:`LinkRefused` for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkRefused("This link is not complete; open it from the email again.")
    try:
        payload = _serializer(purpose).loads(token)
    except BadSignature:
        raise LinkRefused(
            "This link is not valid. Open it from the email again (copied links are sometimes "
            "cut short)."
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("x"), int):
        raise LinkRefused("This link is not valid.")
    if payload["x"] <= utcnow().timestamp():
        raise LinkRefused("This link has expired. Ask for a new one.")
    return payload


def _used() -> LinkRefused:
    return LinkRefused("This link was already used, or a newer one replaced it.")


def _hours() -> timedelta:
    return timedelta(hours=int(current_app.config["TALK_EMAIL_LINK_HOURS"]))


def _mail(
    user: User | None,
    actor: Any,
    to_address: str,
    kind: str,
    url: str | None = None,
    expires_at: datetime | None = None,
    **extra: str,
) -> None:
    signals.account_mail.send(
        user,
        actor=actor,
        to_address=to_address,
        kind=kind,
        url=url,
        expires_at=expires_at,
        extra=extra,
    )


def _tell_owner(owner: User, actor: Any) -> None:
    """Someone tried to put ``owner``'s address on a new or another account: tell the owner how
    to log in or reset the password, which also answers the visitor if the owner was they."""
    _mail(
        owner,
        actor,
        owner.email,
        "already_registered",
        url_for("auth.forgot_password", _external=True),
        login_url=url_for("auth.login", _external=True),
    )


def _owner_of(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email_key == accounts.identity_key(email)))


# ---------------------------------------------------------------------------------- sign-up


def request_registration(
    actor: Any,
    username: str,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    next_path: str | None = None,
    answers: Mapping[str, str] | None = None,
) -> None:
    """A visitor's sign-up: every problem with the input is refused at once (a taken username
    too: profiles show usernames anyway), else a confirmation link goes to the address and the
    account is made when it is followed (:func:`confirm_registration`).

    ``answers``: the form's fields of the packages' own (the ``register.fields`` slot), which
    travel in the signed link and reach ``user_registered``'s receivers when the account is
    made (:func:`check_answers` limits them).

    A taken address answers the same and does the same work (a password hash), but makes no
    pending sign-up and mails the owner ``already_registered`` instead."""
    if problems := accounts.registration_problems(username, email, password, display_name):
        accounts.refuse_registration(problems)
    answers = check_answers(answers or {})
    email = accounts.normalise_email(email)
    policy.require(actor, "account.register", email)
    username = unicodedata.normalize("NFKC", username.strip())
    display_name = clean_text(display_name or username, "display_name", max_length=MAX_DISPLAY_NAME)
    policy.check_content(actor, "registration", email, f"{username}\n{display_name}")
    rate_limits.hit("signup", actor)  # a taken address counts alike: it tells nothing
    password_hash = accounts.hash_password(password)
    now = utcnow()
    db.session.execute(delete(PendingRegistration).where(PendingRegistration.expires_at <= now))
    owner = _owner_of(email)
    if owner is not None:
        _tell_owner(owner, actor)
        return
    token_expiry = now + _hours()
    pending = PendingRegistration(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=password_hash,
        created_at=now,
        expires_at=token_expiry,
    )
    db.session.add(pending)
    db.session.flush()
    payload: dict[str, Any] = {"p": pending.id, "n": pending.nonce}
    if next_path:
        payload["next"] = next_path
    if answers:
        payload["a"] = answers
    token, expires_at = make_token("register", payload, _hours())
    url = url_for("auth.confirm_registration", token=token, _external=True)
    _mail(None, actor, email, "verify_email", url, expires_at, purpose="register")


#: The packages' answers on the sign-up form, names and values together, at most (they travel
#: in the emailed link, whose length :data:`MAX_TOKEN_LENGTH` bounds).
MAX_ANSWERS_LENGTH = 200


def check_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The sign-up form's answers of the packages' own fields, or :class:`InvalidInput`."""
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in answers.items()):
        raise InvalidInput("The sign-up's extra answers must be text.", {"extra": ["Text."]})
    if sum(len(k) + len(v) for k, v in answers.items()) > MAX_ANSWERS_LENGTH:
        raise InvalidInput(
            f"The sign-up's extra answers are too long (at most {MAX_ANSWERS_LENGTH} characters).",
            {"extra": ["Too long."]},
        )
    return dict(answers)


def _answers(payload: dict[str, Any]) -> dict[str, str]:
    raw = payload.get("a")
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def pending_registration(token: str) -> tuple[PendingRegistration, str | None]:
    """The sign-up a confirmation link names, and the page to go to after (``next``)."""
    payload = read_token("register", token)
    pending_id, nonce = payload.get("p"), payload.get("n")
    if not isinstance(pending_id, int) or not 0 < pending_id <= MAX_ID:
        raise LinkRefused("This link is not valid.")
    pending = db.session.get(PendingRegistration, pending_id)
    if pending is None or not isinstance(nonce, str) or pending.nonce != nonce:
        raise _used()
    next_path = payload.get("next")
    return pending, next_path if isinstance(next_path, str) else None


def confirm_registration(token: str) -> tuple[User, str | None]:
    """Make the account a confirmation link stands for, its address verified; the link then
    stops working. A username or address taken since the sign-up is a 409 saying what to do."""
    pending, next_path = pending_registration(token)
    if accounts.email_taken(pending.email):
        db.session.delete(pending)
        raise Conflict("This address has an account already: log in, or reset its password.")
    if accounts.username_problems(pending.username):
        raise Conflict(
            f"Someone took the username {pending.username!r} since you registered: register "
            "again with another."
        )
    user = accounts.add_user(
        pending.username,
        pending.display_name,
        pending.email,
        pending.password_hash,
        email_verified=True,
    )
    db.session.delete(pending)
    db.session.flush()
    signals.user_registered.send(user, actor=user, answers=_answers(read_token("register", token)))
    return user, next_path


# ------------------------------------------------------------------ confirming an address


def _state(user: User) -> dict[str, Any]:
    """What an address link is bound to: the account's current address and whether it is
    verified; confirming changes one or the other, so the link works once."""
    return {"u": user.id, "from": user.email_key, "v": user.email_verified}


def _send_address_link(actor: Any, user: User, new_email: str) -> None:
    token, expires_at = make_token("email", {**_state(user), "to": new_email}, _hours())
    url = url_for("auth.confirm_email", token=token, _external=True)
    _mail(user, actor, new_email, "verify_email", url, expires_at, purpose="email")


def request_verification(actor: policy.Actor, user: User) -> None:
    """Send a link confirming ``user``'s current address (accounts from before confirmation
    existed). An address already verified gets nothing."""
    policy.require(actor, "account.settings", user)
    if not user.email_verified:
        _send_address_link(actor, user, user.email)


def request_email_change(actor: policy.Actor, user: User, password: str, new_email: str) -> None:
    """Move ``user`` to ``new_email`` once that address confirms (the current password is
    needed); the old address is told. An address another account uses answers the same, and
    its owner is told instead (no telling which addresses have accounts)."""
    policy.require(actor, "account.settings", user)
    problems: dict[str, list[str]] = {}
    if not accounts.password_matches(user, password):
        problems["password"] = ["Not your password."]
    try:
        new_email = accounts.normalise_email(new_email)
    except TalkError as exc:
        problems.update(exc.fields)
    else:
        if accounts.identity_key(new_email) == user.email_key:
            problems["email"] = ["This is your address already."]
    if problems:
        raise InvalidInput("The address was not changed.", problems)
    owner = _owner_of(new_email)
    if owner is not None:
        _tell_owner(owner, actor)
    else:
        _send_address_link(actor, user, new_email)
    _mail(user, actor, user.email, "email_changed", new_address=new_email)


def address_change(token: str) -> tuple[User, str]:
    """The account and address a confirmation link stands for, if it still may be used."""
    payload = read_token("email", token)
    user_id, to = payload.get("u"), payload.get("to")
    if not isinstance(user_id, int) or not 0 < user_id <= MAX_ID or not isinstance(to, str):
        raise LinkRefused("This link is not valid.")
    user = db.session.get(User, user_id)
    if user is None or payload != {**_state(user), "to": to, "x": payload["x"]}:
        raise _used()
    return user, to


def confirm_email(token: str) -> User:
    """Confirm the address a link was sent to: it becomes the account's, verified."""
    user, to = address_change(token)
    owner = _owner_of(to)
    if owner is not None and owner.id != user.id:
        raise Conflict("Another account took this address meanwhile; nothing was changed.")
    user.email, user.email_key = to, accounts.identity_key(to)
    user.email_verified_at = utcnow()
    db.session.flush()
    return user


# ------------------------------------------------------------------------ password reset


def _reset_state(user: User) -> dict[str, Any]:
    return {"u": user.id, "h": _fingerprint(user.password_hash)}


def request_password_reset(actor: Any, email: str) -> None:
    """Mail a reset link to the account using ``email``, if there is one; nothing otherwise,
    and the caller answers the same either way. A disabled account gets no link."""
    try:
        email = accounts.normalise_email(email)
    except TalkError:
        return
    user = _owner_of(email)
    if user is None or user.is_disabled:
        return
    minutes = timedelta(minutes=int(current_app.config["TALK_PASSWORD_RESET_MINUTES"]))
    token, expires_at = make_token("reset", _reset_state(user), minutes)
    url = url_for("auth.reset_password", token=token, _external=True)
    _mail(user, actor, user.email, "reset_password", url, expires_at)


def reset_user(token: str) -> User:
    """The account a reset link is for, while its password is the one the link was made
    with (so the link dies when the password changes) and the account is not disabled."""
    payload = read_token("reset", token)
    user_id = payload.get("u")
    if not isinstance(user_id, int) or not 0 < user_id <= MAX_ID:
        raise LinkRefused("This link is not valid.")
    user = db.session.get(User, user_id)
    if user is None or user.is_disabled or payload.get("h") != _reset_state(user)["h"]:
        raise _used()
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset link; every session ends, and the address counts
    as verified (the link reached it)."""
    user = reset_user(token)
    accounts.set_password(user, user, new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user
