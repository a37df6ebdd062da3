"""Talk: per-item discussion for heritage crowdsourcing projects.

The core is the first of the site's packages (:data:`talk.config.PACKAGES`) and offers the same
two things as the others: ``SETTINGS`` (its ``TALK_*`` settings) and ``init_app(app)``.
"""

from flask import Flask

from talk import config, rate_limits
from talk.app import create_app, writing

#: The core's settings: the site's (:mod:`talk.config`), then the rate limits'.
SETTINGS = (*config.SETTINGS, *rate_limits.SETTINGS)


def init_app(app: Flask) -> None:
    """Add the core to ``app``: its models, pages and API, which the other packages build on.

    Its permission rules are registered when :mod:`talk.policy` is imported; it sends signals
    and receives none. Its commands are the ``talk`` group itself (:mod:`talk.cli`), so they work
    even when no app can be made (a bad setting, no database yet).
    """
    from talk import api, models, routing, web  # noqa: F401 (models: the tables in db.metadata)

    routing.install(app)  # before the routes: ``<int:...>`` is ASCII digits only
    web.init_app(app)
    api.init_app(app)


__all__ = ["SETTINGS", "create_app", "init_app", "writing"]
