"""Moderation: reports and cases, the audit log, sanctions and appeals, content warnings and
workflow flags, watched words, held posts and new-volunteer limits.

A package of the site (:data:`talk.config.PACKAGES`): it reaches into the core only through
:mod:`talk.signals` and the vetoes and content checks of :mod:`talk.policy`, and the core never
imports it. ``docs/packages.md`` shows how its parts plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from talk import api
from talk.config import Setting, positive_int

#: This package's ``TALK_*`` settings; ``talk config-table`` lists them with the core's.
SETTINGS: Sequence[Setting] = (
    Setting(
        "TALK_MODERATION_PI_DUE_HOURS",
        "TALK_MODERATION_PI_DUE_HOURS",
        72,
        positive_int,
        "Hours within which a report of personal information about a living person should be "
        "dealt with (its due time in the moderation queue).",
    ),
)

#: Where ``talk demo`` finds what packages add to its data (``talk.demo.DEMO_DATA``; not
#: imported, to keep the demo out of the package).
DEMO_DATA = "talk_demo_data"


def init_app(app: Flask) -> None:
    """Add moderation to ``app``: its models; reports, cases and the audit pages; the sanction
    rules and veto; content warnings and workflow flags (rules, receivers, pages, slots); watched
    words, historical terms, held posts and new-volunteer limits (a content check); the
    API, commands and its part of the demo."""
    # models: the tables in db.metadata, for Alembic; *rules, *receivers and workflow: rules
    # and receivers, registered on import.
    from moderation import (  # noqa: F401
        api_cases,
        audience,
        audit_views,
        case_demo,
        case_models,
        case_receivers,
        case_rules,
        case_views,
        checks,
        cli,
        demo,
        heritage_api,
        heritage_models,
        models,
        prevention,
        prevention_api,
        prevention_demo,
        prevention_models,
        prevention_views,
        receivers,
        rules,
        sanction_api,
        sanction_models,
        sanction_rules,
        sanction_views,
        thread_receivers,
        warning_views,
        workflow,
        workflow_views,
    )

    app.extensions.setdefault(case_receivers.EXTENSION, {})
    app.extensions[checks.NAME] = True
    case_views.init_app(app)
    audit_views.init_app(app)
    api_cases.init_app(app)
    sanction_views.init_app(app)
    warning_views.init_app(app)
    workflow_views.init_app(app)
    prevention_views.init_app(app)
    api.register_blueprint(app, sanction_api.blp)
    api.register_blueprint(app, heritage_api.blp)
    api.register_blueprint(app, prevention_api.blp)
    app.cli.add_command(cli.group)
    demo_data = app.extensions.setdefault(DEMO_DATA, [])
    # prevention last: its limits would hold the others' demo posts
    demo_data += [demo.add_demo_data, case_demo.add_demo_reports, prevention_demo.build]
