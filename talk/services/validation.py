"""Small checks shared by several services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from talk.errors import Conflict, InvalidInput
from talk.extensions import db
from talk.limits import MAX_PROJECT_SLUG

SLUG_RE = re.compile(rf"^[a-z0-9](?:[a-z0-9-]{{0,{MAX_PROJECT_SLUG - 2}}}[a-z0-9])?$")


def clean_text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    """Strip ``value`` and check it is present (when required), short enough, and NUL-free."""
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL byte.", {field: ["Contains a NUL byte."]})
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field} is required.", {field: ["Must not be blank."]})
    if len(value) > max_length:
        message = f"Longer than {max_length} characters."
        raise InvalidInput(f"{field} is too long.", {field: [message]})
    return value


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable link (http(s) URL or site-relative path), or None."""
    if not value:
        return None
    if "\x00" in value or any(ch.isspace() for ch in value):
        return "Must not contain spaces or control characters."
    if "\\" in value:  # browsers read it as '/': "/\\evil.example/x" is another site
        return "Must not contain a backslash; write '/' in paths."
    if value.startswith("/") and not value.startswith("//"):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed "[" in the host
        return "Must be an http(s) URL or a path starting with '/'."
    if parts.scheme and parts.scheme not in {"http", "https"}:
        shown = parts.scheme[:20] + ("…" if len(parts.scheme) > 20 else "")
        return f"Takes only http(s) URLs or paths starting with '/', not a {shown}: URL."
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "Must be an http(s) URL or a path starting with '/'."
    return None


def slug_problem(slug: str) -> str | None:
    if not SLUG_RE.match(slug):
        return (
            f"Use 1–{MAX_PROJECT_SLUG} lower-case letters, digits and hyphens, "
            "not starting or ending with '-'."
        )
    return None


@contextmanager
def conflict_on_duplicate(message: str, fields: dict[str, list[str]]) -> Iterator[None]:
    """Flush the inserts made inside the block in a savepoint; a unique-constraint violation
    (another app server won a race past our pre-check) becomes a 409 instead of a 500, and the
    rest of the transaction stays usable."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(message, fields) from exc
