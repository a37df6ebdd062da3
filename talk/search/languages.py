"""The text-search language of a project: ``project.settings["search_language"]``.

It names a PostgreSQL text search configuration (``english`` by default; ``simple`` for a
project in a language without a stemmer, or with several languages). On PostgreSQL the name is
checked against ``pg_ts_config`` (migration ``0003_search`` made an accent-folding copy,
``talk_<name>``, of each built-in configuration). SQLite accepts the same built-in names, so a
project moves between engines unchanged; there ``english`` means the porter stemmer and every
other language is matched word for word (no stemming). Both engines fold diacritics: ``eglise``
finds ``Église`` and ``Église`` finds ``eglise`` — volunteers transcribing old registers rarely
type accents the way the clerk wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from talk.errors import InvalidInput
from talk.extensions import db

DEFAULT_LANGUAGE = "english"
SETTING = "search_language"

#: PostgreSQL's built-in configurations (``SELECT cfgname FROM pg_ts_config``, PostgreSQL 15).
BUILT_IN = frozenset(
    {
        "arabic",
        "armenian",
        "basque",
        "catalan",
        "danish",
        "dutch",
        "english",
        "finnish",
        "french",
        "german",
        "greek",
        "hindi",
        "hungarian",
        "indonesian",
        "irish",
        "italian",
        "lithuanian",
        "nepali",
        "norwegian",
        "portuguese",
        "romanian",
        "russian",
        "serbian",
        "simple",
        "spanish",
        "swedish",
        "tamil",
        "turkish",
        "yiddish",
    }
)


def project_language(settings: Mapping[str, Any] | None) -> str:
    """The language a project's settings name (the default when they name none)."""
    value = (settings or {}).get(SETTING)
    return value if isinstance(value, str) and value else DEFAULT_LANGUAGE


def available_languages() -> list[str]:
    """The names ``search_language`` may take on the database in use."""
    if db.session.get_bind().dialect.name != "postgresql":
        return sorted(BUILT_IN)
    names = db.session.scalars(
        text(
            "SELECT substr(cfgname, 6) FROM pg_ts_config "
            "WHERE cfgname LIKE 'talk!_%' ESCAPE '!' AND pg_ts_config_is_visible(oid) "
            "ORDER BY 1"
        )
    )
    return list(names)


def _known(name: str) -> bool:
    if db.session.get_bind().dialect.name != "postgresql":
        return name in BUILT_IN
    return bool(
        db.session.scalar(
            text(
                "SELECT count(*) FROM pg_ts_config "
                "WHERE cfgname = 'talk_' || :name AND pg_ts_config_is_visible(oid)"
            ),
            {"name": name},
        )
    )


def check_settings(settings: Mapping[str, Any] | None) -> None:
    """Refuse project settings whose ``search_language`` the database cannot search in."""
    if not settings or SETTING not in settings:
        return
    value = settings[SETTING]
    if not isinstance(value, str) or len(value) > 60 or "\x00" in value or not _known(value):
        field = f"settings.{SETTING}"
        raise InvalidInput(
            f"{value!r} is not a search language this database knows.",
            {field: ["Use a text search configuration such as 'english', 'french' or 'simple'."]},
        )
