"""Fixtures of the notifications tests: a real SMTP server (aiosmtpd) that records what it
receives, and can be told to answer slowly, to refuse (4xx, 5xx) or to be down; and a project to
follow things in (a volunteer, a public thread about an item, and a team-only board with a
thread the volunteer may not read)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from talk.extensions import db
from tests.conftest import snapshot


@dataclass
class Recorder:
    """aiosmtpd handler: ``rcpt_replies``/``data_replies`` are answered first (one each per
    message), then ``250``; ``rcpt_delay``/``data_delay`` are seconds to wait before answering
    (a slow server). ``data_delay`` waits after the message is stored: it was received.
    ``refuse`` answers ``RCPT TO`` of these addresses; ``hang_up_at_mail`` closes the
    connection at that ``MAIL FROM`` (counted from 1) without answering; ``pipelining``
    offers PIPELINING (``pipelined`` notes, at each ``MAIL FROM``, whether ``DATA`` had
    arrived with it)."""

    messages: list[EmailMessage] = field(default_factory=list)
    rcpt_replies: list[str] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    rcpt_delay: float = 0
    data_delay: float = 0
    refuse: dict[str, str] = field(default_factory=dict)
    hang_up_at_mail: int = 0
    pipelining: bool = False
    pipelined: list[bool] = field(default_factory=list)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does without this hook
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        # What the client wrote after MAIL FROM and the server has not read yet.
        self.pipelined.append(b"DATA" in bytes(server._reader._buffer))
        if len(self.pipelined) == self.hang_up_at_mail:
            server.transport.close()
            return "421 4.3.2 Closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        # As a mail client reads it: SMTP's CRLF line ends are the transport's, not the text's.
        content = envelope.content.replace(b"\r\n", b"\n")
        message = message_from_bytes(content, policy=email_policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return f"250 2.0.0 Ok: queued as {len(self.messages)}"

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """The server on a fixed local port: ``stop()`` takes it down, ``start()`` brings it back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app: Any) -> Iterator[SmtpServer]:
    """A running SMTP server, and the app configured to send through it (1 s timeout)."""
    server = SmtpServer()
    server.start()
    app.config["TALK_SMTP_URL"] = server.url
    app.config["TALK_SMTP_TIMEOUT"] = 1
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(make: Any) -> SimpleNamespace:
    from talk.models import Project, User
    from talk.services import discussions, projects

    project = make.project("herbarium", title="Herbarium sheets")
    volunteer = make.user("vol", display_name="Val Volunteer")
    other = make.user("other", display_name="Otto Other")
    item = make.item(project)
    thread = make.discussion(
        project, other, item=item, board="Item discussions", title="Odd #fern", body="A #fern?"
    )
    with make.context():
        owner = db.session.get(User, project.owner.id)
        team_room = projects.create_board(
            owner,
            db.session.get(Project, project.id),
            "Team room",
            read_level="team",
            write_level="team",
        )
        secret = discussions.start_discussion(owner, team_room, "Secret", "Team only")
        team_room, secret = snapshot(team_room), snapshot(secret)
    return SimpleNamespace(
        project=project,
        volunteer=volunteer,
        other=other,
        item=item,
        thread=thread,
        chat=project.boards["Chat"],
        team_room=team_room,
        secret=secret,
    )
