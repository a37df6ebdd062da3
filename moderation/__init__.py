"""Reports, moderation actions, watched words and audit (filled by later issues).

A package of the site (:data:`talk.config.PACKAGES`): it reaches into the core only through
:mod:`talk.signals` and the vetoes and content checks of :mod:`talk.policy`, and the core never
imports it. ``docs/packages.md`` shows how its parts plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from talk.config import Setting

#: This package's ``TALK_*`` settings (none yet); ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = ()


def init_app(app: Flask) -> None:
    """Add moderation to ``app``: models now; pages, API, commands, vetoes to come."""
    from moderation import models  # noqa: F401 (the tables in db.metadata, for Alembic)
