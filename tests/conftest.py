"""Shared fixtures: a migrated database per session, emptied before every test.

The suite runs on SQLite by default and on PostgreSQL when ``TALK_TEST_DATABASE_URL`` is set.
Tests never keep an app context pushed while they use the HTTP client (Flask would share it with
the request); data is made through :class:`Factory`, which calls the real services.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from talk import create_app
from talk.app import database_url
from talk.extensions import db

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_PASSWORD = "correct horse battery"


@dataclass
class Clock:
    """An injected clock: tests move time with :meth:`advance`, never by sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 14, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def _reset_postgres(url: str) -> None:
    engine = create_engine(database_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TALK_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(database_uri: str, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "TALK_CLOCK": clock,
            "TALK_PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": "talk.test",
        }
    )
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)


@pytest.fixture
def count_queries() -> Any:
    """``with count_queries() as q: ...`` then ``q.count`` is the number of SQL statements."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        event.listen(Engine, "before_cursor_execute", counter._record)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", counter._record)

    return counting


def snapshot(obj: Any) -> SimpleNamespace:
    """The column values of an ORM object, usable after its session has gone."""
    return SimpleNamespace(**{c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs})


class Factory:
    """Builds test data through the real services, each call in its own committed context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    @contextmanager
    def context(self) -> Iterator[None]:
        with self.app.app_context():
            yield
            db.session.commit()

    def user(
        self,
        username: str | None = None,
        *,
        site_admin: bool = False,
        password: str = TEST_PASSWORD,
        display_name: str | None = None,
    ) -> SimpleNamespace:
        from talk import policy
        from talk.services import accounts

        username = username or f"user{self._next()}"
        with self.context():
            user = accounts.create_user(
                policy.OPERATOR,
                username,
                f"{username}@example.org",
                password,
                display_name=display_name,
                site_admin=site_admin,
            )
            return snapshot(user)

    def admin(self) -> SimpleNamespace:
        return self.user(f"siteadmin{self._next()}", site_admin=True)

    def project(
        self,
        slug: str | None = None,
        *,
        owner: SimpleNamespace | None = None,
        title: str = "Herbarium sheets",
    ) -> SimpleNamespace:
        from talk.models import User
        from talk.services import projects

        owner = owner or self.admin()
        slug = slug or f"project-{self._next()}"
        with self.context():
            project = projects.create_project(db.session.get(User, owner.id), slug, title)
            result = snapshot(project)
            result.boards = {b.title: snapshot(b) for b in project.boards}
            result.owner = owner
            return result

    def grant(
        self, project: SimpleNamespace, user: SimpleNamespace, role: str, label: str = ""
    ) -> None:
        from talk.models import Project, User
        from talk.policy import OPERATOR
        from talk.services import projects

        with self.context():
            projects.set_role(
                OPERATOR,
                db.session.get(Project, project.id),
                db.session.get(User, user.id),
                role,
                label,
            )

    def member(self, project: SimpleNamespace, role: str, **kwargs: Any) -> SimpleNamespace:
        user = self.user(**kwargs)
        self.grant(project, user, role)
        return user

    def items(
        self, project: SimpleNamespace, count: int = 1, *, prefix: str = "item"
    ) -> list[SimpleNamespace]:
        from talk.models import Project, User
        from talk.services import items

        with self.context():
            owner = db.session.get(User, project.owner.id)
            rows = [
                {
                    "external_id": f"{prefix}-{self._next()}",
                    "title": f"Sheet {i}",
                    "image_url": "https://images.example.org/sheet.jpg",
                    "metadata": {"collector": "A. Botanist"},
                }
                for i in range(count)
            ]
            created = items.register_items(owner, db.session.get(Project, project.id), rows)
            return [snapshot(i) for i in created]

    def item(self, project: SimpleNamespace, **kwargs: Any) -> SimpleNamespace:
        return self.items(project, 1, **kwargs)[0]

    def discussion(
        self,
        project: SimpleNamespace,
        author: SimpleNamespace,
        *,
        item: SimpleNamespace | None = None,
        board: str = "Chat",
        title: str = "A question",
        body: str = "What is this?",
    ) -> SimpleNamespace:
        from talk.models import Board, Item, User
        from talk.services import discussions

        with self.context():
            user = db.session.get(User, author.id)
            target_item = db.session.get(Item, item.id) if item else None
            target_board = db.session.get(Board, project.boards[board].id)
            discussion = discussions.start_discussion(
                user, target_board, title, body, item=target_item
            )
            result = snapshot(discussion)
            result.first_comment_id = discussion_first_comment_id(discussion.id)
            return result

    def comment(
        self,
        discussion: SimpleNamespace,
        author: SimpleNamespace,
        body: str = "A reply",
        reply_to: int | None = None,
    ) -> SimpleNamespace:
        from talk.models import Comment, User
        from talk.services import discussions

        with self.context():
            comment = discussions.post_comment(
                db.session.get(User, author.id),
                discussions.get_discussion(discussion.id),
                body,
                reply_to=db.session.get(Comment, reply_to) if reply_to else None,
            )
            return snapshot(comment)


def discussion_first_comment_id(discussion_id: int) -> int:
    from sqlalchemy import func, select

    from talk.models import Comment

    return db.session.scalar(
        select(func.min(Comment.id)).where(Comment.discussion_id == discussion_id)
    )


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


@pytest.fixture
def token(app: Flask) -> Any:
    """``token(user)``: request headers carrying a new API token for ``user``."""

    def make_token(user: SimpleNamespace) -> dict[str, str]:
        from talk.models import User
        from talk.services import accounts

        with app.app_context():
            raw = accounts.create_token(db.session.get(User, user.id), "tests")
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return make_token


def post_comments_at_once(
    app: Flask,
    url: str,
    writers: list[dict[str, str]],
    bodies: list[str],
    *,
    alongside: tuple[str, dict[str, Any], dict[str, str]] | None = None,
) -> tuple[list[int], int | None]:
    """Each writer (request headers) posts ``bodies`` to ``url`` in its own thread, all at once;
    ``alongside`` = (url, json, headers) is one more POST racing them (a merge, a rename).
    Returns the writers' statuses and that POST's status."""

    def post(target: str, payload: dict[str, Any], headers: dict[str, str]) -> int:
        return app.test_client().post(target, json=payload, headers=headers).status_code

    def write(headers: dict[str, str]) -> list[int]:
        return [post(url, {"body": body}, headers) for body in bodies]

    with ThreadPoolExecutor(len(writers) + 1) as pool:
        other = pool.submit(post, *alongside) if alongside else None
        statuses = [status for batch in pool.map(write, writers) for status in batch]
    return statuses, other.result() if other else None


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the real form (with its CSRF token)."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"login": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a page offers (every page carries it in ``<meta name="csrf-token">``)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)
