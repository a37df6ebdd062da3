"""Shared fixtures: one migrated database and one app per test session (per xdist worker), and
every test inside a transaction that is rolled back when it ends.

Isolation model (``docs/testing.md`` has the details and the measured figures):

* The session migrates a fresh database once: a SQLite file in the worker's temporary folder, or
  PostgreSQL when ``TALK_TEST_DATABASE_URL`` is set (under xdist each worker gets its own database,
  ``<name>_<worker>``, created on the server when missing; its ``public`` schema is recreated).
  A plain ``pytest`` runs on ``talk_workers`` (pyproject) xdist workers; see
  :func:`pytest_cmdline_main`.
* One app is made per session. The ``app`` fixture hands it to each test with the session's
  configuration put back (whatever a test changed is restored afterwards) and the test's
  ``clock`` installed as ``TALK_CLOCK``.
* Before each test the fixture begins a transaction on one connection held for the whole
  session, and binds every ``db.session`` (every app context: requests, the Factory, CLI
  commands) to that connection with ``join_transaction_mode="create_savepoint"``: a session's
  commit releases its own savepoint and its rollback (a refused request) rolls back to it, so a
  refused request still changes nothing. The test's transaction is rolled back at the end.
  On SQLite the app's ``begin`` listener emits the outer ``BEGIN`` that savepoints need.
* Tests that need real commits — other connections must see the data: threads (concurrency,
  the browser's live server), migrations, commands run against ``TALK_DATABASE_URL`` by a
  second app — are marked ``@pytest.mark.commits``: their sessions use the engine as in
  production, and every table is emptied after them.
* Data that a module's tests only read, and that is costly to build (the demo), is built once per
  module with :func:`module_data`, in a transaction of its own that each test's transaction nests
  in (a savepoint) and that is rolled back when the module's last user is done. Tests that use it
  run first in their module; tests in the module that do not use it get the empty database.

Tests never keep an app context pushed while they use the HTTP client (Flask would share it with
the request); data is made through :class:`Factory`, which calls the real services.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

from talk import create_app
from talk.app import database_url
from talk.extensions import db
from talk.search import schema as search_schema

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


# --- xdist: two workers by default -------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "talk_workers",
        "pytest-xdist workers when -n is not given (0: run in this process)",
        default="2",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """A plain ``pytest`` (the whole suite, from ``testpaths``) runs on ``talk_workers`` xdist
    workers (pyproject). Not an ``-n`` in ``addopts``: ``pytest -p no:xdist`` would then fail to
    parse it. Given paths (one file, one test) run in this process, where starting workers would
    cost more than it saves; ``-n N`` on the command line wins either way; ``--pdb`` and
    ``--collect-only`` stay in one process."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return  # no xdist, or this is a worker (xdist calls this hook there too)
    if config.option.numprocesses is not None or config.option.tx or config.option.dist != "no":
        return
    if config.getoption("usepdb") or config.getoption("collectonly"):
        return
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    workers = int(config.getini("talk_workers"))
    if workers > 0:
        config.option.numprocesses = workers


# --- the database: one per session (per xdist worker) ------------------------------------------


def _worker_database(url: str) -> str:
    """Under xdist, ``<database>_<worker>`` on the same server (created when missing), so workers
    never share tables; without xdist, the database named by ``url``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(database_url(url))
    name = f"{parsed.database}_{worker}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


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
        url = _worker_database(url)
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
            # The search index's tables are outside db.metadata, and TRUNCATE fires none of
            # the row triggers that keep them (on SQLite each DELETE below does).
            tables += [t.name for t in search_schema.metadata.sorted_tables]
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


# --- one app per session, one rolled-back transaction per test ---------------------------------


class _TestSession(db.session.session_factory.class_):  # type: ignore[name-defined,misc]
    """Flask-SQLAlchemy 3.1's ``Session.get_bind`` picks the current app's engine and ignores a
    ``bind`` given to the session. This one uses that bind (the test's connection) in the test
    app's contexts; any other app (one a CLI command makes from ``TALK_DATABASE_URL``) keeps its
    own engine, as in production."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        if (
            bind is None
            and self.bind is not None
            and current_app._get_current_object() is self.info.get("talk_test_app")
        ):
            if threading.get_ident() != self.info["talk_test_thread"]:
                raise RuntimeError(
                    "a thread other than the test's used the database inside the test's "
                    "transaction; mark the test @pytest.mark.commits (see tests/conftest.py)"
                )
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


@dataclass
class _ModuleData:
    module: str
    name: str
    value: Any
    transaction: Any


class TestDatabase:
    """The session's connection and the binding of every ``db.session`` to it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            self.engine: Engine = db.engine
        self.config = dict(app.config)  # as made; put back around every test
        self.connection: Connection = self.engine.connect()
        self.dialect = self.connection.dialect.name
        self.factory = db.session.session_factory
        self.original_class = self.factory.class_
        self.factory.class_ = _TestSession
        self.module_data: _ModuleData | None = None
        # Names of the savepoints that stand for a session's transaction (see QueryCounter).
        self.session_savepoints: set[str] = set()
        event.listen(_TestSession, "after_begin", self._on_session_begin)

    def _on_session_begin(
        self, session: Session, transaction: SessionTransaction, connection: Connection
    ) -> None:
        if connection is self.connection and not transaction.nested:
            # create_savepoint has just begun the session's savepoint: the innermost one.
            savepoint = connection.get_nested_transaction()
            assert savepoint is not None, "a session began the test's connection's transaction"
            self.session_savepoints.add(savepoint._savepoint)

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Sessions made inside join the connection's transaction through a savepoint."""
        self.factory.kw.update(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            info={"talk_test_app": self.app, "talk_test_thread": threading.get_ident()},
        )
        try:
            yield
        finally:
            for key in ("bind", "join_transaction_mode", "info"):
                self.factory.kw.pop(key)

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        """A transaction (nested in the module's data, if any) rolled back at the end."""
        assert not self.factory.kw.get("bind"), "a test transaction is already open"
        if self.module_data is None:
            transaction = self.connection.begin()
        else:
            transaction = self.connection.begin_nested()
        try:
            with self.bound():
                yield
        finally:
            self.session_savepoints.clear()
            if transaction.is_active:
                transaction.rollback()

    def use_module_data(self, module: str, name: str | None, build: Callable[[], Any]) -> None:
        """Keep (or build) module ``module``'s data ``name``; drop any other."""
        current = self.module_data
        if current is not None and (current.module, current.name) == (module, name):
            return
        self.drop_module_data()
        if name is None:
            return
        transaction = self.connection.begin()
        try:
            with self.bound():
                value = build()
        except BaseException:
            transaction.rollback()
            raise
        self.module_data = _ModuleData(module, name, value, transaction)

    def drop_module_data(self) -> None:
        if self.module_data is not None:
            self.module_data.transaction.rollback()
            self.module_data = None

    def close(self) -> None:
        self.drop_module_data()
        event.remove(_TestSession, "after_begin", self._on_session_begin)
        self.factory.class_ = self.original_class
        self.connection.close()
        self.engine.dispose()


TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "TALK_PASSWORD_METHOD": "pbkdf2:sha256:1000",
    "SERVER_NAME": "talk.test",
    # The test client's host, and the browser tests' live server on 127.0.0.1.
    "TALK_ALLOWED_HOSTS": "talk.test,localhost,127.0.0.1,[::1]",
    # Off, so that tests posting quickly (or the same text twice) are not refused; the tests of
    # these limits turn them on (tests/talk/api/test_rate_limits_api.py and others beside it).
    "TALK_RATE_LIMITS": False,
    "TALK_DUPLICATE_COMMENT_MINUTES": 0,
}

# A test module's ``{fixture name: builder}``, filled by :func:`module_data`. (Kept in the test
# module: this file is imported twice, as pytest's ``conftest`` and as ``tests.conftest``.)
_BUILDERS = "_talk_module_data"


def module_data(build: Callable[[Flask], Any]) -> Any:
    """Decorates ``build(app)`` in a test module into a fixture of the same name whose data is
    built once for the module's tests that use it (see the module docstring), for data the tests
    read. A test may still write: its transaction is a savepoint in the data's, rolled back at its
    end, so the next test sees the data as built."""
    builders = vars(sys.modules[build.__module__]).setdefault(_BUILDERS, {})
    builders[build.__name__] = build

    @pytest.fixture(name=build.__name__)
    def fixture(app: Flask, _database: TestDatabase) -> Any:
        assert _database.module_data is not None
        assert _database.module_data.name == build.__name__
        return _database.module_data.value

    fixture.__doc__ = build.__doc__
    return fixture


def _module_builders(item: pytest.Item) -> dict[str, Callable[[Flask], Any]]:
    return getattr(getattr(item, "module", None), _BUILDERS, {})


def _module_data_name(item: pytest.Item) -> str | None:
    names = [name for name in _module_builders(item) if name in getattr(item, "fixturenames", ())]
    assert len(names) <= 1, f"{item.nodeid} uses more than one module_data fixture: {names}"
    return names[0] if names else None


def _module_name(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    return module.__name__ if module is not None else ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In each module, tests using its :func:`module_data` run first, so it is built once."""
    order: dict[str, int] = {}
    for item in items:
        order.setdefault(_module_name(item), len(order))
    items.sort(key=lambda item: (order[_module_name(item)], _module_data_name(item) is None))


@pytest.fixture(scope="session")
def _session_app(database_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        }
    )


_ACTIVE: list[TestDatabase] = []  # the session's TestDatabase, once made


@pytest.fixture(scope="session")
def _database(_session_app: Flask) -> Iterator[TestDatabase]:
    database = TestDatabase(_session_app)
    _ACTIVE.append(database)
    yield database
    _ACTIVE.remove(database)
    database.close()


@pytest.fixture(scope="module", autouse=True)
def _drop_module_data() -> Iterator[None]:
    """A module's data goes when the module is done (or earlier: see ``use_module_data``)."""
    yield
    for database in _ACTIVE:
        database.drop_module_data()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(
    _session_app: Flask, _database: TestDatabase, clock: Clock, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The session's app, its configuration as at the start of the session plus the test's clock;
    the test runs in a rolled-back transaction unless it is marked ``commits``."""
    app = _session_app
    commits = request.node.get_closest_marker("commits") is not None
    name = _module_data_name(request.node)
    assert not (commits and name), "a test that commits cannot use module data"

    def restore_config() -> None:
        app.config.clear()
        app.config.update(_database.config)

    def build() -> Any:
        assert name is not None
        restore_config()
        app.config["TALK_CLOCK"] = Clock()  # the data's own clock, at the same moment
        return _module_builders(request.node)[name](app)

    try:
        _database.use_module_data(_module_name(request.node), name, build)
        restore_config()
        app.config["TALK_CLOCK"] = clock
        app.extensions["talk_limiter"].reset()  # failed logins counted by earlier tests
        if commits:
            try:
                yield app
            finally:
                with app.app_context():
                    _empty_tables()
        else:
            with _database.rolled_back():
                yield app
    finally:
        restore_config()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


_SAVEPOINT = re.compile(r"^\s*(?:RELEASE |ROLLBACK TO )?SAVEPOINT (\w+)\s*$", re.IGNORECASE)


class QueryCounter:
    """The statements a block sends, as the app would send them outside the test transaction.

    Inside it each session's transaction is a savepoint (``SAVEPOINT``, then ``RELEASE`` or
    ``ROLLBACK TO``) on the test's connection; in production it is a transaction of its own,
    begun on SQLite by the app's ``BEGIN`` statement and on PostgreSQL implicitly by the driver,
    and ended by the driver's commit or rollback (never a statement). So a session's
    ``SAVEPOINT`` counts as that ``BEGIN`` on SQLite and as nothing on PostgreSQL, and its end
    counts as nothing; savepoints the app makes itself (``begin_nested``) count as they are."""

    def __init__(self, database: TestDatabase | None = None) -> None:
        self._database = database
        self._raw: list[str] = []

    @property
    def statements(self) -> list[str]:
        if self._database is None:
            return list(self._raw)
        sessions = self._database.session_savepoints
        result = []
        for statement in self._raw:
            match = _SAVEPOINT.match(statement)
            if match and match.group(1) in sessions:
                opens = statement.lstrip().upper().startswith("SAVEPOINT")
                if opens and self._database.dialect == "sqlite":
                    result.append("BEGIN")
                continue
            result.append(statement)
        return result

    @property
    def count(self) -> int:
        return len(self.statements)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._raw.append(statement)


@pytest.fixture
def count_queries() -> Any:
    """``with count_queries() as q: ...`` then ``q.count`` is the number of SQL statements."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        bound = [d for d in _ACTIVE if d.factory.kw.get("bind") is not None]
        counter = QueryCounter(bound[0] if bound else None)
        event.listen(Engine, "before_cursor_execute", counter._record)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", counter._record)

    return counting


def sqlite_plan(question: str, reason: str = "the plan asserted is SQLite's") -> str:
    """SQLite's plan for ``question`` (in an app context), its steps joined by " | "; skips the
    test on another engine, for ``reason``."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip(reason)
    plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {question}")).all()
    return " | ".join(row[-1] for row in plan)


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
        from talk.clock import utcnow
        from talk.models import User
        from talk.services import accounts

        with app.app_context():
            owner = db.session.get(User, user.id)
            raw = accounts.create_token(owner, "tests")
            # As if just used: a request in the next minute records no use, so the query-count
            # tests count the request alone (tests/talk/api/test_tokens.py tests the recording).
            owner.tokens[-1].last_used_at = utcnow()
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


def at_once(*writers: Callable[[], list[int]]) -> list[list[int]]:
    """Runs each writer (a function making requests, returning their statuses) in its own
    thread, all released together, and returns their statuses in the order given. For
    ``@pytest.mark.commits`` tests: each thread's requests use a connection of their own."""
    start = threading.Barrier(len(writers))

    def run(writer: Callable[[], list[int]]) -> list[int]:
        start.wait()
        return writer()

    with ThreadPoolExecutor(len(writers)) as pool:
        return list(pool.map(run, writers))


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the real form (with its CSRF token)."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"login": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the client's session, as ``path`` offers it: in
    ``<meta name="csrf-token">`` on a logged-in viewer's pages, and in each form. A visitor's
    page without a form carries none; then the login form's is taken (one token a session)."""
    for page in (path, "/login"):
        html = client.get(page).get_data(as_text=True)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html) or re.search(
            r'name="csrf_token"[^>]* value="([^"]+)"', html
        )
        if match:
            return match.group(1)
    raise AssertionError(f"no CSRF token on {path} nor on the login page")


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
