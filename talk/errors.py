"""Domain errors raised by services; the web pages and the JSON API each translate them."""

from __future__ import annotations


class TalkError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with, ``code`` a stable key."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(TalkError):
    status = 422
    code = "invalid"


class NotFound(TalkError):
    status = 404
    code = "not_found"


class PermissionDenied(TalkError):
    status = 403
    code = "forbidden"


class NotAuthenticated(TalkError):
    status = 401
    code = "unauthenticated"


class Conflict(TalkError):
    status = 409
    code = "conflict"
