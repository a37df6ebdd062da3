"""A volunteer reports a comment; the project's moderator finds the case in the queue, hides the
comment with a reason after confirming, and the reporter reads the outcome: in a real browser,
on a phone-sized screen, without page overflow."""

import re

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def log_in(page, username):
    page.goto("/login")
    page.get_by_label(re.compile("Username or email")).fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_report_hide_and_outcome(page, make, live_server, browser):
    project = make.project("herbarium", title="Herbarium")
    author = make.user("author", display_name="Arthur")
    thread = make.discussion(project, author, title="Watches", body="Buy cheap watches")
    make.member(project, "moderator", username="mod", display_name="Mo")
    make.user("vol", display_name="Val")

    log_in(page, "vol")
    page.goto(f"/discussions/{thread.id}")
    page.get_by_role("link", name="Report the comment by Arthur").click()
    assert fits(page)
    page.get_by_label("Spam").check()
    page.get_by_label(re.compile("A note for the moderators")).fill("Selling watches")
    page.get_by_role("button", name="Send the report").click()
    page.get_by_role("heading", level=1, name="My reports").wait_for()
    assert page.get_by_text("Waiting for a moderator.").is_visible() and fits(page)

    moderator = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    log_in(moderator, "mod")
    moderator.goto("/projects/herbarium")
    moderator.get_by_role("link", name="Moderation queue").click()
    moderator.get_by_role("heading", level=1, name="Moderation queue").wait_for()
    assert fits(moderator)
    moderator.get_by_role("link", name=re.compile("a comment by Arthur")).click()
    assert moderator.get_by_text("Selling watches").is_visible() and fits(moderator)
    moderator.get_by_label("Hide the comment (needs a reason)").check()
    moderator.get_by_label("Reason category").select_option("spam")
    moderator.get_by_role("button", name="Do it").click()
    moderator.get_by_role("button", name="Yes: Hide the comment").click()
    moderator.get_by_text("Done: Hide the comment.").wait_for()
    moderator.close()

    page.goto(f"/discussions/{thread.id}")
    assert page.get_by_text("Hidden by a moderator: Spam.").is_visible()
    page.goto("/my/reports")
    assert page.get_by_text("A moderator took action").is_visible()
