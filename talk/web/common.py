"""What every page view shares: the viewer, paging arguments, safe redirects and error pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

from blinker import NamedSignal
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from talk import policy
from talk.errors import InvalidInput, NotAuthenticated, NotFound, TalkError
from talk.extensions import db
from talk.forms import add_service_errors
from talk.limits import MAX_ID

ResponseLike = Response | str | tuple[str, int]
T = TypeVar("T")
F = TypeVar("F", bound=FlaskForm)


def viewer() -> Any:
    """The real user object (or the anonymous user): services store it on rows, so it must not
    be Flask-Login's proxy."""
    return current_user._get_current_object()


def page_form(form_class: type[F], shown: bool, **kwargs: Any) -> F:
    """``form_class(**kwargs)`` for a page, without a CSRF token when the page will not show
    it (``shown``: the check the template makes). Making a token stores it in the session, so a
    visitor's page that shows no form wrote and sent a session cookie."""
    if not shown:
        kwargs["meta"] = {**kwargs.get("meta", {}), "csrf": False}
    return form_class(**kwargs)


def announce_view(signal: NamedSignal, target: Any) -> None:
    """Send a ``*_viewed`` signal for ``target`` when a person (not the operator) is logged in:
    packages mark what they told them about it as read."""
    user = viewer()
    if policy.is_logged_in(user) and not policy.is_operator(user):
        signal.send(target, actor=user)


def page_size() -> int:
    return int(current_app.config["TALK_PAGE_SIZE"])


def cursor_arg() -> str | None:
    """The ``?cursor=`` of a paged list (validated by the listing that decodes it)."""
    return request.args.get("cursor") or None


def int_arg(name: str) -> int | None:
    """An optional whole-number query argument; anything else is a clear 422."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise InvalidInput(f"{name} must be a number.", {name: ["Must be a number."]})
    return int(raw)


@dataclass
class Outcome(Generic[T]):
    """What a form's operation came to: its result, or the status and problems to show."""

    result: T | None = None
    status: int = 200
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.status >= 400

    @property
    def value(self) -> T:
        """The operation's result, for an outcome that is not :attr:`refused` (test that)."""
        if self.refused:
            raise ValueError("A refused operation has no result.")
        return cast(T, self.result)


def submit_form(form: FlaskForm, operation: Callable[[], T]) -> Outcome[T]:
    """Run a page's operation with a submitted form's values, the way every form page does.

    A refusal rolls the transaction back (so the page shows what is stored, not the refused
    change), places the refusal's field messages next to the form's fields, and gives the
    message and what fits no field to show above the form, with the refusal's status. A refusal
    for want of a login is raised on, so the visitor is sent to log in."""
    try:
        return Outcome(operation())
    except NotAuthenticated:
        raise
    except TalkError as error:
        db.session.rollback()
        return Outcome(None, error.status, [error.message, *add_service_errors(form, error)])


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no open redirects after login."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def login_redirect() -> Response:
    """Send an anonymous visitor to log in, coming back here (or, after a POST, to the page
    the form was on) afterwards."""
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        back = back if same_site else ""
    flash("Please log in to do that.", "info")
    return redirect(url_for("auth.login", next=safe_next(back)))


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Already exists",
    422: "Please check your request",
}


def handle_talk_error(error: TalkError) -> ResponseLike:
    """A service refused: log in first, or an error page with the refusal's status."""
    if isinstance(error, NotAuthenticated):
        return login_redirect()
    title = TITLES.get(error.status, "Something is not right")
    details = [m for messages in error.fields.values() for m in messages]
    message = error.message + (f" {' '.join(details)}" if details else "")
    return error_page(error.status, title, message)


def handle_http_error(error: HTTPException) -> Any:
    """Framework errors (CSRF, unknown URL, wrong method, too large) as the site's error page;
    the JSON API answers its own errors."""
    if request.path.startswith("/api/"):
        return error
    body, status = error_page(error.code or 500, error.name, error.description or "")
    retry_after = dict(error.get_headers()).get("Retry-After")  # 503 busy: when to try again
    return body, status, ({"Retry-After": retry_after} if retry_after else {})


def _names_something(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id too large for its column, or a name with a NUL byte, names nothing: 404, before the
    database sees it (PostgreSQL would refuse it as invalid)."""
    for name, value in (values or {}).items():
        if (isinstance(value, int) and value > MAX_ID) or (
            isinstance(value, str) and "\x00" in value
        ):
            raise NotFound(f"No such {name.removesuffix('_id')}.")


def add_error_handlers(blueprint: Blueprint) -> None:
    """The site's error pages for the blueprint's views, and 404 for names that cannot exist."""
    blueprint.register_error_handler(TalkError, handle_talk_error)
    blueprint.register_error_handler(HTTPException, handle_http_error)
    blueprint.url_value_preprocessor(_names_something)
