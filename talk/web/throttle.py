"""Throttling failed logins, per login name and per client address.

Failures are counted, successes are not: someone who types their password right is never
slowed down, whatever others try. Each failed login is recorded twice, in moving windows of
:data:`WINDOW` in the app's Flask-Limiter storage (:func:`talk.extensions.limiter`):

- under the login as typed (username or email, case and surrounding spaces ignored; stored as a
  SHA-256, so the storage holds no addresses), at most ``TALK_LOGIN_FAILURES_PER_ACCOUNT``;
- under the client's address (``request.remote_addr``, which ``TALK_TRUSTED_PROXIES`` makes the
  real client's behind a proxy), at most ``TALK_LOGIN_FAILURES_PER_CLIENT``.

Before a login is checked, :func:`refusal` says whether either count is full: then the login is
refused with 429 and ``Retry-After`` (when the oldest counted failure leaves the window), even
with the right password. The name as typed, not the account it finds, is counted: a count that
followed the account would show that an address and a username belong together (a 429 for one
after failures on the other).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, request
from limits import RateLimitItem, parse

from talk.extensions import limiter

WINDOW = "15 minutes"
NAMESPACE = "talk-login-failures"


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked, and for how long."""

    message: str
    retry_after: int  # seconds


def _counts(login: str) -> list[tuple[str, RateLimitItem, tuple[str, ...]]]:
    config = current_app.config
    name = hashlib.sha256(login.strip().lower().encode()).hexdigest()
    return [
        (
            "account",
            parse(f"{config['TALK_LOGIN_FAILURES_PER_ACCOUNT']} per {WINDOW}"),
            (NAMESPACE, "login", name),
        ),
        (
            "client",
            parse(f"{config['TALK_LOGIN_FAILURES_PER_CLIENT']} per {WINDOW}"),
            (NAMESPACE, "client", request.remote_addr or "unknown"),
        ),
    ]


@contextmanager
def _storage_errors_logged() -> Iterator[None]:
    """A storage that cannot be reached (Redis down) must not lock everyone out or answer 500:
    the error is logged and the login goes on unthrottled."""
    try:
        yield
    except Exception:
        current_app.logger.exception("Login throttling skipped: its storage failed")


def refusal(login: str) -> Refusal | None:
    """A refusal when ``login``, or this client, has used up its failed logins; else None."""
    with _storage_errors_logged():
        return _refusal(login)
    return None


def _refusal(login: str) -> Refusal | None:
    strategy = limiter().limiter
    for kind, item, keys in _counts(login):
        if strategy.test(item, *keys):
            continue
        reset_at = strategy.get_window_stats(item, *keys).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        minutes = math.ceil(retry_after / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
        if kind == "account":
            message = (
                "Too many failed logins for this username or email address. Logging in with it "
                f"is paused; try again in {wait}."
            )
        else:
            message = (
                f"Too many failed logins from your network address. Logging in from it is "
                f"paused; try again in {wait}."
            )
        return Refusal(message, retry_after)
    return None


def record_failure(login: str) -> None:
    """Count a failed login against ``login`` and this client."""
    strategy = limiter().limiter
    with _storage_errors_logged():
        for _, item, keys in _counts(login):
            strategy.hit(item, *keys)


def record_success(login: str) -> None:
    """A right password clears the failures counted against ``login`` (not the client's: an
    attacker could otherwise reset their address's count by logging in to their own account)."""
    strategy = limiter().limiter
    with _storage_errors_logged():
        for kind, item, keys in _counts(login):
            if kind == "account":
                strategy.clear(item, *keys)


#: Requests that mail an address (a password reset, a sign-up) allowed per address typed and per
#: client address, each per hour and per kind.
MAILS_PER_ADDRESS = "5 per hour"
MAILS_PER_CLIENT = "20 per hour"
MAIL_KINDS = {"reset": "password resets", "register": "sign-ups"}


def mail_refusal(kind: str, email: str) -> Refusal | None:
    """Count a request of ``kind`` that mails ``email`` against the address typed (as for
    logins: the text, hashed, not the account, so a refusal tells nothing about accounts) and
    this client; a refusal when either asked too often this hour (nothing is mailed then). Keeps
    anyone from flooding an inbox through the site."""
    strategy = limiter().limiter
    name = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    namespace = f"talk-mails-{kind}"
    counts = (
        (parse(MAILS_PER_ADDRESS), (namespace, "address", name)),
        (parse(MAILS_PER_CLIENT), (namespace, "client", request.remote_addr or "unknown")),
    )
    with _storage_errors_logged():
        for item, keys in counts:
            if not strategy.hit(item, *keys):
                reset_at = strategy.get_window_stats(item, *keys).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                minutes = math.ceil(retry_after / 60)
                return Refusal(
                    f"Too many {MAIL_KINDS[kind]} were asked for this address or from your "
                    f"network address. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                    retry_after,
                )
    return None
