"""The application factory."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from talk import config as talk_config
from talk import page_cache, rate_limits, security, sqlite_writes
from talk.extensions import csrf, db, init_limiter, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"

#: How many times a request's transaction runs at most when the database aborts it as a
#: deadlock victim or for a serialization failure (a bounded retry; see :class:`Talk`).
TRANSACTION_ATTEMPTS = 3
#: PostgreSQL's SQLSTATEs for "run the transaction again": deadlock_detected and
#: serialization_failure. SQLite's "database is locked" is not one: it means a writer waited
#: out ``busy_timeout``, and running again would wait as long again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

log = logging.getLogger(__name__)


#: The answer when SQLite's write lock could not be had within ``busy_timeout``: more writers
#: at once than one SQLite file serves (docs/decisions.md, "Storage and concurrency").
BUSY = (
    "The site is busy with other changes and could not save yours: nothing was changed. "
    "Try again in a moment."
)


def is_sqlite_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's "database is locked": a writer waited out busy_timeout."""
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def _raise_if_busy(error: BaseException) -> None:
    """SQLite's write lock stayed taken: roll back and answer 503 with :data:`BUSY`."""
    if is_sqlite_busy(error):
        db.session.rollback()
        raise ServiceUnavailable(BUSY, retry_after=1) from error


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is the database aborting the transaction so it can be run again."""
    return isinstance(error, DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


class Talk(Flask):
    """Flask, with each request's view run again (at most :data:`TRANSACTION_ATTEMPTS` times in
    all) when PostgreSQL picks its transaction as a deadlock victim or cannot serialise it.

    The writers take their locks in one global order (docs/decisions.md, "One lock order"), so
    this is the safety net, not the mechanism. It is safe because a request is one
    transaction: the failed attempt is rolled back whole before the view runs again — the rows
    it wrote and those its signals' receivers wrote in it (receivers write only in the
    request's transaction; :mod:`talk.signals`) — so every effect is committed once. Receivers
    are called again on the new attempt: one that acted outside the transaction would act
    twice, which that rule forbids. Form, JSON and file data are read once and kept.
    """

    def preprocess_request(self) -> Any:
        """The before-request hooks read (the API's token, the session's user) and so, in a
        writing request on SQLite, wait for the write lock first: busy there is a 503 too."""
        try:
            return super().preprocess_request()
        except OperationalError as error:
            _raise_if_busy(error)
            raise

    def dispatch_request(self) -> Any:
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                return super().dispatch_request()
            except DBAPIError as error:
                _raise_if_busy(error)
                if attempt == TRANSACTION_ATTEMPTS or not is_retryable(error):
                    raise
                db.session.rollback()
                for upload in request.files.values():
                    upload.stream.seek(0)
                log.warning(
                    "%s %s: transaction aborted (%s), attempt %d of %d",
                    request.method,
                    request.path,
                    getattr(error.orig, "sqlstate", "?"),
                    attempt,
                    TRANSACTION_ATTEMPTS,
                )
        raise AssertionError("unreachable")  # pragma: no cover


def _template_folder() -> Path:
    """Templates ship inside the wheel as ``talk/templates``; a source checkout keeps them at the
    top level (``templates/``)."""
    bundled = PACKAGE_DIR / "templates"
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates"


def database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance_path: Path) -> str:
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from ``TALK_*`` environment variables, overridden by ``config``.

    The site is the packages named by ``config["TALK_PACKAGES"]`` (default
    :data:`talk.config.PACKAGES`): their settings are read with the core's, then each package's
    ``init_app(app)`` runs, in order.
    """
    packages = talk_config.load_packages((config or {}).get("TALK_PACKAGES", talk_config.PACKAGES))
    settings = talk_config.from_environment(settings=talk_config.declared_settings(packages))
    instance_path = (config or {}).get("INSTANCE_PATH") or settings.pop("INSTANCE_PATH")
    settings.pop("INSTANCE_PATH", None)
    app = Talk(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(_template_folder()),
        static_folder="static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(settings)
    app.config.update(config or {})
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["TALK_REMEMBER_DAYS"])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'talk.sqlite'}"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    # A server's connection can drop while it waits in the pool: test it when it is taken. A
    # SQLite file cannot, so there the test was one more statement on every request.
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {"pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")},
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    # Inside the host check and ProxyFix, so a cached page is keyed on the host it names.
    page_cache.init_app(app)
    # The host check sits inside ProxyFix, so behind trusted proxies it reads X-Forwarded-Host.
    app.wsgi_app = security.host_guard(app.wsgi_app, app.config)  # type: ignore[method-assign]
    if app.config["TALK_TRUSTED_PROXIES"]:
        hops = app.config["TALK_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_limiter(app)
    rate_limits.init_app(app)

    @app.after_request
    def commit_at_request_boundary(response: Response) -> Response:
        """One commit per request; anything refused or failed rolls back whole. Registered
        before the packages' hooks, so it runs after them (Flask runs them last first)."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    app.config["TALK_PACKAGES"] = tuple(package.__name__ for package in packages)
    for package in packages:
        package.init_app(app)
    # Outermost, so every answer carries them, whichever layer gave it.
    app.wsgi_app = security.with_security_headers(app.wsgi_app, app.config)  # type: ignore[method-assign]
    return app


#: Page cache of each SQLite connection, in KiB (a negative ``cache_size``): grown as used.
SQLITE_CACHE_KIB = 16 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for concurrent readers (synced at checkpoints, not at each commit: docs/decisions.md
    "Storage and concurrency"), foreign keys enforced, and a wait instead of 'locked'.

    pysqlite also stops managing transactions itself (it would only BEGIN at the first
    INSERT/UPDATE, so a SAVEPOINT issued first would commit on release); ``_sqlite_begin`` emits
    BEGIN instead, so every request or command is one transaction on SQLite as on PostgreSQL.

    Each connection keeps up to ``SQLITE_CACHE_KIB`` of pages (SQLite's default: 2 MiB): a
    search reads the rows of its 2,000 newest matches, and the newest rows are every search's,
    so with the default each read them again from the OS (~2–3 ms of system CPU a search at
    1M comments; docs/search.md, "Fifth round").
    """
    if _is_sqlite_dbapi(dbapi_connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={sqlite_writes.BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()


_writing: ContextVar[bool] = ContextVar("talk_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Declare that work outside a request (a command, a worker's job) writes to the database.

    On SQLite its transactions then begin with ``BEGIN IMMEDIATE``, as a writing request's do:
    it queues for the write lock up front instead of reading first and then failing with
    "database is locked" when a web writer committed in between. Enter it before the session's
    transaction begins (e.g. decorate the command: ``@writing()``). The flag lives in a context
    variable, so it covers this thread (or task) only and outlives app contexts pushed inside.
    """
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """Writers take SQLite's write lock up front: writing requests (any method but GET, HEAD,
    OPTIONS) and work declared with :func:`writing`. Concurrent writers then queue for up to
    ``busy_timeout`` instead of failing with 'database is locked' when a read-then-write
    transaction finds its snapshot stale. Reads, and undeclared work outside a request, begin
    deferred, so a context left open never blocks the writers."""
    if connection.dialect.name == "sqlite":
        writes = _writing.get() or (
            has_request_context() and request.method not in {"GET", "HEAD", "OPTIONS"}
        )
        if writes:
            sqlite_writes.begin_immediate(connection)  # queued in this process first
        else:
            connection.exec_driver_sql("BEGIN")


def _is_sqlite_dbapi(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


__all__ = ["Talk", "create_app", "database_url", "is_retryable", "is_sqlite", "writing"]
