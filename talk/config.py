"""Every ``TALK_*`` setting, declared once with its default, type and meaning.

The README's configuration table is generated from :data:`SETTINGS` (``talk config-table``), so the
documentation cannot drift from the code. A malformed value stops start-up with a message naming
the variable, rather than surfacing later as a confusing failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A ``TALK_*`` environment variable holds a value that cannot be used."""


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected zero or a positive whole number")
    return value


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def type_name(self) -> str:
        names: dict[Callable[[str], Any], str] = {
            _bool: "bool",
            _positive_int: "int",
            _non_negative_int: "int",
        }
        return names.get(self.parse, "str")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TALK_DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        None,
        str,
        "SQLAlchemy URL of the database. Unset: SQLite file `talk.sqlite` in the instance folder. "
        "PostgreSQL: `postgresql://user@host:5432/dbname` (psycopg 3).",
    ),
    Setting(
        "TALK_SECRET_KEY",
        "SECRET_KEY",
        None,
        str,
        "Signs sessions and CSRF tokens. Required in production; unset, a random key is made and "
        "kept in the instance folder (`secret_key`).",
    ),
    Setting(
        "TALK_INSTANCE_PATH",
        "INSTANCE_PATH",
        None,
        str,
        "Folder for the SQLite database and the generated secret key. Unset: Flask's instance "
        "folder.",
    ),
    Setting(
        "TALK_SECURE_COOKIES",
        "SESSION_COOKIE_SECURE",
        False,
        _bool,
        "Mark session and remember-me cookies `Secure` (set when serving over HTTPS).",
    ),
    Setting(
        "TALK_TRUSTED_PROXIES",
        "TALK_TRUSTED_PROXIES",
        0,
        _non_negative_int,
        "How many reverse proxies (load balancers) sit in front of Talk; their `X-Forwarded-*` "
        "headers are trusted for client address, scheme and host. 0 trusts none.",
    ),
    Setting(
        "TALK_PAGE_SIZE",
        "TALK_PAGE_SIZE",
        25,
        _positive_int,
        "Rows per page in web lists and the default `limit` of API lists.",
    ),
    Setting(
        "TALK_MAX_COMMENT_LENGTH",
        "TALK_MAX_COMMENT_LENGTH",
        20_000,
        _positive_int,
        "Longest comment body accepted, in characters.",
    ),
    Setting(
        "TALK_MAX_REQUEST_BYTES",
        "MAX_CONTENT_LENGTH",
        8 * 1024 * 1024,
        _positive_int,
        "Largest request body accepted (a bulk import of 1,000 items fits easily); larger "
        "requests get 413.",
    ),
    Setting(
        "TALK_SERVE_WORKERS",
        "TALK_SERVE_WORKERS",
        2,
        _positive_int,
        "gunicorn worker processes started by `talk serve`.",
    ),
    Setting(
        "TALK_SQL_ECHO",
        "SQLALCHEMY_ECHO",
        False,
        _bool,
        "Log every SQL statement (debugging).",
    ),
)


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every declared setting; unset ones take their default."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            values[setting.key] = setting.default
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {exc}") from exc
    return values


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "—" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{s.env}` | {s.type_name} | {default} | {s.help} |")
    return "\n".join(rows)
