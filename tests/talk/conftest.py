"""Fixtures shared by the page and API tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import snapshot


@pytest.fixture
def make_board(make: Any) -> Any:
    """``make_board(project, title, read_level=..., write_level=...)`` through the service."""

    def board(project: SimpleNamespace, title: str, **levels: str) -> SimpleNamespace:
        from talk.extensions import db
        from talk.models import Project, User
        from talk.services import projects

        with make.context():
            created = projects.create_board(
                db.session.get(User, project.owner.id),
                db.session.get(Project, project.id),
                title,
                **levels,
            )
            result = snapshot(created)
        project.boards[title] = result
        return result

    return board


class Mailbox:
    """What the core asked to mail through ``talk.signals.account_mail`` (a real receiver on the
    real signal; the notifications package's receiver renders and queues the same calls)."""

    def __init__(self) -> None:
        self.sent: list[SimpleNamespace] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        # The username, read now: the User is detached once the request that sent it ends.
        username = sender.username if sender is not None else None
        self.sent.append(SimpleNamespace(user=sender, username=username, **kwargs))

    def kinds(self) -> list[tuple[str, str]]:
        return [(mail.kind, mail.to_address) for mail in self.sent]

    def last(self, kind: str) -> SimpleNamespace:
        found = [mail for mail in self.sent if mail.kind == kind]
        assert found, f"no {kind} mail in {self.kinds()}"
        return found[-1]

    def link(self, kind: str) -> str:
        """The last ``kind`` mail's link, as a path for the test client."""
        parts = urlsplit(self.last(kind).url)
        assert parts.scheme in ("http", "https") and parts.netloc, parts
        return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def mailbox() -> Any:
    from talk import signals

    box = Mailbox()
    signals.account_mail.connect(box)
    yield box
    signals.account_mail.disconnect(box)


def register(client: Any, mailbox: Mailbox, page: str = "/register", **data: str) -> Any:
    """Sign up through the real forms and confirm through the emailed link; the last answer."""
    from tests.conftest import TEST_PASSWORD, csrf_token

    fields = {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
        **data,
    }
    fields["csrf_token"] = csrf_token(client, page)
    answer = client.post(page, data=fields)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    link = mailbox.link("verify_email")
    return client.post(link, data={"csrf_token": csrf_token(client, link)})
