"""Follows, notifications, email, digests and newsletters (filled by later issues).

A package of the site (:data:`talk.config.PACKAGES`): it subscribes to the core's signals in
:mod:`talk.signals`, and the core never imports it. ``docs/packages.md`` shows how its parts
plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from talk.config import Setting

#: This package's ``TALK_*`` settings (none yet); ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = ()


def init_app(app: Flask) -> None:
    """Add notifications to ``app``: models now; pages, API, commands and receivers to come."""
    from notifications import models  # noqa: F401 (the tables in db.metadata, for Alembic)
