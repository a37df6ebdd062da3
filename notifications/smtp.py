"""Where the worker hands messages over: an SMTP server (``TALK_SMTP_URL``) or, without one,
the local mailbox (a table the site admins read at ``/admin/mailbox``; the demo uses it).

Each transport sends one message in steps, so that the worker can record the moment after
which the message may have been delivered (:class:`Handover`): an answer before it is a clean
failure to retry or give up, an interruption after it leaves the message ``uncertain``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import Executable, insert

from talk.clock import utcnow

Kind = Literal["sent", "temporary", "permanent", "rejected-recipient", "uncertain"]


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: ``kind`` and the server's reply (or the error) as text."""

    kind: Kind
    reply: str


@dataclass(frozen=True)
class SmtpConfig:
    """``TALK_SMTP_URL`` parsed: ``smtp://[user:password@]host[:port][?starttls=1]`` (plain or
    STARTTLS, port 25 by default) or ``smtps://…`` (TLS from the start, port 465)."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(raw: str) -> SmtpConfig:
    """Check and parse ``TALK_SMTP_URL``; a ``ValueError`` names what is wrong (start-up stops)."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("expected smtp://host[:port] or smtps://host[:port]")
    if not parts.hostname:
        raise ValueError("no host name")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("the port is not a number from 1 to 65535") from exc
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r} (only ?starttls=1)")
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes", "on")
    if parts.scheme == "smtps" and starttls:
        raise ValueError("smtps:// is TLS already; ?starttls=1 is for smtp://")
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 25),
        implicit_tls=parts.scheme == "smtps",
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def smtp_url(raw: str) -> str:
    """The setting's parser: checks the URL at start-up, keeps the text."""
    parse_smtp_url(raw)
    return raw.strip()


def mail_from(raw: str) -> str:
    """``TALK_MAIL_FROM``: an address, optionally with a name (``Talk <talk@example.org>``)."""
    _, address = parseaddr(raw)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError("expected an email address, e.g. Talk <talk@example.org>")
    return raw.strip()


@dataclass(frozen=True)
class Envelope:
    """One message to send: the outbox row's id, ``MAIL FROM``, ``RCPT TO`` and the message."""

    outbox_id: int
    sender: str
    recipient: str
    subject: str
    message: bytes  # as it goes on the wire: CRLF line ends


class Handover(Protocol):
    """Sends one message; calls ``handing_over()`` just before the step after which the
    message may have been delivered, and reports the :class:`Outcome`. ``doubt``: whether a
    message can be delivered without its outcome being recorded (the worker then marks each
    message handed over before it goes)."""

    doubt: bool

    def send(self, envelope: Envelope, handing_over: Callable[[], None]) -> Outcome: ...


def _reply(code: int, text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {decoded}".strip()


def _failure(code: int, text: bytes | str) -> Outcome:
    return Outcome("permanent" if code >= 500 else "temporary", _reply(code, text))


#: A bare ASCII address (dot-atoms): written as it is in a header and in ``MAIL FROM`` /
#: ``RCPT TO``, nothing to quote.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+=-]+(?:\.[A-Za-z0-9_+=-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


class SmtpConnection:
    """One open SMTP session; messages go through it one after the other."""

    doubt = True

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        # RFC 2920: a server that offers PIPELINING (Postfix, Exim, the big relays do) takes
        # MAIL FROM, RCPT TO and DATA in one write: one system call and one wait, not three.
        self.pipelining = smtp.has_extn("pipelining")

    def _command(self, verb: str, address: str) -> tuple[int, bytes]:
        """``MAIL FROM`` or ``RCPT TO``: a plain address as it is (smtplib parses every address
        again with the ``email`` package, most of its work a message); any other through
        smtplib's own quoting."""
        if PLAIN_ADDRESS.fullmatch(address):
            keyword = "FROM" if verb == "mail" else "TO"
            return self.smtp.docmd(verb, f"{keyword}:<{address}>")
        if verb == "mail":
            return self.smtp.mail(address)
        return self.smtp.rcpt(address)

    def send(self, envelope: Envelope, handing_over: Callable[[], None]) -> Outcome:
        plain = PLAIN_ADDRESS.fullmatch(envelope.sender) and PLAIN_ADDRESS.fullmatch(
            envelope.recipient
        )
        if self.pipelining and plain:
            return self._send_pipelined(envelope, handing_over)
        smtp = self.smtp
        mail = self._command("mail", envelope.sender)
        rcpt = self._command("rcpt", envelope.recipient) if mail[0] == 250 else (250, b"")
        refused = _refused(mail, rcpt)
        if refused is not None:
            smtp.rset()
            return refused
        handing_over()
        try:
            # CRLF line ends (SMTP's); smtplib fixes them only in a str, not in bytes.
            code, text = smtp.data(envelope.message)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: no byte of it was sent
            smtp.rset()
            return _failure(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            return _no_answer(exc)
        return _answered(code, text)

    def _send_pipelined(self, envelope: Envelope, handing_over: Callable[[], None]) -> Outcome:
        """``MAIL FROM``, ``RCPT TO`` and ``DATA`` in one write, their replies read in order
        and each checked as when they go one by one; the message itself only after ``DATA``'s
        354 and ``handing_over()``, so the moment of doubt starts where it always did."""
        smtp = self.smtp
        smtp.send(f"MAIL FROM:<{envelope.sender}>\r\nRCPT TO:<{envelope.recipient}>\r\nDATA\r\n")
        mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
        refused = _refused(mail, rcpt)
        if refused is not None or data[0] != 354:
            if data[0] == 354:  # DATA taken without a sender or a recipient: an empty end
                smtp.send(b".\r\n")
                smtp.getreply()
            smtp.rset()
            return refused or _failure(*data)
        try:
            handing_over()
        except BaseException:
            # The server waits for the message: a QUIT now would be read as its text and
            # answered only at the timeout. Nothing was handed over: drop the connection.
            smtp.close()
            raise
        message = DOT_AT_LINE_START.sub(b"..", envelope.message)  # as smtplib's data() does
        if not message.endswith(b"\r\n"):
            message += b"\r\n"
        try:
            smtp.send(message + b".\r\n")
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            return _no_answer(exc)
        return _answered(code, text)


def _answered(code: int, text: bytes) -> Outcome:
    """The server's answer to a message handed over: sent (250), or why not."""
    if code != 250:
        return _failure(code, text)
    return Outcome("sent", _reply(code, text))


def _no_answer(error: BaseException) -> Outcome:
    """The message may be with the server: only its answer is missing."""
    return Outcome("uncertain", f"no answer after the message was handed over: {error}")


#: A line of the message starting with a dot: doubled, or the server would read it as the end.
DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _refused(mail: tuple[int, bytes], rcpt: tuple[int, bytes]) -> Outcome | None:
    """What the replies to ``MAIL FROM`` and ``RCPT TO`` make of a message (None: go on): a
    5xx to the recipient refuses the address (``rejected-recipient``), not only the message."""
    if mail[0] != 250:
        return _failure(*mail)
    if rcpt[0] not in (250, 251):
        outcome = _failure(*rcpt)
        if outcome.kind == "permanent":
            return Outcome("rejected-recipient", outcome.reply)
        return outcome
    return None


@contextmanager
def smtp_connection(config: SmtpConfig, timeout: float) -> Iterator[SmtpConnection]:
    """Connect, greet, secure and log in; ``OSError``/``SMTPException`` when that fails. The
    TLS context (reading the system's certificates: ~20 ms) is made only for a secured server."""
    smtp: smtplib.SMTP
    if config.implicit_tls:
        context = ssl.create_default_context()
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
    try:
        smtp.ehlo()
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        yield SmtpConnection(smtp)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class MailboxConnection:
    """Delivers into the ``mailbox_messages`` table, in the transaction that records the
    outcome (``write`` runs a statement in it): nothing can be lost or doubled between the
    two."""

    doubt = False

    def __init__(self, write: Callable[[Executable], None]) -> None:
        self.write = write

    def send(self, envelope: Envelope, handing_over: Callable[[], None]) -> Outcome:
        from notifications.models import MailboxMessage

        del handing_over  # one transaction: there is no moment of doubt
        self.write(
            insert(MailboxMessage).values(
                outbox_id=envelope.outbox_id,
                to_address=envelope.recipient,
                subject=envelope.subject,
                raw=envelope.message.decode("ascii").replace("\r\n", "\n"),
                received_at=utcnow(),
            )
        )
        return Outcome("sent", "250 kept in the local mailbox")


@contextmanager
def open_transport(write: Callable[[Executable], None]) -> Iterator[Handover]:
    """The configured transport: SMTP when ``TALK_SMTP_URL`` is set, else the local mailbox
    (which delivers with ``write``, in the transaction of the outcome)."""
    url = current_app.config.get("TALK_SMTP_URL")
    if not url:
        yield MailboxConnection(write)
        return
    with smtp_connection(parse_smtp_url(url), current_app.config["TALK_SMTP_TIMEOUT"]) as conn:
        yield conn
