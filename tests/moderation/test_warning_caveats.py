"""Content warnings as plain text for emails, through the core's caveats seam (issue 10)."""

from __future__ import annotations

from talk import caveats
from talk.extensions import db
from talk.models import Discussion
from tests.moderation.conftest import add_warning


def test_a_discussion_of_a_marked_item_carries_the_warning_as_text(app, heritage):
    add_warning(
        app, heritage, text="<b>Terms</b> of the 1910s.", on=[("item", heritage.item.external_id)]
    )
    with app.app_context():
        marked = db.session.get(Discussion, heritage.thread.id)
        plain = db.session.get(Discussion, heritage.chat.id)
        assert caveats.about(marked) == [
            "Content warning: Historic language. <b>Terms</b> of the 1910s."
        ]
        assert caveats.about(plain) == []


def test_a_notification_email_about_a_marked_discussion_says_the_warning_first(
    app, make, clock, heritage
):
    """The email cannot blur: it carries the warning as text, escaped in its HTML part."""
    from sqlalchemy import select

    from notifications import emails, inbox
    from notifications.models import OutboxMessage

    add_warning(
        app, heritage, text="<b>Terms</b> of the 1910s.", on=[("item", heritage.item.external_id)]
    )
    make.comment(heritage.thread, heritage.people["moderator"], "Thanks @a_volunteer")
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        emails.send_immediate(now=clock())
        db.session.commit()
        (message,) = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.category == "mentions")
        ).all()
    warning = "Content warning: Historic language. <b>Terms</b> of the 1910s."
    assert warning in message.text_body
    assert message.text_body.index(warning) < message.text_body.index("mentioned you")
    assert "Content warning: Historic language. &lt;b&gt;Terms&lt;/b&gt;" in message.html_body
    assert "<b>Terms</b>" not in message.html_body
