"""What the moderation pages' staff forms share: run the change, then back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from talk.errors import NotAuthenticated, TalkError
from talk.extensions import db
from talk.web.common import ResponseLike

#: ``page(problems=..., status=...)``: the page again, showing why the change was refused.
PageWithProblems = Callable[..., tuple[str, int]]


def staff_change(
    operation: Callable[[], Any], done: str, back: str, page: PageWithProblems
) -> ResponseLike:
    """Run ``operation``; on success flash ``done`` and go to ``back``, on a refusal roll back
    and show ``page`` with the refusal (its status, its message and its field messages)."""
    try:
        operation()
    except NotAuthenticated:
        raise
    except TalkError as error:
        db.session.rollback()
        details = [m for messages in error.fields.values() for m in messages]
        return page(problems=[error.message, *details], status=error.status)
    flash(done, "success")
    return redirect(back)
