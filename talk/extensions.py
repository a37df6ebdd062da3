"""Extensions created unbound and bound to the app in :func:`talk.create_app`; the rate limiter
is made per app (:func:`init_limiter`)."""

from typing import TYPE_CHECKING, Any, ClassVar

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.errors import ConfigurationError
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from talk.config import ConfigError

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model maps one Table (SQLAlchemy types it as any FromClause).
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def init_limiter(app: Flask) -> Limiter:
    """Give ``app`` a Flask-Limiter of its own, counting in ``TALK_RATE_LIMIT_STORAGE_URL``
    (unset: this process's memory) with a moving window.

    One per app rather than one module-level object: Flask-Limiter keeps its storage on the
    object, and ``init_app`` replaces it, so a shared object would count every app's requests
    in the storage of whichever app was made last (a second app in the same process, a test's
    app with Redis). Login throttling (:mod:`talk.web.throttle`) reads it with
    :func:`limiter`."""
    url = app.config.get("TALK_RATE_LIMIT_STORAGE_URL") or "memory://"
    limiter = Limiter(get_remote_address, storage_uri=url, strategy="moving-window")
    # Talk counts through the limiter's storage itself (``limiter().limiter.hit``) and decorates
    # no view, so Flask-Limiter's per-request hooks only looked for limits that are never there
    # (about a fifth of a bare request's time, on every request). Its ``init_app`` adds them
    # only for a limiter not yet listed in ``app.extensions["limiter"]``: list it first.
    app.extensions.setdefault("limiter", set()).add(limiter)
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        raise ConfigError(f"TALK_RATE_LIMIT_STORAGE_URL={url!r} is not usable: {exc}") from exc
    app.extensions["talk_limiter"] = limiter
    return limiter


def limiter() -> Limiter:
    """The current app's rate limiter."""
    found: Limiter = current_app.extensions["talk_limiter"]
    return found


def upsert(table: Table | type[Base]) -> Any:
    """``INSERT`` into a table (or a model's) that can say ``ON CONFLICT``
    (``on_conflict_do_nothing``/``_do_update``) for the engine in use: PostgreSQL and SQLite
    speak the same clause, each through its own dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


if TYPE_CHECKING:
    # Flask-SQLAlchemy builds ``db.Model`` at run time from :class:`Base`; type checkers see the
    # declarative base it stands for.
    Model = Base
else:
    Model = db.Model
