"""Rate limits on what people write: comments, new discussions, people mentioned, reports and
sign-ups — defined once here, each per account and per client address, and counted in the
app's Flask-Limiter storage (:func:`talk.extensions.limiter`, ``TALK_RATE_LIMIT_STORAGE_URL``:
each process's memory, or Redis shared by several servers), like login throttling
(:mod:`talk.web.throttle`).

The services count (:func:`hit`), so every door — pages and API — is limited alike; work outside
a request (commands, the worker, imports) and the operator are not limited. A refusal is
:class:`RateLimited`: 429, ``Retry-After`` (added to the answer by the hook :func:`init_app`
installs), the API's error shape, and on pages a message above the form, whose text is kept.
A package counts its own writes under a name declared here: the moderation package's reports
call ``hit("report", actor)``.

Each limit is a list of rates in the ``limits`` notation (``1 per 5 seconds; 10 per minute``)
in moving windows; a write is refused when any rate is full, for its account or its client
address, and is then counted nowhere. ``TALK_RATE_LIMITS=0`` turns them all off (the test
suite does, and tests that want them turn them on). A storage that cannot be reached lets the
write through and logs the error, as login throttling does: nobody is locked out by a Redis
outage.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, has_request_context, request
from limits import RateLimitItem, parse_many

from talk.config import Setting, boolean, non_negative_int
from talk.errors import TalkError
from talk.extensions import limiter


def rates(raw: str) -> str:
    """A setting holding rates in the ``limits`` notation (``1 per 5 seconds; 10 per minute``),
    checked at start-up."""
    try:
        parsed = parse_many(raw)
    except ValueError as exc:
        raise ValueError(f"expected rates like '1 per 5 seconds; 10 per minute' ({exc})") from exc
    if not parsed:
        raise ValueError("expected at least one rate, like '10 per minute'")
    return raw.strip()


@dataclass(frozen=True)
class Limit:
    """A kind of write limited per account (``account``, the setting's key; None when there is
    no account yet, as for sign-ups) and per client address (``client``)."""

    name: str
    noun: str  # what is counted, in a refusal's message
    account: str | None
    client: str


LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit(
            "comment",
            "comments",
            "TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT",
            "TALK_RATE_LIMIT_COMMENTS_PER_CLIENT",
        ),
        Limit(
            "discussion",
            "new discussions",
            "TALK_RATE_LIMIT_DISCUSSIONS_PER_ACCOUNT",
            "TALK_RATE_LIMIT_DISCUSSIONS_PER_CLIENT",
        ),
        Limit(
            "mention",
            "mentions of people",
            "TALK_RATE_LIMIT_MENTIONS_PER_ACCOUNT",
            "TALK_RATE_LIMIT_MENTIONS_PER_CLIENT",
        ),
        Limit(
            "report",
            "reports",
            "TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT",
            "TALK_RATE_LIMIT_REPORTS_PER_CLIENT",
        ),
        Limit("signup", "sign-ups", None, "TALK_RATE_LIMIT_SIGNUPS_PER_CLIENT"),
        Limit(
            "newsletter_test",
            "test sends of an update",
            "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_ACCOUNT",
            "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_CLIENT",
        ),
    )
}

_CLIENT_NOTE = (
    " Behind a proxy, set `TALK_TRUSTED_PROXIES` so that this is the client's address; a "
    "school or museum shares one address, so keep it well above one person's."
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TALK_RATE_LIMITS",
        "TALK_RATE_LIMITS",
        True,
        boolean,
        "Apply the rate limits below (429 with `Retry-After` beyond them; commands are never "
        "limited). Off: none applies; failed logins are still throttled.",
    ),
    Setting(
        "TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT",
        "TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT",
        "1 per 5 seconds; 10 per minute; 200 per hour",
        rates,
        "Comments (replies and first posts) one account may post, as `limits` rates separated "
        "by `;`, each a moving window.",
    ),
    Setting(
        "TALK_RATE_LIMIT_COMMENTS_PER_CLIENT",
        "TALK_RATE_LIMIT_COMMENTS_PER_CLIENT",
        "60 per minute; 1000 per hour",
        rates,
        "Comments posted from one client address, whatever the account." + _CLIENT_NOTE,
    ),
    Setting(
        "TALK_RATE_LIMIT_DISCUSSIONS_PER_ACCOUNT",
        "TALK_RATE_LIMIT_DISCUSSIONS_PER_ACCOUNT",
        "6 per minute; 100 per hour",
        rates,
        "Discussions one account may start (an item's first comment starts one).",
    ),
    Setting(
        "TALK_RATE_LIMIT_DISCUSSIONS_PER_CLIENT",
        "TALK_RATE_LIMIT_DISCUSSIONS_PER_CLIENT",
        "30 per minute; 500 per hour",
        rates,
        "Discussions started from one client address.",
    ),
    Setting(
        "TALK_RATE_LIMIT_MENTIONS_PER_ACCOUNT",
        "TALK_RATE_LIMIT_MENTIONS_PER_ACCOUNT",
        "20 per minute; 100 per hour",
        rates,
        "People one account may @mention (each person named in a new comment, or newly named "
        "in an edit, counts one).",
    ),
    Setting(
        "TALK_RATE_LIMIT_MENTIONS_PER_CLIENT",
        "TALK_RATE_LIMIT_MENTIONS_PER_CLIENT",
        "60 per minute; 500 per hour",
        rates,
        "People @mentioned from one client address.",
    ),
    Setting(
        "TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT",
        "TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT",
        "5 per minute; 20 per day",
        rates,
        "Reports (of comments, discussions, people) one account may make.",
    ),
    Setting(
        "TALK_RATE_LIMIT_REPORTS_PER_CLIENT",
        "TALK_RATE_LIMIT_REPORTS_PER_CLIENT",
        "100 per day",
        rates,
        "Reports made from one client address.",
    ),
    Setting(
        "TALK_RATE_LIMIT_SIGNUPS_PER_CLIENT",
        "TALK_RATE_LIMIT_SIGNUPS_PER_CLIENT",
        "20 per hour; 100 per day",
        rates,
        "Sign-ups (registration forms sent) from one client address." + _CLIENT_NOTE,
    ),
    Setting(
        "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_ACCOUNT",
        "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_ACCOUNT",
        "1 per 10 seconds; 20 per hour",
        rates,
        "Test sends of a project update (to the composer's own address) one account may make.",
    ),
    Setting(
        "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_CLIENT",
        "TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_CLIENT",
        "60 per hour",
        rates,
        "Test sends of project updates from one client address.",
    ),
    Setting(
        "TALK_DUPLICATE_COMMENT_MINUTES",
        "TALK_DUPLICATE_COMMENT_MINUTES",
        5,
        non_negative_int,
        "Minutes in which the same comment (same author, discussion and text, spacing aside) "
        "is refused when posted again (409); 0 allows it. Not a rate limit: it applies on "
        "every door, commands included, whatever `TALK_RATE_LIMITS` says.",
    ),
)


class RateLimited(TalkError):
    """A write over one of its limits: 429, to try again after ``retry_after`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def applies(actor: object) -> bool:
    """Whether ``actor``'s writes are counted now: in a request, with limits on, not the
    operator (whose ``id`` is None, like nobody's account)."""
    if not has_request_context() or not current_app.config.get("TALK_RATE_LIMITS", True):
        return False
    return not (getattr(actor, "is_authenticated", False) and getattr(actor, "id", 0) is None)


def hit(name: str, actor: object, cost: int = 1) -> None:
    """Count ``cost`` writes of the limit ``name`` by ``actor`` (a User, or the anonymous user
    for sign-ups), or raise :class:`RateLimited` (counting nothing) when one is over."""
    hit_many(actor, {name: cost})


def hit_many(actor: object, costs: Mapping[str, int]) -> None:
    """Count several limits at once (a new discussion is a discussion, a comment and its
    mentions): all are counted, or — when any is over — none."""
    unknown = set(costs) - set(LIMITS)
    if unknown:
        raise ValueError(f"no rate limit named {sorted(unknown)}")  # a programming error
    if not applies(actor):
        return
    counts = [count for name, cost in costs.items() if cost > 0 for count in _counts(name, actor)]
    try:
        strategy = limiter().limiter
        for name, item, keys in counts:
            if not strategy.test(item, *keys, cost=costs[name]):
                reset_at = strategy.get_window_stats(item, *keys).reset_time
                _refuse(LIMITS[name], item, max(1, math.ceil(reset_at - time.time())))
        for name, item, keys in counts:
            strategy.hit(item, *keys, cost=costs[name])
    except RateLimited:
        raise
    except Exception:
        current_app.logger.exception("Rate limits skipped: their storage failed")


Count = tuple[str, RateLimitItem, tuple[str, ...]]  # the limit's name, a rate, the keys


def _counts(name: str, actor: object) -> list[Count]:
    limit = LIMITS[name]
    config = current_app.config
    found: list[Count] = [
        (name, item, ("talk-rate", name, "client", request.remote_addr or "unknown"))
        for item in parse_many(config[limit.client])
    ]
    account = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    if limit.account is not None and account is not None:
        found += [
            (name, item, ("talk-rate", name, "account", str(account)))
            for item in parse_many(config[limit.account])
        ]
    return found


def _refuse(limit: Limit, item: RateLimitItem, retry_after: int) -> None:
    g.talk_retry_after = retry_after
    raise RateLimited(
        f"Too many {limit.noun} in a short time: this site allows {describe(item)}. Nothing "
        f"was saved; try again in {wait(retry_after)}.",
        retry_after,
    )


def describe(item: RateLimitItem) -> str:
    """``1 per 5 seconds``, ``10 per minute``."""
    unit = item.GRANULARITY.name
    per = f"{item.multiples} {unit}s" if item.multiples != 1 else unit
    return f"{item.amount} per {per}"


def wait(seconds: int) -> str:
    """A wait in words: ``4 seconds``, ``2 minutes``, ``3 hours``."""
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size or size == 1:
            count = math.ceil(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    raise AssertionError("unreachable")  # pragma: no cover


def init_app(app: Flask) -> None:
    """Give a refused write's answer (page or API) its ``Retry-After``."""

    @app.after_request
    def retry_after(response: Response) -> Response:
        seconds = g.pop("talk_retry_after", None)
        if response.status_code == 429 and seconds and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(seconds)
        return response
