"""Who is calling the API, and may this request go on to a view at all.

Two ways in:

- ``Authorization: Bearer <token>`` — the crowdsourcing platform and scripts. The token's user
  becomes the request's user (limited to its project when it has one:
  :func:`talk.policy.limit_to_project`); an unknown or expired token is a 401. No CSRF check (a
  browser never sends this header on its own, so a forged cross-site request cannot carry it)
  and no session: nothing touches ``flask.session``, so the response sets no cookie.
- the browser session (Flask-Login's cookie) — the pages' own JavaScript. A browser *does* send
  the cookie with forged cross-site requests, so every unsafe method must carry the page's CSRF
  token in ``X-CSRFToken``. The API blueprints are exempt from the global ``CSRFProtect``, which
  would look for a form field and answer with an HTML error; :func:`check_request` checks the
  header itself and answers in the API's error shape.

Anonymous callers may read what the policy lets everyone read; every write needs a user (401).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from talk import policy
from talk.api.errors import CsrfFailed, InvalidToken, UnsupportedMediaType
from talk.errors import InvalidInput, NotAuthenticated
from talk.models import User
from talk.services import tokens

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_TOKEN_LENGTH = 200


def _user_from_bearer(header: str) -> User:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(
            "Send 'Authorization: Bearer <token>' with a token made by 'talk create-token'."
        )
    try:
        api_token = tokens.authenticate_token(token)
    except tokens.TokenRefused as exc:
        raise InvalidToken(exc.message) from exc
    if api_token.project is not None:
        policy.limit_to_project(api_token.user, api_token.project)
    return api_token.user


def check_request() -> None:
    """``before_request`` of every API blueprint: authenticate, then refuse early what no view
    could accept (so a refused write never reaches a service).

    Order: bad token 401, NUL in a path parameter 422, anonymous write 401, session write
    without a valid CSRF token 400, write without a JSON body type 415.
    """
    header = request.headers.get("Authorization")
    if header is not None:
        # Flask-Login's current_user reads g._login_user and loads the user from the session
        # only when it is unset; setting it first makes the token's user the request's user and
        # keeps the session (and so the cookie) untouched.
        g._login_user = _user_from_bearer(header)
        g.talk_api_auth = "token"
    else:
        g.talk_api_auth = "session" if current_user.is_authenticated else None

    # Path parameters are not schema-loaded; a NUL would reach PostgreSQL, which refuses it.
    nul_params = {
        name: ["Contains a NUL byte."]
        for name, value in (request.view_args or {}).items()
        if "\x00" in str(value)
    }
    if nul_params:
        raise InvalidInput("A path parameter contains a NUL byte.", nul_params)

    if request.method not in UNSAFE_METHODS:
        return
    if not current_user.is_authenticated:
        raise NotAuthenticated("Log in or send an API token to do this.")
    if g.talk_api_auth == "session" and current_app.config.get("WTF_CSRF_ENABLED", True):
        headers = current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
        sent = next((request.headers[h] for h in headers if request.headers.get(h)), None)
        try:
            validate_csrf(sent)
        except ValidationError as exc:
            raise CsrfFailed(
                f"{exc.args[0]} Send the page's CSRF token in the X-CSRFToken header."
            ) from exc
    if request.method in BODY_METHODS and not request.is_json:
        raise UnsupportedMediaType(
            "Send the request body as JSON with 'Content-Type: application/json'."
        )


def actor() -> User:
    """The calling user as a real ``User`` (services attach it to rows; a proxy would not do)."""
    user: Any = current_user._get_current_object()
    return user


def viewer() -> Any:
    """The caller for read checks: a ``User`` or Flask-Login's anonymous user."""
    return current_user._get_current_object()
