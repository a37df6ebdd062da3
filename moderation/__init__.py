"""Reports, moderation actions, watched words and audit (filled by later issues).

A package of the site (:data:`talk.config.PACKAGES`): it reaches into the core only through
:mod:`talk.signals` and the vetoes and content checks of :mod:`talk.policy`, and the core never
imports it. ``docs/packages.md`` shows how its parts plug in.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

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


def init_app(app: Flask) -> None:
    """Add moderation to ``app``: its tables, rules, pages and API."""
    from moderation import (  # noqa: F401
        api_cases,
        audit_views,
        case_models,
        case_receivers,
        case_rules,
        case_views,
        models,
    )

    app.extensions.setdefault(case_receivers.EXTENSION, {})
    case_views.init_app(app)
    audit_views.init_app(app)
    api_cases.init_app(app)
