"""Notification emails: what is sent at once, and the parts digests share with it.

The ``email-notifications`` job (:func:`send_immediate`, every ``TALK_EMAIL_INTERVAL``
seconds) reads only the notifications it may act on now (:func:`notifications.email_waits.due_now`:
undecided, ``emailed_at IS NULL``, waiting for no digest and not held by the hourly cap), sorts
each person's by their choice for its category in its project (:func:`sort_out`), and sends
each person ONE email with every notification chosen ``immediately``, grouped by project and
discussion. Those Talk will not send are recorded with their reason in the person's delivery log
(:func:`notifications.preferences.skip`); those chosen ``daily`` or ``weekly`` are marked as
waiting for that digest (``waits_for``), so later runs do not read them again, and left to
:mod:`notifications.digests`. Past ``TALK_EMAIL_HOURLY_LIMIT`` emails in an hour, the email is
held back, not lost (:mod:`notifications.email_limit`).

Each person's notifications are decided in one transaction with the email's enqueue: a
conditional ``UPDATE … WHERE emailed_at IS NULL`` claims them (a second worker that got there
first makes the claim fall short, and this one rolls back), so a crash before the commit leaves
them undecided for the next run, and none is sent twice. Reading a notification does not cancel
its email, and an email marks nothing read.

Links are absolute: outside a request the worker builds them from ``TALK_PUBLIC_URL``
(:func:`public_urls`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, render_template, url_for
from sqlalchemy import ColumnElement, Select
from sqlalchemy.exc import IntegrityError

from notifications import email_limit, preferences, unsubscribe
from notifications.email_waits import (
    Decided,
    claim,
    due_now,
    hold,
    kept_loaded,
    people_with,
    per_person,
    wait,
)
from notifications.inbox_groups import headline
from notifications.inbox_models import Notification
from notifications.inbox_views import notification_url
from notifications.notices import NOTICE_CATEGORIES
from notifications.outbox import enqueue
from talk import caveats, policy
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User
from talk.security import host_allowed, parse_hosts

log = logging.getLogger(__name__)

#: The email category of each notification kind; a kind not here (``welcome``) is shown in
#: the inbox only, and no email is ever sent for it. A notice's category is ``moderation``
#: (nobody's choice: sent at once) unless its own kind names another
#: (:data:`notifications.notices.NOTICE_CATEGORIES`); :func:`category_of` says which.
KIND_CATEGORIES: dict[str, str] = {
    "mention": "mentions",
    "group_mention": "mentions",
    "reply": "replies",
    "followed_reply": "follows",
    "new_discussion": "discussions",
    "tag_used": "tags",
    "verdict": "verdicts",
    "notice": "moderation",
}


def category_of(notification: Notification) -> str | None:
    """``notification``'s email category (None: never emailed)."""
    if notification.kind == "notice":
        return NOTICE_CATEGORIES.get(notification.detail, KIND_CATEGORIES["notice"])
    return KIND_CATEGORIES.get(notification.kind)


@contextmanager
def public_urls() -> Iterator[None]:
    """A request context at ``TALK_PUBLIC_URL``, so ``url_for(..., _external=True)`` names the
    site as people open it (the worker has no request of its own). Its host must be one the
    site answers for, or every link would get 400: said in the log at each run."""
    config = current_app.config
    base_url = config["TALK_PUBLIC_URL"]
    if not host_allowed(urlsplit(base_url).netloc, parse_hosts(config["TALK_ALLOWED_HOSTS"])):
        log.warning(
            "TALK_PUBLIC_URL %s names a host outside TALK_ALLOWED_HOSTS (%s): the links in "
            "emails will be refused",
            base_url,
            config["TALK_ALLOWED_HOSTS"],
        )
    with current_app.test_request_context(base_url=base_url):
        yield


# --------------------------------------------------------------------------- sorting


@dataclass
class Sorting:
    """One person's undecided notifications by what becomes of them."""

    by_choice: dict[str, list[Notification]] = field(default_factory=lambda: defaultdict(list))
    skipped: dict[tuple[str, str], list[Notification]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (reason, category): notifications
    silent: list[Notification] = field(default_factory=list)  # never emailed, nothing to say


def _may_still_see(user: User, notification: Notification) -> bool:
    """Whether ``user`` may still read what it is about (a role or a board may have changed,
    the comment may have been hidden since the notification was made). A notice's sender
    chose its person: a notice that a comment was hidden is about a hidden comment."""
    if notification.kind == "notice":
        return True
    if notification.comment is not None and not notification.comment.is_visible:
        return False
    if notification.discussion is not None:
        return policy.may(user, "discussion.read", notification.discussion)
    return True


def sort_out(user: User, notifications: Sequence[Notification]) -> Sorting:
    """What becomes of each of ``user``'s notifications: its choice (``immediately``,
    ``daily``, ``weekly``), a skip with its reason, or nothing (a kind never emailed)."""
    sorting = Sorting()
    reasons: dict[tuple[int, str], str | None] = {}
    choices: dict[tuple[int, str], str] = {}  # each asked once per project and category
    for notification in notifications:
        category = category_of(notification)
        if category is None:
            sorting.silent.append(notification)
            continue
        key = (notification.project_id, category)
        if key not in reasons:
            choices[key] = preferences.chosen(user, notification.project, category)
            reasons[key] = preferences.why_not(user, notification.project, category, choices[key])
        reason = reasons[key]
        if reason is None and not _may_still_see(user, notification):
            reason = "no-permission"
        if reason is not None:
            sorting.skipped[(reason, category)].append(notification)
        else:
            sorting.by_choice[choices[key]].append(notification)
    return sorting


# --------------------------------------------------------------------------- rendering


@dataclass
class Line:
    headline: str
    url: str
    when: str  # in the reader's time zone


def zone_of(user: User) -> ZoneInfo:
    """``user``'s time zone (UTC when the stored name is unknown to this machine)."""
    return zone_named(user.time_zone)


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone a user's ``time_zone`` names (UTC when none or unknown here)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass
class Thread:
    """The lines about one discussion (or one item, or the project itself)."""

    title: str
    url: str
    lines: list[Line] = field(default_factory=list)
    #: what readers are told before its content (content warnings: :mod:`talk.caveats`)
    caveats: list[str] = field(default_factory=list)


@dataclass
class Section:
    """The threads of one project."""

    title: str
    url: str
    threads: list[Thread] = field(default_factory=list)


def line_of(notification: Notification) -> str:
    actors = [notification.actor] if notification.actor is not None else []
    return headline(notification.kind, notification, 1, actors)


def _thread_of(notification: Notification) -> tuple[tuple[str, int], str, str]:
    project = notification.project
    if notification.discussion is not None:
        discussion = notification.discussion
        url = url_for("discussions.show", discussion_id=discussion.id, _external=True)
        return ("discussion", discussion.id), f"Discussion “{discussion.title}”", url
    if notification.item is not None:
        item = notification.item
        url = url_for(
            "projects.item", slug=project.slug, external_id=item.external_id, _external=True
        )
        return ("item", item.id), f"Item “{item.title}”", url
    url = url_for("projects.home", slug=project.slug, _external=True)
    return ("project", project.id), f"The project {project.title}", url


def sections(notifications: Sequence[Notification], zone: ZoneInfo) -> list[Section]:
    """``notifications`` grouped by project, then by discussion, in the order they came
    (times in ``zone``)."""
    projects: dict[int, Section] = {}
    threads: dict[tuple[int, tuple[str, int]], Thread] = {}
    for notification in notifications:
        project = notification.project
        if project.id not in projects:
            url = url_for("projects.home", slug=project.slug, _external=True)
            projects[project.id] = Section(project.title, url)
        key, title, url = _thread_of(notification)
        if (project.id, key) not in threads:
            warned = (
                [] if notification.discussion is None else caveats.about(notification.discussion)
            )
            threads[(project.id, key)] = Thread(title, url, caveats=warned)
            projects[project.id].threads.append(threads[(project.id, key)])
        threads[(project.id, key)].lines.append(
            Line(
                line_of(notification),
                notification_url(notification, _external=True),
                f"{notification.created_at.astimezone(zone):%-d %B, %H:%M} ({zone.key})",
            )
        )
    return list(projects.values())


@dataclass
class Stop:
    """A link that stops one category of email (the unsubscribe page, with its button)."""

    label: str
    url: str
    where: str = ""  # " from <project>" when it stops the category in one project only


def render(
    user: User, subject: str, heading: str, intro: str, notifications: Sequence[Notification]
) -> tuple[str, str]:
    """The text and HTML parts of a notification email or digest."""
    project = scope_of(notifications)
    where = "" if project is None else f" from {project.title}"
    context: dict[str, Any] = {
        "subject": subject,
        "heading": heading,
        "intro": intro,
        "sections": sections(notifications, zone_of(user)),
        "stops": [
            Stop(
                preferences.PREFERENCE_CATEGORIES[c],
                unsubscribe.unsubscribe_url(user, (c,), project),
                where,
            )
            for c in categories_of(notifications)
        ],
        "settings_url": url_for("email_settings.page", _external=True),
        "inbox_url": url_for("inbox.page", _external=True),
    }
    return (
        render_template("notifications/email/notifications.txt", **context),
        render_template("notifications/email/notifications.html", **context),
    )


def categories_of(notifications: Sequence[Notification]) -> list[str]:
    """The email categories ``notifications`` are about that a person chooses, sorted (a
    moderation decision is no choice: like account mail, it has no unsubscribe)."""
    categories = {category_of(n) for n in notifications}
    return sorted(c for c in categories if c in preferences.PREFERENCE_CATEGORIES)


def scope_of(notifications: Sequence[Notification]) -> Project | None:
    """Where an email's unsubscribe acts: its project when all of it is about one, else
    site-wide (None)."""
    if len({n.project_id for n in notifications}) != 1:
        return None
    return notifications[0].project


def headers_for(user: User, notifications: Sequence[Notification]) -> dict[str, str]:
    """One-click unsubscribe headers for every notification email and digest: one click
    turns off every category it holds, in its project when it is about one (the body links
    to each category's own unsubscribe page too)."""
    categories = categories_of(notifications)
    if not categories:
        return {}
    return unsubscribe.unsubscribe_headers(user, categories, scope_of(notifications))


def summary(notifications: Sequence[Notification]) -> str:
    """A subject: the one notification's line, or how many there are. A moderation decision
    about the reader (hidden, suspended) leads the subject whatever came with it, so it is
    not read as "2 new notifications" and left unopened."""
    if len(notifications) == 1:
        return line_of(notifications[0])
    decisions = [n for n in notifications if category_of(n) == "moderation"]
    if decisions:
        more = len(notifications) - 1
        return f"{line_of(decisions[0])} (and {more} more on Talk)"
    return f"{len(notifications)} new notifications on Talk"


# --------------------------------------------------------------------------- the job


def record_skips(user: User, sorting: Sorting) -> None:
    for (reason, category), notifications in sorting.skipped.items():
        preferences.skip(user, category, reason, summary(notifications))


def settle(user: User, sorting: Sorting, choice: str, now: datetime) -> list[Notification]:
    """Decide what of ``sorting`` is not for ``choice`` (the job's: ``immediately``, ``daily``
    or ``weekly``): skips recorded and claimed, the silent claimed, the others put to wait for
    the job of their choice. Returns those for ``choice``, still undecided."""
    for other, group in sorting.by_choice.items():
        if other != choice:
            wait(group, None if other == "immediately" else other)
    claim([n for group in sorting.skipped.values() for n in group] + sorting.silent, now)
    record_skips(user, sorting)
    return sorting.by_choice.get(choice, [])


#: The categories of immediate notification emails (what the hourly cap counts).
IMMEDIATE_CATEGORIES: tuple[str, ...] = tuple(sorted(set(KIND_CATEGORIES.values())))


def email_now(user: User, notifications: Sequence[Notification], now: datetime) -> bool:
    """Decide ``user``'s notifications due now: one email with those chosen ``immediately``
    (True when there is one; held back instead when the hourly cap is reached), skips for
    those Talk will not send, and a wait for a digest for the others. The caller commits."""
    sending = settle(user, sort_out(user, notifications), "immediately", now)
    if not sending:
        return False
    subject = summary(sending)
    category = category_of(sending[0]) or ""  # the delivery log's; the first's
    until = email_limit.next_allowed(user, IMMEDIATE_CATEGORIES, now)
    if until is not None:
        hold(sending, until)
        email_limit.note_deferral(user, IMMEDIATE_CATEGORIES, category, subject, now)
        return False
    claim(sending, now)
    text, html = render(user, subject, "New on Talk", _intro(sending), sending)
    enqueue(
        to_address=user.email,
        subject=subject,
        text=text,
        html=html,
        category=category,
        user=user,
        headers=headers_for(user, sending),
    )
    return True


def _intro(notifications: Sequence[Notification]) -> str:
    if len(notifications) == 1:
        return "This happened on Talk since we last wrote:"
    return f"{len(notifications)} things happened on Talk since we last wrote:"


def each_person(
    people: Select[Any],
    where: Sequence[ColumnElement[bool]],
    decide: Callable[[User, list[Notification]], int],
) -> int:
    """Run ``decide`` for each of ``people`` (a query of user ids) with their notifications
    matching ``where`` (links at ``TALK_PUBLIC_URL``); returns the sum of what it returned."""
    total = 0
    with public_urls(), kept_loaded():
        for user, notifications in per_person(people, *where):
            total += decide(user, notifications)
            policy.forget_roles()
    return total


def committed(what: str, decide: Callable[[], object]) -> int:
    """``decide()`` in a transaction of its own, committed: 1 when it returned something true,
    else 0; on any failure rolled back (what it decided stays undecided for the next run)."""
    try:
        done = decide()
        db.session.commit()
    except (Decided, IntegrityError):
        db.session.rollback()
        log.warning("%s was decided by another worker", what)
        return 0
    except Exception:
        db.session.rollback()
        log.exception("%s failed; left for the next run", what)
        return 0
    return 1 if done else 0


def send_immediate(_worker_id: str = "", now: datetime | None = None) -> int:
    """The ``email-notifications`` job: each person's notifications due now decided, in a
    transaction per person. Returns how many emails were queued. Commits."""
    when = now or utcnow()
    due = due_now(when)
    return each_person(
        people_with(*due),
        due,
        lambda user, notifications: committed(
            f"the email of user {user.id}", partial(email_now, user, notifications, when)
        ),
    )
