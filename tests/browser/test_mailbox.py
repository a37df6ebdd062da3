"""The site admins' mailbox in Chromium: an email's HTML part shows in its sandboxed frame with
its own styles, its scripts never run, and the page itself keeps to the site's policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications import delivery, outbox
from talk.extensions import db
from tests.browser.test_content_security_policy import WATCH
from tests.browser.test_tag_autocomplete import log_in

pytestmark = [pytest.mark.browser, pytest.mark.commits]

HTML = (
    '<p class="lead" style="color: rgb(0, 128, 0)">Someone <em>replied</em>.</p>'
    "<script>document.body.append('SCRIPT RAN')</script>"
)


def test_the_mailbox_shows_the_html_part_sandboxed_and_the_text_part(app, make, page):
    admin = make.admin()
    with app.app_context():
        outbox.enqueue(
            to_address="maria@example.org",
            subject="A reply to your comment",
            text="Someone replied.",
            html=HTML,
            category="replies",
        )
        db.session.commit()
        assert delivery.drain("test").outcomes == {"sent": 1}
    page.add_init_script(WATCH)
    log_in(page, admin.username)
    page.goto("/admin/mailbox")
    page.get_by_role("heading", name="A reply to your comment").wait_for()
    expect(page.get_by_text("Someone replied.", exact=True)).to_be_visible()
    frame = page.frame_locator("iframe.mail-html")
    lead = frame.locator("p.lead")
    lead.wait_for()
    assert lead.evaluate("p => getComputedStyle(p).color") == "rgb(0, 128, 0)"
    assert "SCRIPT RAN" not in frame.locator("body").inner_text()
    assert page.evaluate("window.__violations") == []
