"""The site admins' mail pages: the local mailbox (what the worker delivered without
``TALK_SMTP_URL``) and the delivery log (every outbox row, its state, reason and SMTP reply).

A message's HTML part is shown in a sandboxed ``<iframe>`` whose document comes from its own
URL with its own policy (``sandbox``, no scripts, no requests but images): the email's markup
runs in an opaque origin, away from the admin's session, and the site's own strict policy is
untouched. The text part and the HTML source are shown as escaped text beside it.
"""

from __future__ import annotations

from email import message_from_string
from email import policy as email_policy
from email.message import EmailMessage

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import func, select

from notifications import outbox
from notifications.models import STATES, MailboxMessage, OutboxMessage
from talk import policy
from talk.extensions import db
from talk.web.common import ResponseLike, add_error_handlers, viewer

bp = Blueprint("mail_admin", __name__, template_folder="templates")
add_error_handlers(bp)

#: Rows shown per page of the mailbox and the delivery log (newest first).
SHOWN = 100

#: The policy of an email's HTML part, shown only inside the mailbox page's sandboxed frame.
EMAIL_HTML_POLICY = (
    "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def _parts(raw: str) -> tuple[str, str | None]:
    parsed = message_from_string(raw, policy=email_policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    return (
        str(text.get_content()) if text is not None else "",
        str(html.get_content()) if html is not None else None,
    )


@bp.route("/admin/mailbox")
def mailbox() -> ResponseLike:
    """The local mailbox, newest first: each message's headers, text part and HTML part."""
    policy.require(viewer(), "mail.admin")
    rows = db.session.scalars(
        select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(SHOWN)
    ).all()
    messages = [(row, *_parts(row.raw)) for row in rows]
    return render_template("notifications/mailbox.html", messages=messages)


@bp.route("/admin/mailbox/<int:message_id>/html")
def mailbox_html(message_id: int) -> Response:
    """One message's HTML part, for the sandboxed frame of the mailbox page only."""
    policy.require(viewer(), "mail.admin")
    row = db.session.get(MailboxMessage, message_id)
    if row is None:
        abort(404)
    html = _parts(row.raw)[1]
    if html is None:
        abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/admin/outbox")
def delivery_log() -> ResponseLike:
    """Every email Talk sent, deferred, failed, doubts or skipped, newest first, with why."""
    policy.require(viewer(), "mail.admin")
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        return render_template(
            "notifications/outbox.html",
            problem=f"No state {state!r}: one of {', '.join(STATES)}.",
            rows=[],
            counts={},
            state=None,
            addresses=[],
            message_id=outbox.message_id,
        ), 422
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(SHOWN)
    if state:
        query = query.where(OutboxMessage.state == state)
    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return render_template(
        "notifications/outbox.html",
        problem=None,
        rows=db.session.scalars(query).all(),
        counts=counts,
        state=state,
        addresses=outbox.disabled_addresses(),
        message_id=outbox.message_id,
    )
