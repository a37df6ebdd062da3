"""Accounts: registration (with normalised, unconfusable usernames), passwords, login sessions."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
import zoneinfo
from functools import cache
from typing import Any

from confusable_homoglyphs import confusables
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from talk.extensions import db
from talk.limits import MAX_DISPLAY_NAME, MAX_ID, MAX_USERNAME
from talk.models import MENTION_GROUPS, ROLES, User
from talk.models.accounts import new_session_token
from talk.services import tokens
from talk.services.validation import clean_text, conflict_on_duplicate

USERNAME_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{1,{MAX_USERNAME - 2}}}[A-Za-z0-9_]$")
MIN_PASSWORD_LENGTH = 8


#: Names nobody may register: the ``@group`` mentions, the project roles' plurals (how a group
#: would be named), and names that read as the site speaking. Names too similar to these
#: (``username_skeleton``) are refused too. Singular roles (``expert``, ``moderator``) stay
#: free: they are ordinary words, and a group mention is always plural.
RESERVED_USERNAMES = frozenset(
    {
        *MENTION_GROUPS,
        *(f"{role}s" for role in ROLES),
        *("admin", "administrator", "talk", "staff", "support", "system", "operator"),
        *("everyone", "all", "here", "anonymous", "security", "postmaster", "api"),
    }
)
TOO_SIMILAR = "Too similar to an existing username."
FIELD_NAMES = {
    "username": "Username",
    "display_name": "Display name",
    "email": "Email address",
    "password": "Password",
}


def identity_key(text: str) -> str:
    """What usernames and email addresses are compared and kept unique by: NFKC and case
    folding, so 'Ｊsmith', 'JSMITH' and 'jsmith' (or 'STRASSE@x' and 'straße@x') are one."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@cache
def _confusable_tables() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """From confusable_homoglyphs' Unicode data: each character's stand-in (the smallest of the
    characters it can be mistaken for, through any chain of look-alikes), and look-alike
    sequences ('rn' for 'm') with the character they pass for, longest first."""
    parent: dict[str, str] = {}

    def root(ch: str) -> str:
        while parent.get(ch, ch) != ch:
            ch = parent[ch]
        return ch

    def join(a: str, b: str) -> None:
        a, b = root(a), root(b)
        if a != b:
            parent[max(a, b)] = min(a, b)

    sequences: dict[str, str] = {}
    for character, homoglyphs in confusables.confusables_data.items():
        for homoglyph in homoglyphs:
            single, other = character, homoglyph["c"].replace("\u200e", "")
            if len(single) > 1 and len(other) == 1:
                single, other = other, single
            if len(single) == 1 and len(other) == 1:
                join(single, other)
            elif len(single) == 1 and len(other) > 1:
                # Characters passing for the same sequence pass for each other.
                join(sequences.setdefault(other, single), single)
    stand_ins = {ch: root(ch) for ch in parent}
    ordered = tuple(
        (sequence, root(character))
        for sequence, character in sorted(sequences.items(), key=lambda pair: -len(pair[0]))
    )
    return stand_ins, ordered


def username_skeleton(username: str) -> str:
    """A form two usernames share when they can be mistaken for each other ('Alice', 'AIice',
    'A1ice'; 'jsmith', 'jsrnith'): Unicode TR39's idea of a skeleton, with the confusables
    data of the ``confusable_homoglyphs`` library. For comparing only, never for showing."""
    stand_ins, sequences = _confusable_tables()
    text = unicodedata.normalize("NFKC", username)
    for sequence, character in sequences:
        if sequence in text:
            text = text.replace(sequence, character)
    text = "".join(stand_ins.get(ch, ch) for ch in text).casefold()
    return "".join(stand_ins.get(ch, ch) for ch in text)


@cache
def _reserved_skeletons() -> frozenset[str]:
    return frozenset(username_skeleton(name) for name in RESERVED_USERNAMES)


def normalise_email(email: str) -> str:
    """The address as stored and mailed: ASCII only (an internationalised domain in its
    ``xn--`` form), since sending to a non-ASCII mailbox needs SMTPUTF8, which few mail servers
    a site relays through offer; such an address is refused naming the characters."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False)
        return (checked.ascii_email or checked.normalized).lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"Email address is not valid: {exc}", {"email": [str(exc)]}) from exc


def username_problems(username: str) -> list[str]:
    """What is wrong with ``username`` (NFKC-normalised) as a new account's: its form, a
    reserved name, an account already using it or one it could be mistaken for."""
    if "\x00" in username:
        return ["Contains a NUL byte."]
    if not username:
        return ["Must not be blank."]
    if not USERNAME_RE.match(username):
        return [f"Use 3–{MAX_USERNAME} letters, digits, '_', '.' or '-' (not at either end)."]
    key = identity_key(username)
    if key in RESERVED_USERNAMES:
        return ["That name is reserved; choose another."]
    if db.session.scalar(select(User.id).where(User.username_key == key)):
        return ["Already taken."]
    skeleton = username_skeleton(username)
    if skeleton in _reserved_skeletons():
        return ["Too similar to a reserved name; choose another."]
    if db.session.scalar(select(User.id).where(User.username_skeleton == skeleton).limit(1)):
        return [TOO_SIMILAR]
    return []


def registration_problems(
    username: str, email: str, password: str, display_name: str | None = None
) -> dict[str, list[str]]:
    """Every problem with a registration at once, by field, without writing anything; the
    page shows them all beside their fields. An address already registered is not among them:
    :func:`create_user` answers that on its own, once everything else is right."""
    problems: dict[str, list[str]] = {}
    if found := username_problems(unicodedata.normalize("NFKC", username.strip())):
        problems["username"] = found
    try:
        clean_text(display_name or "", "display_name", max_length=MAX_DISPLAY_NAME, required=False)
    except InvalidInput as exc:
        problems.update(exc.fields)
    try:
        normalise_email(email)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if found := password_problems(password):
        problems["password"] = found
    return problems


def refuse_registration(problems: dict[str, list[str]]) -> None:
    """Raise one error naming every problem: a conflict when the username is taken and that is
    all, else invalid input."""
    if problems == {"username": ["Already taken."]}:
        raise Conflict("That username is taken.", problems)
    count = sum(len(messages) for messages in problems.values())
    if count == 1:
        (name,) = problems
        raise InvalidInput(f"{FIELD_NAMES[name]} is not valid.", problems)
    raise InvalidInput(f"There are {count} problems with the registration.", problems)


def create_user(
    actor: Any,
    username: str,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    site_admin: bool = False,
) -> User:
    """Register an account; username and email must be unused (compared by
    :func:`identity_key`), the username neither reserved nor confusable with another.

    ``actor`` is whoever registers it: the visitor signing up (anonymous), a site admin or the
    operator; only a site admin or the operator makes a site admin. The rule
    ``account.register`` is asked about the (normalised) address, so a veto may refuse sign-ups
    or an address. Every problem of the input is reported at once
    (:func:`registration_problems`)."""
    if problems := registration_problems(username, email, password, display_name):
        refuse_registration(problems)
    email = normalise_email(email)
    policy.require(actor, "account.register", email)
    if site_admin and not policy.may(actor, "account.make_site_admin", email):
        reason = policy.refusal(actor, "account.make_site_admin", email)
        raise PermissionDenied(reason or "Only a site admin can make a site admin.")
    username = unicodedata.normalize("NFKC", username.strip())
    display_name = clean_text(display_name or username, "display_name", max_length=MAX_DISPLAY_NAME)
    policy.check_content(actor, "registration", email, f"{username}\n{display_name}")
    if email_taken(email):
        raise Conflict("That email address is already registered.", {"email": ["Already used."]})
    user = add_user(
        username,
        display_name,
        email,
        hash_password(password),
        site_admin=site_admin,
        # The operator and site admins vouch for the address they type; a visitor's is
        # confirmed by the emailed link (talk.services.account_email).
        email_verified=policy.is_logged_in(actor),
    )
    # A visitor signing up acts as the account they made; anyone logged in (or the operator) as
    # themselves.
    signals.user_registered.send(user, actor=actor if actor.is_authenticated else user, answers={})
    return user


def email_taken(email: str) -> bool:
    """Whether an account uses ``email`` (compared by :func:`identity_key`)."""
    return bool(db.session.scalar(select(User.id).where(User.email_key == identity_key(email))))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_password_method())


def add_user(
    username: str,
    display_name: str,
    email: str,
    password_hash: str,
    *,
    site_admin: bool = False,
    email_verified: bool = False,
) -> User:
    """Store an account whose fields were checked already (by :func:`create_user`, or by a
    confirmed sign-up); a username or address taken a moment ago is a 409."""
    now = utcnow()
    user = User(
        username=username,
        username_key=identity_key(username),
        username_skeleton=username_skeleton(username),
        display_name=display_name,
        email=email,
        email_key=identity_key(email),
        password_hash=password_hash,
        is_site_admin=site_admin,
        created_at=now,
        comment_count=0,
        session_token=new_session_token(),
        email_verified_at=now if email_verified else None,
        time_zone="UTC",
    )
    with conflict_on_duplicate(
        "That username or email address was registered a moment ago.",
        {"username": ["Already taken."]},
    ):
        db.session.add(user)
    return user


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def find_user(username: str) -> User | None:
    key = identity_key(username.strip())
    return db.session.scalar(select(User).where(User.username_key == key))


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
    key = identity_key(login.strip())
    user: User | None = db.session.scalar(
        select(User).where((User.username_key == key) | (User.email_key == key))
    )
    if user is None:
        check_password_hash(_stand_in_hash(_password_method()), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def password_problems(password: str) -> list[str]:
    """What is wrong with ``password`` as a new one (the rules of registration)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if "\x00" in password:
        return ["Contains a NUL byte."]
    return []


def user_for_session(session_id: str) -> User | None:
    """The user a login session belongs to: ``session_id`` is what :meth:`User.get_id` gave
    when the session began (``"<id>:<session token>"``), kept in the session and the
    remember-me cookie. None once :func:`end_sessions` has replaced the token, or for anything
    malformed."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or int(user_id) > MAX_ID or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_token or user.is_disabled:
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


def set_password(actor: policy.Actor, user: User, new_password: str) -> None:
    """Give ``user`` a new password and end every session (the caller logs the person in again
    where they are); sends ``password_changed`` to the address. The rules of registration
    apply to the password."""
    if found := password_problems(new_password):
        raise InvalidInput("The new password is not valid.", {"new_password": found})
    user.password_hash = hash_password(new_password)
    end_sessions(user, user)  # its owner's change, or a reset link that proved the address
    signals.account_mail.send(
        user,
        actor=actor,
        to_address=user.email,
        kind="password_changed",
        url=None,
        expires_at=None,
        extra={},
    )


def change_password(actor: policy.Actor, user: User, current: str, new_password: str) -> None:
    """The settings page's password change: the current password is needed (someone who found
    a logged-in browser cannot lock the owner out), and every other session ends."""
    policy.require(actor, "account.settings", user)
    if not password_matches(user, current):
        raise InvalidInput(
            "The current password is not right.", {"current_password": ["Not your password."]}
        )
    set_password(actor, user, new_password)


def time_zone_problems(name: str) -> list[str]:
    if name not in _time_zones():
        return ["Not a time zone name; choose one from the list (for example Europe/Paris)."]
    return []


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def time_zone_names() -> list[str]:
    return sorted(_time_zones())


def update_profile(actor: policy.Actor, user: User, display_name: str, time_zone: str) -> None:
    """Change the display name (empty: the username) and time zone (an IANA name) together;
    every problem is reported at once and nothing changes unless all is right."""
    policy.require(actor, "account.settings", user)
    problems: dict[str, list[str]] = {}
    try:
        display_name = clean_text(
            display_name or user.username, "display_name", max_length=MAX_DISPLAY_NAME
        )
    except InvalidInput as exc:
        problems.update(exc.fields)
    if found := time_zone_problems(time_zone):
        problems["time_zone"] = found
    if problems:
        raise InvalidInput("The settings are not valid.", problems)
    policy.check_content(actor, "profile", user, display_name)
    user.display_name = display_name
    user.time_zone = time_zone
    db.session.flush()


def disable_user(actor: policy.Actor, user: User, *, disabled: bool = True) -> None:
    """Disable an account (rule ``account.disable``: site admins and the operator): every session
    ends, and logins and API tokens are refused saying so, until it is enabled again."""
    policy.require(actor, "account.disable", user)
    if disabled:
        if user.disabled_at is None:
            user.disabled_at = utcnow()
        user.session_token = new_session_token()
    else:
        user.disabled_at = None
    db.session.flush()


DISABLED = "This account is disabled by the site's administrators."


def create_token(user: User, name: str = "") -> str:
    """The operator's shorthand for :func:`talk.services.tokens.issue_token`: a new token's
    secret, shown once and stored only hashed."""
    return tokens.issue_token(policy.OPERATOR, user, name=name).secret
