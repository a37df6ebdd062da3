"""The volunteer journey in a real browser: register, find an item, start a discussion, and see
an expert's reply — on a phone-sized screen, without any JavaScript of ours."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_volunteer_discusses_an_item_and_an_expert_replies(
    page, browser, live_server, make, mailbox
):
    project = make.project("hidden-herbarium", title="Hidden Herbarium")
    make.items(project, 3)
    curator = make.user("curator", display_name="Dr Rowan Ash")
    make.grant(project, curator, "expert", "Herbarium curator")

    # A newcomer finds the project and registers.
    page.goto("/")
    page.get_by_role("link", name="Hidden Herbarium").first.click()
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Display name").fill("Maria Sibylla")
    page.get_by_label("Email address").fill("maria@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Repeat the password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    # She follows the link emailed to her, and confirms.
    page.goto(mailbox.link("verify_email"))
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("Welcome to Talk, Maria Sibylla!").wait_for()

    # She finds an item and starts a discussion about it.
    page.goto("/projects/hidden-herbarium")
    page.get_by_role("link", name="Browse all items").click()
    page.get_by_role("link", name=re.compile("Sheet 1")).first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sheet 1")
    page.get_by_label("Title").fill("Is this a fern?")
    page.get_by_label("Your comment").fill("The **fronds** look like *Polypodium* to me.")
    page.get_by_role("button", name="Start the discussion").click()
    page.get_by_role("heading", name="Is this a fern?").wait_for()
    expect(page.locator("article strong", has_text="fronds")).to_have_count(1)
    discussion_url = page.url

    # The curator, in another browser session, replies to her comment.
    curator_context = browser.new_context(base_url=live_server)
    curator_page = curator_context.new_page()
    curator_page.goto("/login")
    curator_page.get_by_label(re.compile("Username or email")).fill("curator")
    curator_page.get_by_label("Password").fill("correct horse battery")
    curator_page.get_by_role("button", name="Log in").click()
    curator_page.goto(discussion_url)
    curator_page.get_by_role("link", name=re.compile("^Reply")).first.click()
    curator_page.get_by_label("Your reply").fill("Yes: *Polypodium vulgare*, a common polypody.")
    curator_page.get_by_role("button", name="Post reply").click()
    curator_page.get_by_text("a common polypody").wait_for()
    curator_context.close()

    # Maria sees the answer, marked as coming from the curator, in reply to her.
    page.goto(discussion_url)
    reply = page.locator("article", has_text="a common polypody")
    assert "Herbarium curator" in reply.inner_text()
    assert "Maria Sibylla" in reply.inner_text()  # "in reply to Maria Sibylla"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
