"""Follows, notifications, email, digests and newsletters.

A package of the site (:data:`talk.config.PACKAGES`): it subscribes to the core's signals in
:mod:`talk.signals`, puts its buttons on the core's pages through :mod:`talk.web.slots`, and
the core never imports it. ``docs/packages.md`` shows how its parts plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from talk import api
from talk.config import Setting

#: This package's ``TALK_*`` settings (none yet); ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = ()


def init_app(app: Flask) -> None:
    """Add notifications to ``app``: its tables, follows (rules, receivers, pages, API)."""
    # models and follow_models: the tables in db.metadata, for Alembic; follows: its rules
    # and signal receivers.
    from notifications import follow_api, follow_models, follow_views, follows, models  # noqa: F401

    follow_views.init_app(app)
    api.register_blueprint(app, follow_api.blp)
