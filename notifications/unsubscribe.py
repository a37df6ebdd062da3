"""One-click unsubscribe (RFC 8058): a signed link in each notification's ``List-Unsubscribe``
header that turns one category off (in one project, when the email is about one).

``POST /unsubscribe/<token>`` unsubscribes without a login or CSRF token (a mail client posts
``List-Unsubscribe=One-Click`` from the user's inbox; the signed token is the authority, and it
can do nothing but this, for this person). ``GET`` only shows a confirmation page with a
button, because link scanners fetch every URL in an email. The answer offers to undo it.
Tokens are signed with the site's key under a salt of their own, so no other signed link of
the site (account email, cursors) is one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from notifications import preferences
from talk.extensions import csrf, db
from talk.models import Project, User
from talk.web.common import ResponseLike, add_error_handlers

bp = Blueprint("unsubscribe", __name__, template_folder="templates")
add_error_handlers(bp)

SALT = "talk.email-unsubscribe"
#: The undo form's "back to the default" (no stored choice).
DEFAULT = "default"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def token_for(user: User, category: str, project: Project | None = None) -> str:
    preferences.check_category(category)
    return str(
        _serializer().dumps(
            {"u": user.id, "c": category, "p": None if project is None else project.id}
        )
    )


def unsubscribe_url(user: User, category: str, project: Project | None = None) -> str:
    return url_for("unsubscribe.confirm", token=token_for(user, category, project), _external=True)


def unsubscribe_headers(
    user: User, category: str, project: Project | None = None
) -> dict[str, str]:
    """The RFC 8058 headers for an email of ``category`` (about ``project``) to ``user``, for
    :func:`notifications.outbox.enqueue` (``headers=``). Needs a request context or
    ``SERVER_NAME`` (the URL is absolute)."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, category, project)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class Subscription:
    """What a token names: one person's one category, site-wide or in one project."""

    user: User
    category: str
    project: Project | None

    @property
    def label(self) -> str:
        return preferences.PREFERENCE_CATEGORIES[self.category]


class BadToken(Exception):
    """Not one of our unsubscribe links (tampered, cut, another purpose's)."""


def _read(token: str) -> Subscription:
    try:
        data: Any = _serializer().loads(token)
    except BadSignature as exc:
        raise BadToken from exc
    if not isinstance(data, dict) or set(data) != {"u", "c", "p"}:
        raise BadToken
    user_id, category, project_id = data["u"], data["c"], data["p"]
    if not isinstance(user_id, int) or category not in preferences.PREFERENCE_CATEGORIES:
        raise BadToken
    if project_id is not None and not isinstance(project_id, int):
        raise BadToken
    user = db.session.get(User, user_id)
    project = None if project_id is None else db.session.get(Project, project_id)
    if user is None or (project_id is not None and project is None):
        raise BadToken  # the account or the project is gone: nothing to unsubscribe from
    return Subscription(user, category, project)


def _refused() -> ResponseLike:
    return render_template("notifications/unsubscribe_invalid.html"), 400


def _page(subscription: Subscription, token: str, **context: Any) -> str:
    return render_template(
        "notifications/unsubscribe.html",
        subscription=subscription,
        token=token,
        choices=preferences.CHOICES,
        **context,
    )


@bp.route("/unsubscribe/<token>", methods=["GET"])
def confirm(token: str) -> ResponseLike:
    """A page with a button: opening the link (a scanner does) changes nothing."""
    try:
        subscription = _read(token)
    except BadToken:
        return _refused()
    current = preferences.chosen(subscription.user, subscription.project, subscription.category)
    return _page(subscription, token, done=False, current=current)


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt
def one_click(token: str) -> ResponseLike:
    """Unsubscribe (the mail client's one-click POST, or the confirmation page's button):
    idempotent; the page offers to undo it, back to what was chosen before."""
    try:
        subscription = _read(token)
    except BadToken:
        return _refused()
    user, project, category = subscription.user, subscription.project, subscription.category
    before = preferences.stored_choice(user, project, category) or DEFAULT
    if before == "never":  # a repeated POST: undo goes back to no choice of its own
        before = DEFAULT
    preferences.unsubscribe(user, category, project)
    return _page(subscription, token, done=True, before=before)


@bp.route("/unsubscribe/<token>/undo", methods=["POST"])
def undo(token: str) -> ResponseLike:
    """Take an unsubscribe back: the category gets ``choice`` again (``default``: no choice
    of its own). Needs the page's CSRF token: only the unsubscribe itself is one-click."""
    try:
        subscription = _read(token)
    except BadToken:
        return _refused()
    choice = request.form.get("choice", DEFAULT)
    if choice != DEFAULT and choice not in preferences.CHOICES:
        page = _page(
            subscription,
            token,
            done=True,
            before=DEFAULT,
            problem=f"choice: one of {', '.join((DEFAULT, *preferences.CHOICES))}.",
        )
        return page, 422
    preferences.resubscribe(
        subscription.user,
        subscription.category,
        None if choice == DEFAULT else choice,
        subscription.project,
    )
    current = preferences.chosen(subscription.user, subscription.project, subscription.category)
    return _page(subscription, token, done=False, undone=True, current=current)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
