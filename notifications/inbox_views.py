"""The notifications page (``/notifications``), marking read with plain POST forms, and the
unread count in the header (the core's ``header.account`` slot)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from notifications import inbox, inbox_groups
from notifications.follows import is_person
from notifications.inbox_models import Notification
from notifications.notices import notice_url
from talk.errors import InvalidInput
from talk.limits import MAX_ID
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("inbox", __name__, template_folder="templates")
add_error_handlers(bp)


def notification_url(notification: Notification, **options: Any) -> str:
    """Where a notification leads: a notice's own link, the comment (whose page marks the
    discussion's notifications read), the item (its verdicts), or the project (its welcome)."""
    if notification.kind == "notice":
        return notice_url(notification, external=bool(options.get("_external")))
    if notification.comment_id is not None:
        return url_for("discussions.comment", comment_id=notification.comment_id, **options)
    if notification.discussion_id is not None:
        return url_for("discussions.show", discussion_id=notification.discussion_id, **options)
    if notification.item is not None:
        item = notification.item
        return url_for(
            "projects.item", slug=item.project.slug, external_id=item.external_id, **options
        )
    return url_for("projects.home", slug=notification.project.slug, **options)


def _form_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("ids"):
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
            raise InvalidInput("ids must be numbers.", {"ids": ["Must be numbers."]})
        ids.append(int(raw))
    return ids


@bp.route("/notifications")
def page() -> ResponseLike:
    """My notifications, newest first, consolidated ("5 new replies in …")."""
    user = viewer()
    unread = request.args.get("unread") == "1"
    notifications = inbox.inbox_page(
        user, user, cursor=cursor_arg(), limit=page_size(), unread=unread
    )
    return render_template(
        "notifications/inbox.html",
        page=notifications,
        groups=inbox_groups.consolidate(notifications.rows),
        unread_only=unread,
        notification_url=notification_url,
    )


@bp.route("/notifications/read", methods=["POST"])
def mark_read() -> ResponseLike:
    """Mark the notifications a form names (``ids``), or all (``all``), read."""
    user = viewer()
    everything = request.form.get("all") == "1"
    inbox.mark_read(user, user, _form_ids(), everything=everything)
    flash("All notifications marked read." if everything else "Marked read.", "success")
    return redirect(url_for("inbox.page"))


def unread_link() -> Markup | str:
    """The header's link to the notifications page, with the unread count (one query)."""
    user = viewer()
    if not is_person(user):
        return ""
    return slots.render("notifications/inbox_header_link.html", unread=inbox.unread_count(user))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "header.account", unread_link)
