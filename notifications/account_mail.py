"""The account emails the core asks for (``talk.signals.account_mail``): rendered here and
queued in the outbox in the request's transaction, so a sign-up, a reset or an address change
that rolls back sends nothing. Their category is ``account``: no preference turns them off,
and they go to unverified addresses too (the links in them are how an address is verified)."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, render_template, request, url_for

from notifications import outbox
from notifications.emails import public_urls
from talk import signals


@dataclass(frozen=True)
class Wording:
    subject: str
    heading: str
    says: str  # what happened, one paragraph; ``{new_address}`` from the signal's extra
    action: str | None  # the link's text; None for a notice without a link
    otherwise: str  # what to do if the reader did not ask for it


WORDINGS = {
    ("verify_email", "register"): Wording(
        "Confirm your email address",
        "Confirm your email address",
        "Someone, we hope you, signed up for Talk with this address. Confirm it to finish "
        "signing up.",
        "Confirm my address",
        "If it was not you, ignore this email: no account is made.",
    ),
    ("verify_email", "email"): Wording(
        "Confirm your new email address",
        "Confirm your new email address",
        "You asked to use this address for your Talk account. Confirm it to make the change.",
        "Confirm my new address",
        "If it was not you, ignore this email: the account keeps its address.",
    ),
    ("reset_password", ""): Wording(
        "Choose a new password",
        "Choose a new password",
        "Someone, we hope you, asked to choose a new password for the Talk account that uses "
        "this address.",
        "Choose a new password",
        "If it was not you, ignore this email: your password stays as it is.",
    ),
    ("already_registered", ""): Wording(
        "You already have an account",
        "You already have a Talk account",
        "Someone, perhaps you, tried to put this address on a new or another account, but an "
        "account already uses it. You can log in with it, or choose a new password if you "
        "have forgotten yours.",
        "Choose a new password",
        "If it was not you, you need do nothing: nothing was changed.",
    ),
    ("email_changed", ""): Wording(
        "Your email address is being changed",
        "Your email address is being changed",
        "Your Talk account asked to use {new_address} instead of this address. The change "
        "happens when that address is confirmed.",
        None,
        "If it was not you, log in and change your password now.",
    ),
    ("password_changed", ""): Wording(
        "Your password was changed",
        "Your password was changed",
        "The password of your Talk account was changed, and every other session was ended.",
        None,
        "If it was not you, choose a new password from the login page at once.",
    ),
    ("account_standing", ""): Wording(
        "A decision about your Talk account",
        "A decision about your Talk account",
        "{text}",
        "See your standing",
        "If you think it is a mistake, you can appeal from that page.",
    ),
}


def _send_account_mail(
    sender: Any,
    *,
    to_address: str,
    kind: str,
    url: str | None,
    expires_at: datetime | None,
    extra: dict[str, str],
    **_: Any,
) -> None:
    purpose = extra.get("purpose", "") if kind == "verify_email" else ""
    wording = WORDINGS[(kind, purpose)]
    with nullcontext() if has_request_context() else public_urls():  # a command, the worker
        context = {
            "wording": wording,
            "says": wording.says.format(
                new_address=extra.get("new_address", "another address"),
                text=extra.get("text", ""),
            ),
            "url": url if url is None or "://" in url else url_for_path(url),
            "expires_at": expires_at,
            "login_url": extra.get("login_url") or url_for("auth.login", _external=True),
        }
        outbox.enqueue(
            to_address=to_address,
            subject=wording.subject,
            text=render_template("notifications/email/account.txt", **context),
            html=render_template("notifications/email/account.html", **context),
            category="account",
            user=sender,
        )


def url_for_path(path: str) -> str:
    """An absolute link to ``path`` on this site (a path as ``url_for`` gives it)."""
    return request.host_url.rstrip("/") + path


signals.account_mail.connect(_send_account_mail)
