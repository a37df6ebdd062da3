"""API tokens: made by their owner (or the operator), listed and revoked by their owner alone.

A token is shown once, when it is made, and stored only as its SHA-256. It may expire (refused
with a 401 saying so) and may be limited to one project (:func:`talk.policy.limit_to_project`).
Its ``last_used_at`` is written at most once per :data:`LAST_USED_EVERY`, not on every request,
and only by requests that succeed (a refused request rolls back whole, that write included).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput, NotAuthenticated, NotFound
from talk.extensions import db
from talk.limits import MAX_ID, MAX_TOKEN_NAME
from talk.models import ApiToken, Project, User
from talk.services.validation import clean_text

TOKEN_PREFIX = "talk_"  # noqa: S105 (a prefix, not a secret)
LAST_USED_EVERY = timedelta(minutes=1)
MAX_EXPIRES_DAYS = 3650


class TokenRefused(NotAuthenticated):
    """A bearer token that is unknown or has expired (the API answers ``invalid_token``)."""

    code = "invalid_token"


@dataclass
class IssuedToken:
    """A new token's row and its secret, which exists nowhere else once this is forgotten."""

    token: ApiToken
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    actor: policy.Actor,
    user: User,
    *,
    name: str = "",
    project: Project | None = None,
    expires_days: int | None = None,
) -> IssuedToken:
    """Make an API token for ``user`` (rule ``token.create``: the user, or the operator),
    optionally limited to ``project`` and ending ``expires_days`` days from now."""
    policy.require(actor, "token.create", user)
    name = clean_text(name, "name", max_length=MAX_TOKEN_NAME, required=False)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InvalidInput(
            "The expiry is out of range.",
            {"expires_days": [f"Must be a whole number of days from 1 to {MAX_EXPIRES_DAYS}."]},
        )
    now = utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        token_hash=_hash(secret),
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
        project=project,
    )
    db.session.add(token)
    db.session.flush()
    return IssuedToken(token, secret)


def scope_project(slug: str | None) -> Project | None:
    """The project a new token is to be limited to, named by its slug (None: no limit); an
    unknown slug is a problem with the ``project`` field (422), not a missing page."""
    if not slug:
        return None
    project = db.session.scalar(select(Project).where(Project.slug == slug.strip()))
    if project is None:
        raise InvalidInput(f"No project {slug!r}.", {"project": ["No project has this slug."]})
    return project


def user_tokens(actor: policy.Actor, user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first (rule ``token.manage``: the user alone)."""
    policy.require(actor, "token.manage", user)
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(actor: policy.Actor, user: User, token_id: int) -> None:
    """Delete one of ``user``'s tokens: it stops working at once. Someone else's token id is
    looked for among ``user``'s only, so it is as unknown (404) as a missing one."""
    policy.require(actor, "token.manage", user)
    token = None
    if 0 < token_id <= MAX_ID:
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
        )
    if token is None:
        raise NotFound(f"You have no API token with id {token_id}.")
    db.session.delete(token)
    db.session.flush()


def is_expired(token: ApiToken, now: datetime | None = None) -> bool:
    return token.expires_at is not None and token.expires_at <= (now or utcnow())


def authenticate_token(secret: str) -> ApiToken:
    """The live token whose secret this is, its use recorded; else :class:`TokenRefused`."""
    token = db.session.scalar(_BY_HASH, {"token_hash": _hash(secret)})
    if token is None:
        raise TokenRefused("The API token is not valid.")
    if token.user.is_disabled:
        raise TokenRefused("This API token's account is disabled by the site's admins.")
    now = utcnow()
    if is_expired(token, now):
        assert token.expires_at is not None
        raise TokenRefused(
            f"The API token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; make a new one."
        )
    _record_use(token, now)
    return token


#: Built once, with bind parameters and the user joined: every API request runs it, and the
#: user is always read next (docs/performance-notes.md, "Posting").
_BY_HASH = (
    select(ApiToken)
    .options(joinedload(ApiToken.user, innerjoin=True))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _record_use(token: ApiToken, now: datetime) -> None:
    """Set ``last_used_at`` when the last record is a minute old or more. Conditional, so of
    requests racing with one token a single one writes; best effort, so a write lock that
    cannot be had at once (SQLite, another writer) skips it until the next request."""
    due = now - LAST_USED_EVERY
    if token.last_used_at is not None and token.last_used_at > due:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token.id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= due),
                )
                .values(last_used_at=now)
            )
    except OperationalError:
        return
