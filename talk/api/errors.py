"""One error shape for everything under ``/api/``: ``{"error": {"code", "message", "fields"}}``.

Errors reach the API three ways, and all three end in :func:`error_response`:

- a :class:`talk.errors.TalkError` from a service, or from the API's own request checks (bad token,
  missing CSRF token, wrong content type) — caught by handlers registered on each API blueprint;
- a werkzeug ``HTTPException``: webargs' 422 (schema validation) and 400 (malformed JSON or
  invalid UTF-8), 413 (body over ``MAX_CONTENT_LENGTH``), and the routing errors 404/405 for URLs
  no blueprint matched. Flask looks up *code-specific* handlers before class-wide ones, even across
  blueprints, so a handler the HTML pages register for 404 would otherwise answer ``/api/`` URLs
  with HTML. :func:`install` therefore wraps ``app.handle_http_exception`` — the one entry point
  every HTTP error passes before any handler is looked up — and branches on the request path:
  ``/api/…`` gets JSON, everything else goes on to the pages' own handlers unchanged;
- an unexpected exception — a JSON 500 on API blueprints (never for bad input: that is a bug).

A request target too long to read is refused before any of this, by :func:`uri_length_guard`
around the app, with the same shape (414 ``uri_too_long``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wsgi import get_path_info

from talk.errors import NotAuthenticated, TalkError

API_PREFIX = "/api"

#: The longest request target (path and query string) the API reads; longer ones answer 414 in
#: the API's shape (:func:`uri_length_guard`). Below the server's own limit, which would answer
#: in its own words (``tests/talk/test_serve.py`` checks ``talk serve`` lets the API answer).
MAX_URI_BYTES = 8000

#: The ``code`` of an error answered with an HTTP status (TalkErrors carry their own).
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "busy",
}

MESSAGES: dict[int, str] = {
    404: "No such API endpoint.",
    405: "This endpoint does not accept that method.",
    413: "The request body is larger than the server accepts.",
    414: f"The URL is longer than the server accepts ({MAX_URI_BYTES:,} bytes).",
    422: "Some fields are not valid.",
    500: "Something went wrong on the server; nothing was changed.",
}

# Response headers of a werkzeug error worth keeping in the JSON answer.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class InvalidToken(NotAuthenticated):
    """An ``Authorization`` header that is not ``Bearer <a token we issued>``."""

    code = "invalid_token"


class CsrfFailed(TalkError):
    """A browser-session write without a valid ``X-CSRFToken`` header."""

    status = 400
    code = "csrf"


class UnsupportedMediaType(TalkError):
    status = 415
    code = "unsupported_media_type"


def is_api_request() -> bool:
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"items.3.external_id": ["..."]}``.

    ``_schema`` (an error about a whole object) names the object itself; at the top level it
    stays ``_schema``.
    """
    flat: dict[str, list[str]] = {}

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(inner, path if key == "_schema" else [*path, str(key)])
        elif isinstance(value, list | tuple) and not all(isinstance(v, str) for v in value):
            for inner in value:
                walk(inner, path)
        else:
            key = ".".join(path) or "_schema"
            values = value if isinstance(value, list | tuple) else [value]
            flat.setdefault(key, []).extend(str(v) for v in values)

    walk(messages, [prefix] if prefix else [])
    return flat


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": dict(fields or {})}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def talk_error_response(error: TalkError) -> Response:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if isinstance(error, InvalidToken) else "Bearer"
        )
    return error_response(error.status, error.code, error.message, error.fields, headers)


def http_error_response(error: HTTPException) -> Response:
    """JSON for a werkzeug HTTP error, including webargs' (which carry ``data``)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    cause = getattr(error, "exc", None)
    fields: dict[str, list[str]] = {}
    code = CODES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")
    message = data.get("message") or MESSAGES.get(status) or error.description or str(error)
    if status == 400 and isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
        code = "malformed_json"
        message = (
            "The request body is not valid JSON (UTF-8; numbers finite: no NaN, Infinity, 1e400)."
        )
        fields = {"_body": [str(cause)]}
    elif "errors" in data or "messages" in data:
        messages = data.get("errors", data.get("messages"))
        # webargs nests messages under the location ("json", "query", "path"): drop it.
        if isinstance(messages, Mapping) and set(messages) <= {"json", "query", "path"}:
            messages = {k: v for location in messages.values() for k, v in _items(location)}
        fields = flatten_messages(messages)
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    return error_response(status, code, message, fields, headers)


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, Mapping) else [("_schema", value)]


def internal_error_response(error: InternalServerError) -> Response:
    return error_response(500, CODES[500], MESSAGES[500])


def _target_length(environ: dict[str, Any]) -> int:
    """How long the request target was as sent (the server's raw URI when it gives one)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return len(raw)
    query = environ.get("QUERY_STRING", "")
    return len(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) + (
        len(query) + 1 if query else 0
    )


def uri_length_guard(wsgi_app: Any, *, limit: int = MAX_URI_BYTES) -> Any:
    """``wsgi_app`` answering a request target over ``limit`` bytes under ``/api/`` with the API's
    414 — before Flask routes or parses anything. Servers answer 414 themselves past their own
    limit, as an HTML page; this one is lower, so an API client gets JSON instead. The pages
    are left to the server (an HTML answer is what a browser shows anyway)."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        path = get_path_info(environ)
        api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        if api and _target_length(environ) > limit:
            body = json.dumps(
                {"error": {"code": CODES[414], "message": MESSAGES[414], "fields": {}}}
            ).encode()
            start_response(
                "414 Request-URI Too Large",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return wsgi_app(environ, start_response)

    return guarded


def install(app: Flask) -> None:
    """Route every HTTP error under ``/api/`` to :func:`http_error_response` (see module doc)."""
    pages_handler: Callable[[HTTPException], Any] = app.handle_http_exception

    def handle_http_exception(error: HTTPException) -> Any:
        if error.code is None or error.code < 400 or not is_api_request():
            return pages_handler(error)  # redirects, and every error of the HTML pages
        return http_error_response(error)

    app.handle_http_exception = handle_http_exception  # type: ignore[method-assign,assignment]
    app.wsgi_app = uri_length_guard(app.wsgi_app)  # type: ignore[method-assign]


def register_blueprint_handlers(blueprint: Any) -> None:
    """Errors raised inside API views: domain errors and crashes, as JSON."""
    blueprint.register_error_handler(TalkError, talk_error_response)
    blueprint.register_error_handler(InternalServerError, internal_error_response)
