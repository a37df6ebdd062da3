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
