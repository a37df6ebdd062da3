"""Moderation: the audit log, sanctions and appeals, content warnings and workflow flags;
reports, cases, watched words and held posts to come.

A package of the site (:data:`talk.config.PACKAGES`): it reaches into the core only through
:mod:`talk.signals` and the vetoes and content checks of :mod:`talk.policy`, and the core never
imports it. ``docs/packages.md`` shows how its parts plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from talk import api
from talk.config import Setting

#: This package's ``TALK_*`` settings (none yet); ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = ()

#: Where ``talk demo`` finds what packages add to its data (``talk.demo.DEMO_DATA``; not
#: imported, to keep the demo out of the package).
DEMO_DATA = "talk_demo_data"


def init_app(app: Flask) -> None:
    """Add moderation to ``app``: its models; the sanction rules and veto; content warnings
    and workflow flags (rules, receivers, pages, slots); the API, commands and its part of the
    demo."""
    # models: the tables in db.metadata, for Alembic; *rules and workflow: rules and receivers.
    from moderation import (  # noqa: F401
        cli,
        demo,
        heritage_api,
        heritage_models,
        models,
        rules,
        sanction_api,
        sanction_models,
        sanction_rules,
        sanction_views,
        warning_views,
        workflow,
        workflow_views,
    )

    app.extensions["moderation"] = {}
    sanction_views.init_app(app)
    warning_views.init_app(app)
    workflow_views.init_app(app)
    api.register_blueprint(app, sanction_api.blp)
    api.register_blueprint(app, heritage_api.blp)
    app.cli.add_command(cli.group)
    app.extensions.setdefault(DEMO_DATA, []).append(demo.add_demo_data)
