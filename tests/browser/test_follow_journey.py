"""A volunteer follows an item with the keyboard alone and finds it on the page of what they
follow, in a real browser on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_follow_an_item_by_keyboard_and_see_it_on_the_follows_page(page, make):
    project = make.project("herbarium", title="Herbarium")
    item = make.item(project)
    make.user("vol", display_name="Val Volunteer")

    page.goto(f"/login?next=/projects/herbarium/items/{item.external_id}")
    page.get_by_label(re.compile("Username or email")).fill("vol")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=item.title).wait_for()

    follow = page.get_by_role("button", name=f"Follow this item, {item.title}")
    follow.focus()
    page.keyboard.press("Enter")
    page.get_by_text(f"You follow “{item.title}” now.").wait_for()
    expect(page.get_by_text("You follow this item.")).to_be_visible()

    page.get_by_role("link", name="Following").click()
    page.get_by_role("heading", level=1, name="What you follow").wait_for()
    listed = page.get_by_role("link", name=item.title)
    assert listed.get_attribute("href") == f"/projects/herbarium/items/{item.external_id}"
    expect(page.get_by_role("button", name=f"Unfollow {item.title}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
