"""The email outbox: how any part of the site sends an email, and what each recipient address
may still receive.

:func:`enqueue` writes the message in the current transaction (a receiver of a core signal, a
service): it is sent by the worker (:mod:`notifications.delivery`) only once that transaction
commits, and never for a change that rolled back. Time comes from :func:`talk.clock.utcnow`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from functools import lru_cache
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select

from notifications import batch_sql
from notifications.models import MailAddress, OutboxMessage
from notifications.smtp import PLAIN_ADDRESS
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db

#: What an email is about; preferences (and the one-click unsubscribe) act per category
#: (:data:`notifications.preferences.PREFERENCE_CATEGORIES` says which a person chooses).
CATEGORIES = (
    "account",
    "mentions",
    "replies",
    "follows",
    "discussions",
    "tags",
    "verdicts",
    "digest",
    "newsletter",
    "moderation",
    "reports",
)

#: Bounces (reported by :func:`record_bounce`) after which an address is disabled.
BOUNCES_TO_DISABLE = 3


def normalise_address(address: str) -> str:
    return address.strip().lower()


@dataclass(frozen=True)
class Mail:
    """One email to queue: whom to, what, and what about (a :data:`CATEGORIES` name)."""

    to_address: str
    subject: str
    text: str
    category: str
    html: str | None = None
    user: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse what cannot be a message (422 naming the field)."""
        if self.category not in CATEGORIES:
            raise InvalidInput(
                f"Unknown email category {self.category!r}.", {"category": ["Unknown."]}
            )
        address = self.to_address
        if "@" not in address or "\n" in address or "\r" in address:
            raise InvalidInput("Not an email address.", {"to_address": ["Not an email address."]})
        if "\n" in self.subject or "\r" in self.subject:
            raise InvalidInput("A subject is one line.", {"subject": ["One line."]})


def enqueue(
    *,
    to_address: str,
    subject: str,
    text: str,
    html: str | None = None,
    category: str,
    user: Any = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue one email in the current transaction. An address that is disabled gets nothing:
    the row is written ``skipped`` (reason ``address-disabled``), so the delivery log says why.
    """
    mail = Mail(to_address, subject, text, category, html, user, dict(headers or {}))
    mail.check()
    message = OutboxMessage(**_row(mail, utcnow(), _disabled([mail])))
    db.session.add(message)
    db.session.flush()
    return message


def enqueue_many(mails: Sequence[Mail]) -> list[int]:
    """Queue many emails in the current transaction (a batch of a newsletter), as
    :func:`enqueue` would each, in one read of the addresses' states and one ``INSERT``;
    returns the new rows' ids in the order of ``mails``."""
    for mail in mails:
        mail.check()
    if not mails:
        return []
    now, disabled = utcnow(), _disabled(mails)
    rows = [_row(mail, now, disabled) for mail in mails]
    return batch_sql.insert_outbox_rows(rows, now)  # one statement of constant text


def _disabled(mails: Sequence[Mail]) -> set[str]:
    """Which of the mails' addresses (normalised) are disabled: one query for them all."""
    return set(
        db.session.scalars(
            select(MailAddress.address).where(
                batch_sql.among(
                    MailAddress.address, sorted({normalise_address(m.to_address) for m in mails})
                ),
                MailAddress.state == "disabled",
            )
        )
    )


def _row(mail: Mail, now: datetime, disabled: set[str]) -> dict[str, Any]:
    """The outbox row of ``mail``: queued, or skipped when its address is ``disabled``."""
    skipped = normalise_address(mail.to_address) in disabled
    return {
        "to_address": mail.to_address.strip(),
        "user_id": getattr(mail.user, "id", None),
        "category": mail.category,
        "subject": mail.subject,
        "text_body": mail.text,
        "html_body": mail.html,
        "headers": dict(mail.headers),
        "state": "skipped" if skipped else "queued",
        "reason": "address-disabled" if skipped else None,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def message_id(outbox_id: int) -> str:
    """The message's ``Message-ID``, the same at every attempt: made from its row id, signed so
    that it cannot be guessed for another row, at the domain of ``TALK_MAIL_FROM``."""
    return Composer.of_site().message_id(outbox_id)


@lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    """The HMAC keyed with the site's secret, copied for each message (keying it is most of
    the work of signing a short text)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


@lru_cache(maxsize=16)
def _bare_address(raw: str) -> str:
    """The address in a setting such as ``Talk <talk@example.org>`` (parsed once, not at every
    message)."""
    return parseaddr(raw)[1]


def mail_domain() -> str:
    return _bare_address(current_app.config["TALK_MAIL_FROM"]).rpartition("@")[2]


def sender_address() -> str:
    """The envelope sender (``MAIL FROM``): the bare address of ``TALK_MAIL_FROM``."""
    return _bare_address(current_app.config["TALK_MAIL_FROM"])


#: Headers holding addresses: only their display names are encoded (RFC 2047), never the
#: addresses themselves.
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to"})


@lru_cache(maxsize=256)
def _address_header(value: str) -> str:
    """An address header's value with its display names encoded (the project's ``From`` is the
    same in every message of a newsletter: parsed once)."""
    return ", ".join(formataddr(pair, charset="utf-8") for pair in getaddresses([value]))


def _header(name: str, value: str) -> str:
    """A header's value as written: ASCII as it is (a long unsubscribe URL stays on its line);
    other text as RFC 2047 encoded words, folded; in an address header the names only. Line
    breaks in a value cannot start a header of their own."""
    if name.lower() in ADDRESS_HEADERS:
        return value if PLAIN_ADDRESS.fullmatch(value) else _address_header(value)
    if value.isascii():
        return " ".join(value.splitlines())
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


@lru_cache(maxsize=64)
def _date(created_at: datetime) -> str:
    """The ``Date`` header: the time the row was written (a newsletter's batch shares one)."""
    return format_datetime(created_at)


def _part(subtype: str, content: str) -> tuple[str, str]:
    """A text part's headers and body: UTF-8 in base64 (7-bit clean for any server)."""
    encoded = base64.encodebytes(content.encode("utf-8")).decode("ascii")
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
    return head, encoded.replace("\n", "\r\n")


class Composable(Protocol):
    """What :func:`compose` reads of an outbox row (the row, or those columns of it)."""

    @property
    def id(self) -> int: ...
    @property
    def to_address(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text_body(self) -> str: ...
    @property
    def html_body(self) -> str | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def created_at(self) -> datetime: ...


def compose(message: Composable) -> bytes:
    """The message for a row as it goes on the wire (:meth:`Composer.compose`)."""
    return Composer.of_site().compose(message)


@dataclass(frozen=True)
class Composer:
    """Writes messages for the site's settings, read once (a drain makes one for its batch:
    the settings were read through Flask's proxies three times a message)."""

    mail_from: str
    domain: str
    keyed: hmac.HMAC
    #: "=_" occurs in no base64 text, so one boundary serves every message.
    boundary: str = field(default_factory=lambda: f"=_talk_{secrets.token_hex(12)}")

    @staticmethod
    def of_site() -> Composer:
        config = current_app.config
        return Composer(
            mail_from=config["TALK_MAIL_FROM"],
            domain=mail_domain(),
            keyed=_keyed(str(config["SECRET_KEY"])),
        )

    def message_id(self, outbox_id: int) -> str:
        signature = self.keyed.copy()
        signature.update(f"outbox-{outbox_id}".encode())
        return f"<outbox-{outbox_id}.{signature.hexdigest()[:16]}@{self.domain}>"

    def compose(self, message: Composable) -> bytes:
        """The message for a row as it goes on the wire (CRLF line ends): a text part, and an
        HTML alternative when there is one. Written out directly rather than through the
        ``email`` package's generator, which folded every header again and took most of the
        worker's time per message (``bench/newsletters.py``); what it writes is plain MIME,
        read back by the tests with the ``email`` package."""
        headers = {
            "From": self.mail_from,
            "To": message.to_address,
            "Subject": message.subject,
            "Date": _date(message.created_at),
            "Message-ID": self.message_id(message.id),
        }
        # A row's own headers come last; its From (a project's sender name) replaces the site's.
        headers.update(message.headers or {})
        head = "".join(f"{name}: {_header(name, value)}\r\n" for name, value in headers.items())
        head += "MIME-Version: 1.0\r\n"
        text_head, text = _part("plain", message.text_body)
        if not message.html_body:
            return f"{head}{text_head}\r\n{text}".encode("ascii")
        html_head, html = _part("html", message.html_body)
        boundary = self.boundary
        return (
            f'{head}Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\n{text_head}\r\n{text}"
            f"--{boundary}\r\n{html_head}\r\n{html}"
            f"--{boundary}--\r\n"
        ).encode("ascii")


# --- recipient addresses --------------------------------------------------------------------


def address_status(address: str) -> MailAddress | None:
    """What Talk knows of an address (None: nothing went wrong with it)."""
    return db.session.get(MailAddress, normalise_address(address))


def _address(address: str) -> MailAddress:
    row = address_status(address)
    if row is None:
        row = MailAddress(address=normalise_address(address), state="ok", bounces=0)
        db.session.add(row)
    return row


def disable_address(address: str, reason: str) -> MailAddress:
    """Stop mailing an address (a permanent failure): its owner sees ``reason``."""
    row = _address(address)
    row.state, row.reason, row.changed_at = "disabled", reason, utcnow()
    db.session.flush()
    return row


def record_bounce(address: str, reason: str) -> MailAddress:
    """A bounce reported for an address: ``bouncing``, then disabled at the
    :data:`BOUNCES_TO_DISABLE`-th."""
    row = _address(address)
    row.bounces = (row.bounces or 0) + 1
    row.state = "disabled" if row.bounces >= BOUNCES_TO_DISABLE else "bouncing"
    row.reason, row.changed_at = reason, utcnow()
    db.session.flush()
    return row


def enable_address(address: str) -> None:
    """Mail an address again (its owner fixed or confirmed it)."""
    row = address_status(address)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def disabled_addresses() -> list[MailAddress]:
    return list(
        db.session.scalars(
            select(MailAddress)
            .where(MailAddress.state != "ok")
            .order_by(MailAddress.changed_at.desc())
        )
    )
