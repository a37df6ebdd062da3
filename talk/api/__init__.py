"""The JSON API under ``/api/v1``: the contract the crowdsourcing platform codes against.

flask-smorest ties it together: the marshmallow schemas (:mod:`talk.api.schemas` and its
``*_schemas.py`` siblings, built on :mod:`talk.api.base_schemas`) validate requests, serialise
responses and make the OpenAPI 3 document (``GET /api/v1/openapi.json``).
Authentication and request checks live in :mod:`talk.api.auth`, the error shape in
:mod:`talk.api.errors`, the resources in one module each. Other packages add theirs with
:func:`register_blueprint`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint

from talk.api import (
    boards,
    curation,
    discussions,
    errors,
    items,
    members,
    projects,
    schemas,
    search,
    tag_groups,
    tags,
    threads,
    users,
)
from talk.api.base import ApiBlueprint
from talk.extensions import csrf

API_PREFIX = "/api/v1"
BLUEPRINTS = (
    projects.blp,
    boards.blp,
    items.blp,
    discussions.blp,
    threads.blp,
    members.blp,
    users.blp,
    tags.blp,
    curation.blp,
    tag_groups.blp,
    search.blp,
)

DESCRIPTION = """\
Talk's JSON API.

**Authentication.** Send `Authorization: Bearer <token>` (tokens are made on the user's profile
or with `talk token`). Browser pages may instead use their session cookie; then every POST, PUT,
PATCH and DELETE needs the page's CSRF token in the `X-CSRFToken` header. Without either, the API
answers what anyone may read; writes answer 401.

**Requests.** Bodies are JSON (`Content-Type: application/json`, UTF-8) no larger than
`TALK_MAX_REQUEST_BYTES`; text must not contain NUL characters, numbers must be finite, and
booleans are `true` or `false`. Ids and numbers in paths and query strings are digits 0–9.

**Lists** answer `{"data": [...], "next_cursor": "..." | null}`; pass `next_cursor` as `cursor`
for the next page. `limit` is 1–100 (default `TALK_PAGE_SIZE`).

**Errors** answer `{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}`.
Codes: `malformed_json`, `csrf`, `bad_request` (400); `unauthenticated`, `invalid_token` (401);
`forbidden` (403); `not_found` (404; also for what the caller may not read);
`method_not_allowed` (405); `conflict`, `duplicate_comment` (409: the same comment again within
`TALK_DUPLICATE_COMMENT_MINUTES`); `too_large` (413); `uri_too_long` (414, a URL over
8,000 bytes); `unsupported_media_type` (415);
`invalid` (422, with `fields` such as `items.3.external_id`); `rate_limited` (429, with a
`Retry-After` header in seconds: comments, new discussions, people mentioned, reports and
sign-ups are limited per account and per client address, `TALK_RATE_LIMIT_*`); `busy` (503,
with `Retry-After`: on SQLite, more writers at once than the database file serves; nothing was
changed).
"""


class TalkApi(Api):
    """flask-smorest's ``Api`` with Talk's error shape, for ``/api/`` only.

    The stock ``Api`` registers an app-wide ``HTTPException`` handler, which would turn the HTML
    pages' 404s into JSON; :func:`talk.api.errors.install` branches on the path instead.
    """

    ERROR_SCHEMA = schemas.ErrorSchema

    def _register_error_handlers(self) -> None:
        errors.install(self._app)

    def handle_http_exception(self, error: Any) -> Any:
        return errors.http_error_response(error)


def init_app(app: Flask) -> TalkApi:
    app.config.setdefault("API_TITLE", "Talk")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}, {"sessionCookie": []}, {}],
        },
    )
    api = TalkApi(app)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "An API token of a Talk user."},
    )
    api.spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME", "session"),
            "description": "The pages' login session; writes also need the X-CSRFToken header.",
        },
    )
    app.extensions["talk_api"] = api
    for blueprint in BLUEPRINTS:
        register_blueprint(app, blueprint)
    return api


def register_blueprint(app: Flask, blueprint: Blueprint) -> None:
    """Serve ``blueprint``'s resources under ``/api/v1``, in the one OpenAPI document.

    The way a package adds API resources (from its ``init_app``, after the core's). Make the
    blueprint with :func:`talk.api.base.api_blueprint`, which authenticates every request and
    answers errors in the API's shape.
    """
    api = app.extensions.get("talk_api")
    if api is None:
        raise RuntimeError("talk.api.init_app(app) has not run: list 'talk' first in the packages")
    if not isinstance(blueprint, ApiBlueprint):
        raise TypeError(f"{blueprint.name}: make API blueprints with talk.api.base.api_blueprint")
    csrf.exempt(blueprint)  # checked by talk.api.auth, in the API's error shape
    api.register_blueprint(blueprint, url_prefix=API_PREFIX)
