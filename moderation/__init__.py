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
    """Add moderation to ``app``: models (the tables in db.metadata, for Alembic), the
    prevention content check and receivers, the staff pages and the API."""
    from moderation import (  # noqa: F401
        checks,
        demo,
        models,
        prevention,
        prevention_api,
        prevention_models,
        prevention_views,
        receivers,
    )
    from talk import api
    from talk.demo import DEMO_BUILDERS

    app.extensions[checks.NAME] = True
    prevention_views.init_app(app)
    api.register_blueprint(app, prevention_api.blp)
    app.extensions.setdefault(DEMO_BUILDERS, []).append(demo.build)
