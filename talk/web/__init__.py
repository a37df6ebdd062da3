"""The HTML pages: thin views over :mod:`talk.services`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from talk import policy
from talk.extensions import login_manager
from talk.models import User
from talk.services import accounts, blocks
from talk.web import slots


def when(moment: datetime | None) -> str:
    """A readable UTC time, e.g. "14 Mar 2026, 12:00 UTC"."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def moment_html(moment: datetime | None) -> Markup:
    """``<time>`` for ``moment`` (nothing for None): the ``time`` of ``_macros.html``, written in
    Python because list pages show it on every row and a Jinja macro call cost ten times more."""
    if not moment:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(moment.isoformat(), when(moment))


def author_html(user: Any, labels: dict[int, str] | None = None) -> Markup:
    """A person's display name linked to their profile, with their unique username where the
    name could pass for someone else's ("Jane Smith (@jsmith)") and their staff label from
    ``labels``: the ``author_link`` of ``_macros.html``, in Python as :func:`moment_html` is."""
    html = Markup('<a class="author" href="{}">{}').format(
        url_for("users.profile", username=user.username), user.display_name
    )
    if user.display_name.lower() != user.username.lower():
        html += Markup(' <span class="username">(@{})</span>').format(user.username)
    html += Markup("</a>")
    label = (labels or {}).get(user.id)
    if label:
        html += Markup(' <span class="role-label">{}</span>').format(label)
    return html


def viewer_of_page() -> Any:
    """The viewer (``current_user`` resolved), so helpers called per comment skip its proxy."""
    return current_user._get_current_object()


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to do that."

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """Flask-Login passes what ``User.get_id`` gave at login: a stale one (the account's
        sessions were ended) loads nobody."""
        return accounts.user_for_session(session_id)

    @app.context_processor
    def permission_helpers() -> dict[str, Any]:
        """``may`` and ``refusal`` for one template's rendering. The viewer is resolved once,
        and each answer is kept for the rendering: a thread page asks the same question of the
        same object once per comment (may the viewer reply here?), and nothing a template does
        changes an answer. Answers are kept with their target, so an id is never reused."""
        user = viewer_of_page()
        answers: dict[tuple[str, int], tuple[Any, bool]] = {}

        def may(action: str, target: Any = None) -> bool:
            key = (action, id(target))
            kept = answers.get(key)
            if kept is None or kept[0] is not target:
                kept = answers[key] = (target, policy.may(user, action, target))
            return kept[1]

        def refusal(action: str, target: Any = None) -> str | None:
            return policy.refusal(user, action, target)

        return {"may": may, "refusal": refusal}

    @app.template_global()
    def blocked(author: Any) -> bool:
        """Whether the viewer blocked ``author`` (a User, an id, or a username): their comments
        collapse (``collapse_if_blocked`` in ``_macros.html``, whose imports see globals)."""
        people = blocks.blocked_people(viewer_of_page())
        if not people or author is None:
            return False
        if isinstance(author, str):
            return author in people.values()
        return (author if isinstance(author, int) else author.id) in people

    @app.template_global()
    def page_url(cursor: str | None, args: dict[str, str] | None = None) -> str:
        """This page's URL at another ``cursor`` (None: the first page), keeping ``args`` (a
        search's arguments, so its next pages show more of the same search)."""
        values: dict[str, Any] = {**(request.view_args or {}), **(args or {}), "cursor": cursor}
        return url_for(request.endpoint or "projects.index", **values)

    app.add_template_filter(when, "when")
    app.add_template_global(moment_html, "moment_html")
    app.add_template_global(author_html, "author_html")
    slots.init_app(app)

    from talk.web import auth, discussions, projects, search, tag_groups, tags, threads, users
    from talk.web.common import handle_http_error

    for module in (auth, projects, discussions, threads, tags, tag_groups, users, search):
        app.register_blueprint(module.bp)
    # Unknown URLs and wrong methods belong to no blueprint; the API answers under /api itself.
    app.register_error_handler(HTTPException, handle_http_error)
