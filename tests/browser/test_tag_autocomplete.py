"""Hashtag suggestions in the comment box (talk/static/autocomplete.js), in a real browser: the
keyboard picks a tag, a click picks one, Escape closes the list, Enter still starts a new line,
and without JavaScript the box is a plain textarea that posts the same."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.commits]

AUTOCOMPLETE = "/tags/autocomplete"


@pytest.fixture
def thread(make):
    """A project whose tags include église (used twice), églantier and eglantine, and a
    discussion for the volunteer maria to reply to."""
    project = make.project("hidden-herbarium", title="Hidden Herbarium")
    botanist = make.user("botanist", display_name="A. Botanist")
    make.user("maria", display_name="Maria Sibylla")
    discussion = make.discussion(project, botanist, title="Churchyard flora", body="#église")
    make.comment(discussion, botanist, "Another #Église, and an #églantier.")
    make.comment(discussion, botanist, "Not to be confused with #eglantine.")
    return discussion


def log_in(page, username):
    page.goto("/login")
    page.get_by_label(re.compile("Username or email")).fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def suggestions(page, box):
    """The list the combobox controls (found by id: a hidden list has no role to find it by)."""
    return page.locator(f"#{box.get_attribute('aria-controls')}")


def option_names(listbox):
    return [name.inner_text() for name in listbox.locator(".tag-suggestion-name").all()]


def test_volunteer_picks_a_suggested_tag_with_the_keyboard(page, thread):
    page.set_viewport_size({"width": 360, "height": 740})
    lookups = []
    page.on("request", lambda request: AUTOCOMPLETE in request.url and lookups.append(request))
    log_in(page, "maria")
    page.goto(f"/discussions/{thread.id}")

    box = page.get_by_role("combobox", name="Your reply")
    listbox = suggestions(page, box)
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-autocomplete") == "list"
    assert listbox.is_hidden()

    # A capital and an accent: suggestions are for what the tag will be, "égl…".
    box.click()
    box.press_sequentially("Found near the #Égl")
    page.get_by_role("listbox", name="Tag suggestions").wait_for()
    options = listbox.get_by_role("option")
    assert set(option_names(listbox)) == {"#église", "#églantier"}
    assert box.get_attribute("aria-expanded") == "true"
    expect(page.get_by_role("status").filter(has_text="2 suggestions")).to_have_count(1)
    assert box.get_attribute("aria-activedescendant") is None  # nothing chosen yet

    # Down moves through the list (and wraps), Up goes back; the box stays focused throughout.
    box.press("ArrowDown")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    box.press("ArrowUp")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert options.nth(0).get_attribute("aria-selected") == "false"
    for _ in range(2):  # whichever order they come in, choose églantier
        if "#églantier" in page.locator('[role="option"][aria-selected="true"]').inner_text():
            break
        box.press("ArrowDown")

    # Enter accepts: the half-typed tag becomes the whole one, and typing goes on after it.
    box.press("Enter")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    box.press_sequentially("roses.")
    assert box.input_value() == "Found near the #églantier roses."
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The same letters again are answered from what the page already has.
    asked = len(lookups)
    assert asked >= 1
    box.press("End")
    page.keyboard.insert_text(" Or #égl")
    listbox.wait_for()
    assert len(lookups) == asked

    # Escape closes the list and leaves the text alone; Enter is a new line again.
    box.press("Escape")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Enter")
    assert box.input_value() == "Found near the #églantier roses. Or #égl\n"

    # With suggestions showing but none chosen, Enter is a new line too, and closes the list.
    box.press_sequentially("#égl")
    listbox.wait_for()
    box.press("Enter")
    assert listbox.is_hidden()
    assert box.input_value().endswith("Or #égl\n#égl\n")

    # Tab accepts a chosen suggestion as well, and a click (or a tap) accepts any.
    box.press_sequentially("#Egl")
    listbox.wait_for()
    # Typed without accents: accented tags are offered too (most used first).
    assert option_names(listbox) == ["#église", "#eglantine", "#églantier"]
    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("Tab")
    assert box.evaluate("box => box === document.activeElement")
    box.press_sequentially("or #egl")
    listbox.get_by_role("option", name=re.compile("#eglantine")).click()
    assert box.input_value().endswith("#égl\n#eglantine or #eglantine ")
    assert box.evaluate("box => box === document.activeElement")

    page.get_by_role("button", name="Post reply").click()
    page.get_by_text("Your reply was posted.").wait_for()
    reply = page.locator("article", has_text="roses")
    tag = reply.get_by_role("link", name="#églantier")
    assert tag.get_attribute("href").endswith(f"/tags/{quote('églantier')}")
    expect(reply.get_by_role("link", name="#eglantine")).to_have_count(2)


def test_no_suggestions_where_a_hash_starts_no_tag(page, thread):
    log_in(page, "maria")
    page.goto(f"/discussions/{thread.id}")
    box = page.get_by_role("combobox", name="Your reply")
    listbox = suggestions(page, box)
    box.click()
    box.press_sequentially("#égl")
    listbox.wait_for()
    # "égl" is now known to the page, so a list for it would open at once, on the same input
    # event: checking right after inserting each text below is enough.
    for text in ("`code #égl", "```\n#égl", "C#égl", "example.org/#égl", "\\#égl", "##égl"):
        box.fill("")
        page.keyboard.insert_text(text)
        assert box.get_attribute("aria-expanded") == "false", text
        assert listbox.is_hidden(), text
    # The caret inside a word: completing it would leave the rest of the word behind.
    box.fill("")
    page.keyboard.insert_text("#égli")
    box.press("ArrowLeft")
    assert listbox.is_hidden()
    box.press("End")
    page.keyboard.insert_text("`code` #égl")
    expect(listbox).to_be_visible()


def test_without_javascript_the_reply_box_is_a_plain_textarea(browser, live_server, thread):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "maria")
    page.goto(f"/discussions/{thread.id}")
    box = page.get_by_label("Your reply")
    assert box.get_attribute("role") is None
    expect(page.get_by_role("listbox")).to_have_count(0)
    box.fill("Typed by hand: #églantier")
    page.get_by_role("button", name="Post reply").click()
    reply = page.locator("article", has_text="Typed by hand")
    expect(reply.get_by_role("link", name="#églantier")).to_have_count(1)
    context.close()


def test_curated_tags_come_first_and_a_synonym_suggests_its_curated_tag(page, make):
    from talk.extensions import db
    from talk.models import Project, User
    from talk.services import curation

    project = make.project("curated-herbarium", title="Curated Herbarium")
    curator = make.member(project, "expert", username="curator")
    volunteer = make.user("vol")
    discussion = make.discussion(project, volunteer, body="#churchyard #churchyard-wall")
    with make.context():
        curation.curate(
            db.session.get(User, curator.id),
            db.session.get(Project, project.id),
            "church",
            description="A building for Christian worship.",
            synonyms="kirk",
        )
    log_in(page, "vol")
    page.goto(f"/discussions/{discussion.id}")
    box = page.get_by_role("combobox", name="Your reply")
    listbox = suggestions(page, box)

    box.click()
    box.press_sequentially("Near the #chur")
    page.get_by_role("listbox", name="Tag suggestions").wait_for()
    assert option_names(listbox)[0] == "#church"  # curated, though nobody has used it yet
    first = listbox.get_by_role("option").nth(0)
    assert "curated" in first.inner_text()
    assert "A building for Christian worship." in first.inner_text()

    box.press("Escape")
    box.press_sequentially(" or the #kir")
    page.get_by_role("listbox", name="Tag suggestions").wait_for()
    assert option_names(listbox) == ["#church"]
