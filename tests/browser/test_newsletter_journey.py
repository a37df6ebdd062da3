"""Issue 11's composing half, as a project's team member meets it in a real browser on a
phone-sized screen: she writes an update from the project page, previews it, sends herself a
test, schedules it in her time zone; once it is sent, the public archive, the update's page and
the feed show it to a visitor. Every page keeps to the Content-Security-Policy."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from notifications import consent, delivery, newsletter_sending
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter
from talk.extensions import db
from talk.models import Project, User
from tests.browser.test_content_security_policy import _watch
from tests.browser.test_report_journey import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.commits]

WORKER = "browser-test"


def _worker_sends(app, newsletter_id: int) -> None:
    """The worker's runs once the time came: the newsletters job starts the update and hands it
    to the outbox, the outbox delivers it (to the local mailbox), the job records it as sent."""
    with app.app_context():
        for _ in range(5):
            newsletter_sending.send_newsletters(WORKER)
            delivery.drain(WORKER)
            if db.session.get(Newsletter, newsletter_id).state == "sent":
                return
            db.session.commit()
        raise AssertionError("the update was not sent after five runs of the worker")


def test_write_preview_test_schedule_and_find_it_in_the_archive(
    page, browser, live_server, app, make, clock
):
    project = make.project("herbarium", title="Herbarium")
    team = make.member(project, "team", username="tess", display_name="Tess Team")
    reader = make.user("vera", display_name="Vera Volunteer")
    with app.app_context():
        db.session.get(User, team.id).time_zone = "Europe/Paris"
        consent.opt_in(
            db.session.get(User, reader.id),
            db.session.get(Project, project.id),
            source="project-page",
        )
        db.session.commit()
    problems = _watch(page)

    log_in(page, "tess")
    page.goto("/projects/herbarium")
    page.get_by_role("link", name="Write an update").click()
    page.get_by_role("heading", level=1, name="Write an update").wait_for()
    page.get_by_label("Subject").fill("1,000 sheets transcribed")
    page.get_by_label("Your update").fill("Thank you! We **finished** the first box.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("The draft is saved.").wait_for()
    assert page.locator("#recipient-count strong").inner_text() == "1 person"
    assert fits(page)

    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    preview.wait_for()
    expect(preview.locator("strong", has_text="finished")).to_be_visible()
    assert "**finished**" in preview.locator("pre").inner_text()

    page.get_by_role("button", name="Send a test to myself").click()
    page.get_by_text("A test is on its way to tess@example.org").wait_for()
    with app.app_context():
        (test,) = db.session.scalars(db.select(OutboxMessage)).all()
        assert (test.to_address, test.subject) == (
            "tess@example.org",
            "[Test] 1,000 sheets transcribed",
        )

    page.get_by_label("Date and time").fill("2026-03-20T10:30")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Scheduled for 20 Mar 2026, 10:30 (Europe/Paris).").wait_for()
    assert page.get_by_role("button", name="Cancel sending").is_visible() and fits(page)
    newsletter_id = int(re.search(r"/updates/(\d+)$", page.url).group(1))
    with app.app_context():
        when = db.session.get(Newsletter, newsletter_id).scheduled_at
    assert when == datetime(2026, 3, 20, 9, 30, tzinfo=UTC)

    visitor = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    visitor.goto("/projects/herbarium/updates")
    expect(visitor.get_by_text("No updates yet.")).to_be_visible()
    assert visitor.goto(f"/projects/herbarium/updates/{newsletter_id}").status == 404

    clock.advance(days=7)  # past 20 March, 09:30 UTC
    _worker_sends(app, newsletter_id)
    visitor.goto("/projects/herbarium")
    visitor.get_by_role("link", name="Project updates").click()
    visitor.get_by_role("link", name="1,000 sheets transcribed").click()
    visitor.get_by_role("heading", level=1, name="1,000 sheets transcribed").wait_for()
    expect(visitor.locator(".newsletter-body strong", has_text="finished")).to_be_visible()
    assert fits(visitor)
    feed = visitor.request.get("/projects/herbarium/updates/feed.atom")
    titles = [e.text for e in ET.fromstring(feed.body()).iter("{http://www.w3.org/2005/Atom}title")]
    assert titles == ["Updates from Herbarium", "1,000 sheets transcribed"]
    visitor.close()

    page.goto(f"/projects/herbarium/updates/{newsletter_id}")
    assert page.locator(".newsletter-state").inner_text() == "Sent"
    assert "to 1 person" in page.locator(".newsletter-status").inner_text()
    expect(page.get_by_role("heading", name="Delivery")).to_be_visible()  # the engine's progress
    with app.app_context():
        mailed = db.session.scalars(
            db.select(OutboxMessage.to_address).where(OutboxMessage.category == "newsletter")
        ).all()
    assert sorted(mailed) == ["tess@example.org", "vera@example.org"]  # the test, the update
    assert page.evaluate("window.__violations") == [] and problems == []
