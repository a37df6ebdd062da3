"""Follows, notifications, email, digests and newsletters.

A package of the site (:data:`talk.config.PACKAGES`): it subscribes to the core's signals in
:mod:`talk.signals`, puts its buttons on the core's pages through :mod:`talk.web.slots`, and
the core never imports it. ``docs/packages.md`` shows how its parts plug in. Email goes through
the outbox (:func:`notifications.outbox.enqueue`) and the worker (``talk worker``,
:mod:`notifications.worker`).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask

from notifications.smtp import mail_from, smtp_url
from talk import api
from talk.config import Setting, non_negative_int, positive_int


def public_url(raw: str) -> str:
    """``https://talk.example.org`` (a path is allowed, for a site under one): what the
    worker's links start with."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host name")
    if parts.query or parts.fragment:
        raise ValueError("expected no ?query or #fragment")
    return raw.strip().rstrip("/")


def hour_of_day(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 23:
        raise ValueError("expected an hour from 0 to 23")
    return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday(raw: str) -> int:
    """A day's English name (``monday``) or its number, 0 (Monday) to 6 (Sunday)."""
    lowered = raw.strip().lower()
    if lowered in WEEKDAYS:
        return WEEKDAYS.index(lowered)
    if lowered.isdigit() and int(lowered) < len(WEEKDAYS):
        return int(lowered)
    raise ValueError("expected a day's name (monday) or 0 (Monday) to 6 (Sunday)")


#: This package's ``TALK_*`` settings; ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = (
    Setting(
        "TALK_SMTP_URL",
        "TALK_SMTP_URL",
        None,
        smtp_url,
        "Mail server the worker sends through: `smtp://user:password@host:587?starttls=1` "
        "(STARTTLS), `smtps://user:password@host:465` (TLS from the start) or "
        "`smtp://host:25` (plain, for a relay on the same machine). Unset: mail is kept in the "
        "local mailbox that site admins read at `/admin/mailbox` (the demo's).",
    ),
    Setting(
        "TALK_MAIL_FROM",
        "TALK_MAIL_FROM",
        "Talk <talk@localhost>",
        mail_from,
        "Sender of Talk's email (`Talk <talk@example.org>`); its domain ends each `Message-ID`.",
    ),
    Setting(
        "TALK_SMTP_TIMEOUT",
        "TALK_SMTP_TIMEOUT",
        30,
        positive_int,
        "Seconds to wait for the mail server at each step before counting the attempt as "
        "failed (retried later) or, once the message was handed over, as uncertain.",
    ),
    Setting(
        "TALK_OUTBOX_INTERVAL",
        "TALK_OUTBOX_INTERVAL",
        5,
        positive_int,
        "Seconds between two runs of the worker's outbox delivery.",
    ),
    Setting(
        "TALK_OUTBOX_BATCH",
        "TALK_OUTBOX_BATCH",
        200,
        positive_int,
        "Messages a worker claims and sends per run (over one SMTP connection).",
    ),
    Setting(
        "TALK_MAIL_MAX_ATTEMPTS",
        "TALK_MAIL_MAX_ATTEMPTS",
        8,
        positive_int,
        "Attempts at one message before a temporary failure (4xx, no connection, timeout) "
        "becomes final (`failed`, reason `gave-up`); retries wait 1 min, 2 min, 4 min… "
        "(at most 6 h, with jitter).",
    ),
    Setting(
        "TALK_PUBLIC_URL",
        "TALK_PUBLIC_URL",
        "http://127.0.0.1:5000",
        public_url,
        "The site's address as people open it (`https://talk.example.org`): the worker, "
        "outside any request, starts the links in notification emails and digests with it. "
        "Its host must be one of `TALK_ALLOWED_HOSTS`. `talk demo` uses the address it serves "
        "unless this is set.",
    ),
    Setting(
        "TALK_EMAIL_INTERVAL",
        "TALK_EMAIL_INTERVAL",
        60,
        positive_int,
        "Seconds between two runs of the worker's notification email job: each run sends "
        "each person whose choice is *immediately* one email with everything new since.",
    ),
    Setting(
        "TALK_EMAIL_HOURLY_LIMIT",
        "TALK_EMAIL_HOURLY_LIMIT",
        10,
        positive_int,
        "Immediate notification emails one person gets in any hour at most. Past it their "
        "notifications wait, and go together in one email once the hour allows (the delivery "
        "log says `deferred`). Account mail and digests are not counted or held.",
    ),
    Setting(
        "TALK_DIGEST_HOUR",
        "TALK_DIGEST_HOUR",
        7,
        hour_of_day,
        "Hour of the day (0-23, in each person's own time zone) from which their daily and "
        "weekly digests are sent.",
    ),
    Setting(
        "TALK_DIGEST_WEEKDAY",
        "TALK_DIGEST_WEEKDAY",
        0,
        weekday,
        "Day of the weekly digest, in each person's time zone: `monday`…`sunday` or 0 "
        "(Monday) to 6.",
    ),
    Setting(
        "TALK_DIGEST_INACTIVE_DAYS",
        "TALK_DIGEST_INACTIVE_DAYS",
        180,
        positive_int,
        "Digests stop (the delivery log says why) for a person with no sign of a visit for "
        "this many days: no login session to go by, Talk counts reading a notification, "
        "writing a comment, using an API token, confirming the address or signing up.",
    ),
    Setting(
        "TALK_NEWSLETTER_RATE",
        "TALK_NEWSLETTER_RATE",
        600,
        non_negative_int,
        "Newsletter emails handed to the outbox per minute, for the whole site (10 a second by "
        "default, listmonk's rate); while earlier ones wait in the outbox (a slow or down mail "
        "server) no more are added. 0: no limit.",
    ),
)

#: Where ``talk demo`` finds what packages add to its data (``talk.demo.DEMO_DATA``; not imported,
#: to keep the demo out of the package).
DEMO_DATA = "talk_demo_data"
#: Where ``talk demo`` finds what to run beside its server (``talk.demo.DEMO_SERVICES``; not
#: imported, to keep the demo's data out of the worker).
DEMO_SERVICES = "talk_demo_services"


def init_app(app: Flask) -> None:
    """Add notifications to ``app``: models, follows (rules, receivers, pages, API), account
    mail, the notifications inbox, email preferences and one-click unsubscribe, the site
    admins' mail pages and ``talk worker``."""
    # models and follow_models: the tables in db.metadata, for Alembic; follows and
    # account_mail: rules and signal receivers.
    from notifications import (  # noqa: F401
        account_mail,
        admin,
        consent_api,
        consent_demo,
        consent_views,
        digests,
        digests_models,
        emails,
        follow_api,
        follow_models,
        follow_views,
        follows,
        inbox,
        inbox_api,
        inbox_models,
        inbox_views,
        models,
        newsletter_api,
        newsletter_cli,
        newsletter_models,
        newsletter_sending,
        newsletter_sending_demo,
        newsletter_sending_views,
        newsletter_views,
        newsletters,
        notices,
        preferences,
        preferences_api,
        preferences_models,
        preferences_views,
        rules,
        unsubscribe,
        viewed,
        worker,
    )

    follow_views.init_app(app)
    inbox_views.init_app(app)
    preferences_views.init_app(app)
    unsubscribe.init_app(app)
    newsletter_views.init_app(app)
    consent_views.init_app(app)
    api.register_blueprint(app, preferences_api.blp)
    api.register_blueprint(app, follow_api.blp)
    api.register_blueprint(app, inbox_api.blp)
    api.register_blueprint(app, newsletter_api.blp)
    api.register_blueprint(app, consent_api.blp)
    app.register_blueprint(admin.bp)
    newsletter_sending_views.init_app(app)
    app.cli.add_command(worker.worker_command)
    app.cli.add_command(newsletter_cli.group)
    sending = newsletter_sending
    worker.register_job(worker.Job("newsletters", sending.JOB_SECONDS, sending.send_newsletters))
    app.extensions.setdefault(DEMO_DATA, []).append(consent_demo.add_demo_consents)
    app.extensions.setdefault(DEMO_DATA, []).append(newsletter_sending_demo.add_demo_data)
    app.extensions.setdefault(DEMO_SERVICES, []).append(newsletter_sending_demo.catch_up)
    app.extensions.setdefault(DEMO_SERVICES, []).append(worker.start_in_process)
