"""Vetoes the core asks for before it writes user content.

Moderation (watched words, suspensions, rate limits) registers a checker here instead of the core
importing it. A checker receives the author, the project and the text, and raises
:class:`talk.errors.TalkError` (usually ``PermissionDenied`` or ``InvalidInput``) to refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talk.models import Project, User

ContentCheck = Callable[["User", "Project", str], None]

_content_checks: list[ContentCheck] = []


def register_content_check(check: ContentCheck) -> ContentCheck:
    """Add a checker (usable as a decorator); checkers run in registration order."""
    _content_checks.append(check)
    return check


def check_content(author: User, project: Project, text: str) -> None:
    for check in _content_checks:
        check(author, project, text)
