"""Every ``TALK_*`` setting, declared once with its default, type and meaning, and the declared
list of packages that make up a Talk site.

The core's settings are :data:`SETTINGS`; each package in :data:`PACKAGES` may declare its own as
a ``SETTINGS`` sequence on its module (``notifications.SETTINGS``), next to the code that reads
them. They are collected from the package modules before the environment is read, so every
setting is parsed and checked at start-up. The README's configuration table is generated from
all of them (``talk config-table``), so the documentation cannot drift from the code. A malformed
value stops start-up with a message naming the variable, rather than surfacing later as a
confusing failure.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from talk.security import parse_hosts

#: The packages of a Talk site, initialised in this order by ``create_app`` (each module's
#: ``init_app(app)``). Named, not imported: the core never imports the satellite packages.
#: ``create_app({"TALK_PACKAGES": (...)})`` replaces the list (tests add a package this way).
PACKAGES: tuple[str, ...] = ("talk", "notifications", "moderation")
CORE = "talk"


class ConfigError(ValueError):
    """A ``TALK_*`` environment variable holds a value that cannot be used, or the declared
    packages (``TALK_PACKAGES``) cannot be loaded."""


def boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected zero or a positive whole number")
    return value


def host_list(raw: str) -> str:
    """A comma-separated list of host names, checked and normalised (see ``talk.security``)."""
    return ",".join(parse_hosts(raw))


def redis_url(raw: str) -> str:
    """A Redis URL (``redis://``, ``rediss://`` or ``unix://``)."""
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return raw


#: The type shown in the README table for each parser; any other parser shows ``str``.
TYPE_NAMES: dict[Callable[[str], Any], str] = {
    boolean: "bool",
    positive_int: "int",
    non_negative_int: "int",
    int: "int",
}


@dataclass(frozen=True)
class Setting:
    """One environment variable: ``env`` is read, parsed with ``parse`` and stored in
    ``app.config[key]``; ``default`` (unparsed) applies when it is unset."""

    env: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    def __post_init__(self) -> None:
        if not self.env.startswith("TALK_") or not self.env.isupper():
            raise ValueError(f"setting {self.env!r}: names are upper case and start with TALK_")
        if not self.help.strip():
            raise ValueError(f"setting {self.env}: say what it means (help)")

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.parse, "str")


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
        boolean,
        "Mark session and remember-me cookies `Secure` (set when serving over HTTPS).",
    ),
    Setting(
        "TALK_ALLOWED_HOSTS",
        "TALK_ALLOWED_HOSTS",
        "localhost,127.0.0.1,[::1]",
        host_list,
        "Comma-separated host names this site answers for (`talk.example.org`; `.example.org` "
        "adds its subdomains; `*` any). A request naming another host in `Host` (or, behind "
        "`TALK_TRUSTED_PROXIES`, `X-Forwarded-Host`) gets 400, so absolute URLs in answers "
        "only ever name these. The default serves the demo and a local `talk serve`; set it in "
        "production.",
    ),
    Setting(
        "TALK_REMEMBER_DAYS",
        "TALK_REMEMBER_DAYS",
        30,
        positive_int,
        "Days a login with *Remember me* lasts on a device (the remember-me cookie's lifetime). "
        "Logging out ends the account's logins on every device.",
    ),
    Setting(
        "TALK_LOGIN_FAILURES_PER_ACCOUNT",
        "TALK_LOGIN_FAILURES_PER_ACCOUNT",
        10,
        positive_int,
        "Failed logins allowed for one username or email address in 15 minutes; further "
        "attempts (even with the right password) get 429 until the oldest failure is 15 minutes "
        "old.",
    ),
    Setting(
        "TALK_LOGIN_FAILURES_PER_CLIENT",
        "TALK_LOGIN_FAILURES_PER_CLIENT",
        30,
        positive_int,
        "Failed logins allowed from one client address (whatever the account) in 15 minutes; "
        "then 429 as above. Behind a proxy, set `TALK_TRUSTED_PROXIES` so this is the client's "
        "address, not the proxy's.",
    ),
    Setting(
        "TALK_EMAIL_LINK_HOURS",
        "TALK_EMAIL_LINK_HOURS",
        48,
        positive_int,
        "Hours an emailed link confirming an address (registration, a changed address) works.",
    ),
    Setting(
        "TALK_PASSWORD_RESET_MINUTES",
        "TALK_PASSWORD_RESET_MINUTES",
        60,
        positive_int,
        "Minutes an emailed password-reset link works (once: it dies when the password changes).",
    ),
    Setting(
        "TALK_RATE_LIMIT_STORAGE_URL",
        "TALK_RATE_LIMIT_STORAGE_URL",
        None,
        str,
        "Where failed logins and the rate limits (`TALK_RATE_LIMIT_*`) are counted "
        "(Flask-Limiter storage; the issue tracker calls it `TALK_RATELIMIT_STORAGE_URL`), e.g. "
        "`redis://127.0.0.1:6379`, which several servers then share. Unset: in each process's "
        "memory, so each `talk serve` worker counts on its own and the limits apply per worker.",
    ),
    Setting(
        "TALK_TRUSTED_PROXIES",
        "TALK_TRUSTED_PROXIES",
        0,
        non_negative_int,
        "How many reverse proxies (load balancers) sit in front of Talk; their `X-Forwarded-*` "
        "headers are trusted for client address, scheme and host. 0 trusts none.",
    ),
    Setting(
        "TALK_PAGE_SIZE",
        "TALK_PAGE_SIZE",
        25,
        positive_int,
        "Rows per page in web lists and the default `limit` of API lists.",
    ),
    Setting(
        "TALK_SEARCH_RANK_WINDOW",
        "TALK_SEARCH_RANK_WINDOW",
        2000,
        positive_int,
        "A search ranks only the newest this many matches (found newest first through the index, "
        "so a search costs the same however many documents match); results say when a search "
        "was narrowed this way. See docs/search.md.",
    ),
    Setting(
        "TALK_SEARCH_NEWEST_SPAN",
        "TALK_SEARCH_NEWEST_SPAN",
        None,
        non_negative_int,
        "A search first asks only the newest this many times (ranking window + 1) documents, "
        "and widens only when they hold too few matches: the same results, fewer rows read. "
        "0 asks every document at once. Unset: 32 on PostgreSQL, 0 on SQLite (FTS5 already "
        "walks its matches newest first). See docs/search.md.",
    ),
    Setting(
        "TALK_MAX_COMMENT_LENGTH",
        "TALK_MAX_COMMENT_LENGTH",
        20_000,
        positive_int,
        "Longest comment body accepted, in characters.",
    ),
    Setting(
        "TALK_MAX_REQUEST_BYTES",
        "MAX_CONTENT_LENGTH",
        8 * 1024 * 1024,
        positive_int,
        "Largest request body accepted (a bulk import of 1,000 items fits easily); larger "
        "requests get 413.",
    ),
    Setting(
        "TALK_SERVE_WORKERS",
        "TALK_SERVE_WORKERS",
        2,
        positive_int,
        "Worker processes started by `talk serve` (granian; see docs/deploy.md).",
    ),
    Setting(
        "TALK_SERVE_THREADS",
        "TALK_SERVE_THREADS",
        8,
        positive_int,
        "Threads per `talk serve` worker that run requests. A request gets one only once its "
        "headers have arrived, so slow clients do not hold them; keep it within the database "
        "pool (15 connections per worker).",
    ),
    Setting(
        "TALK_PAGE_CACHE",
        "TALK_PAGE_CACHE",
        True,
        boolean,
        "Keep whole pages shown to visitors who are not logged in and answer the same request "
        "from memory, until anything pages show changes (docs/page-cache.md). Off: every page is "
        "rendered.",
    ),
    Setting(
        "TALK_PAGE_CACHE_SECONDS",
        "TALK_PAGE_CACHE_SECONDS",
        30,
        positive_int,
        "Longest time a cached page is served (pages say how long ago things happened).",
    ),
    Setting(
        "TALK_PAGE_CACHE_BYTES",
        "TALK_PAGE_CACHE_BYTES",
        64 * 1024 * 1024,
        positive_int,
        "Memory each `talk serve` worker gives cached pages (least recently used go first); "
        "unused with `TALK_PAGE_CACHE_URL`.",
    ),
    Setting(
        "TALK_PAGE_CACHE_PERSONAL",
        "TALK_PAGE_CACHE_PERSONAL",
        True,
        boolean,
        "Also keep a logged-in person's notifications, moderation queue and thread pages, for "
        "requests with the very same login cookies, client address and browser, until anything "
        'at all is written to the database (docs/page-cache.md, "Logged-in pages"). Off: '
        "every logged-in page is rendered.",
    ),
    Setting(
        "TALK_PAGE_CACHE_PERSONAL_SECONDS",
        "TALK_PAGE_CACHE_PERSONAL_SECONDS",
        10,
        positive_int,
        "Longest time a logged-in page is served from the cache.",
    ),
    Setting(
        "TALK_PAGE_CACHE_PERSONAL_BYTES",
        "TALK_PAGE_CACHE_PERSONAL_BYTES",
        16 * 1024 * 1024,
        positive_int,
        "Memory each process gives logged-in pages, apart from visitors' pages (least recently "
        "used go first); kept in each process even with `TALK_PAGE_CACHE_URL`.",
    ),
    Setting(
        "TALK_PAGE_CACHE_URL",
        "TALK_PAGE_CACHE_URL",
        None,
        redis_url,
        "Redis holding the cached pages, e.g. `redis://127.0.0.1:6379/2`, shared by every "
        "server. Unset: each worker keeps its own, and the workers of one machine learn of "
        "changes through a file in the instance folder; with several machines and no Redis, "
        "set `TALK_PAGE_CACHE` off. Redis unreachable: pages are served uncached.",
    ),
    Setting(
        "TALK_SQL_ECHO",
        "SQLALCHEMY_ECHO",
        False,
        boolean,
        "Log every SQL statement (debugging).",
    ),
)


def load_packages(names: Sequence[str] = PACKAGES) -> tuple[ModuleType, ...]:
    """Import the declared packages by name; the core comes first, each has ``init_app``."""
    if isinstance(names, str) or not names or names[0] != CORE:
        raise ConfigError(f"TALK_PACKAGES={names!r}: list the package names, {CORE!r} first")
    if len(set(names)) != len(names):
        raise ConfigError(f"TALK_PACKAGES={names!r}: a package is listed twice")
    modules = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"TALK_PACKAGES: cannot import package {name!r}: {exc}") from exc
        if not callable(getattr(module, "init_app", None)):
            raise ConfigError(f"TALK_PACKAGES: package {name!r} has no init_app(app)")
        modules.append(module)
    return tuple(modules)


def declared_settings(packages: Sequence[ModuleType] | None = None) -> tuple[Setting, ...]:
    """Every setting the packages declare (their module's ``SETTINGS``), in package order.

    Two packages may not declare the same variable or fill the same config key.
    """
    packages = load_packages() if packages is None else packages
    settings: list[Setting] = []
    owner_of: dict[str, str] = {}
    for package in packages:
        for setting in getattr(package, "SETTINGS", ()):
            if not isinstance(setting, Setting):
                raise ConfigError(
                    f"package {package.__name__!r}: SETTINGS holds {setting!r}, not a Setting"
                )
            for name in {setting.env, setting.key}:
                if name in owner_of:
                    raise ConfigError(
                        f"{name} is declared twice (by {owner_of[name]!r} and {package.__name__!r})"
                    )
                owner_of[name] = package.__name__
            settings.append(setting)
    return tuple(settings)


def from_environment(
    environ: Mapping[str, str] | None = None, settings: Sequence[Setting] | None = None
) -> dict[str, Any]:
    """Read every declared setting (default: those of :data:`PACKAGES`); unset ones take their
    default."""
    environ = os.environ if environ is None else environ
    settings = declared_settings() if settings is None else settings
    values: dict[str, Any] = {}
    for setting in settings:
        raw = environ.get(setting.env)
        if raw is None:
            values[setting.key] = setting.default
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {exc}") from exc
    return values


def markdown_table(settings: Sequence[Setting] | None = None) -> str:
    """The README's configuration table: every declared setting (default: of :data:`PACKAGES`)."""
    settings = declared_settings() if settings is None else settings
    rows = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    for s in settings:
        default = "—" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{s.env}` | {s.type_name} | {default} | {s.help} |")
    return "\n".join(rows)
