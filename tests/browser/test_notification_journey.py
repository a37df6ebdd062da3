"""A volunteer follows an item; someone else replies on it and mentions her; once the worker
has run, she sees the unread count, opens her notifications and the discussion, and the count
drops — in a real browser on a phone-sized screen, with no JavaScript of ours."""

import re

import pytest

from notifications import inbox
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def _log_in(page, username: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label(re.compile("Username or email")).fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")


def test_a_mention_on_a_followed_item_reaches_the_inbox(page, browser, live_server, app, make):
    project = make.project("herbarium", title="Herbarium")
    item = make.item(project)
    make.user("vol", display_name="Val Volunteer")
    botanist = make.user("botanist", display_name="Bo Tanist")
    thread = make.discussion(
        project, botanist, item=item, board="Item discussions", title="Is this a fern?"
    )
    item_path = f"/projects/herbarium/items/{item.external_id}"
    with app.app_context():  # the worker runs every few seconds: the thread is old news
        inbox.deliver_events("browser-test")

    _log_in(page, "vol", item_path)
    page.get_by_role("button", name=f"Follow this item, {item.title}").click()
    page.get_by_text(f"You follow “{item.title}” now.").wait_for()

    other = browser.new_context(base_url=live_server)
    other_page = other.new_page()
    _log_in(other_page, "botanist", f"/discussions/{thread.id}")
    other_page.get_by_label("Your reply").fill("@vol what do you make of the fronds?")
    other_page.get_by_role("button", name="Post reply").click()
    other_page.get_by_text("what do you make of the fronds").wait_for()
    other.close()

    with app.app_context():  # the worker's notify job
        inbox.deliver_events("browser-test")

    page.goto(item_path)
    link = page.get_by_role("link", name=re.compile(r"^Notifications 1 unread"))
    link.click()
    page.get_by_role("heading", level=1, name="Notifications").wait_for()
    page.get_by_role("link", name="Bo Tanist mentioned you in “Is this a fern?”").click()
    page.get_by_role("heading", name="Is this a fern?").wait_for()
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()
    assert page.locator("[data-unread]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
