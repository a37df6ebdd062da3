"""Writing in a real browser: reply with quote by keyboard only (the text lands after the
quotation, and the quotation's tag and mention do not count), the Preview button with and
without JavaScript, and picking a person after "@" with the keyboard — also when the writer is
quicker than the page's script or than the server's suggestions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from talk.extensions import db
from talk.models import Comment, Mention
from tests.browser.test_tag_autocomplete import log_in
from tests.talk.tags.tag_counts import stored_state

pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def thread(make):
    """maria asked; Jane Smith (an expert here) answered at length, with #fern and @maria."""
    project = make.project("herbarium", title="Herbarium")
    maria = make.user("maria", display_name="Maria Sibylla")
    jane = make.user("jane", display_name="Jane Smith")
    make.grant(project, jane, "expert", "Herbarium curator")
    make.user("jasper", display_name="Jasper Elsewhere")  # never took part: not suggested
    jack = make.user("jackie", display_name="Jackie Jones")
    discussion = make.discussion(project, maria, title="Odd leaves", body="What is this?")
    make.comment(discussion, jack, "No idea.")
    answer = make.comment(
        discussion,
        jane,
        "A #fern, @maria: the sori on the back of the frond say so. " * 8,
    )
    return project, discussion, answer


def test_reply_with_quote_by_keyboard_only_writes_after_the_quotation(app, page, thread):
    project, discussion, answer = thread
    with app.app_context():
        before = stored_state(project.id)
    log_in(page, "maria")
    page.goto(f"/discussions/{discussion.id}")
    page.get_by_role("link", name="Reply to Jane Smith").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"reply_to="))
    box = page.get_by_role("combobox", name="Your reply")
    assert box.evaluate("box => box === document.activeElement")
    assert box.evaluate("box => box.selectionStart === box.value.length")
    assert page.get_by_text("Replying to").inner_text().startswith("Replying to Jane Smith")
    page.keyboard.type("Thank you, that settles it.")
    value = box.input_value()
    assert value.startswith(f"> **Jane Smith** [wrote](/comments/{answer.id}):\n> A #fern")
    assert value.endswith("…\n\nThank you, that settles it.")
    page.keyboard.press("Tab")  # to "Post reply"
    assert page.evaluate("document.activeElement.textContent") == "Post reply"
    page.keyboard.press("Enter")
    page.get_by_text("Your reply was posted.").wait_for()

    reply = page.locator("article", has_text="that settles it")
    expect(reply.locator("blockquote")).to_have_count(1)
    assert "settles" not in reply.locator("blockquote").inner_text()
    assert (
        reply.locator("blockquote").get_by_role("link", name="wrote").get_attribute("href")
        == f"/comments/{answer.id}"
    )
    with app.app_context():
        assert stored_state(project.id) == before  # #fern counted once, in Jane's comment
        mine = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert not db.session.scalars(select(Mention).where(Mention.comment_id == mine.id)).all()


def test_preview_shows_the_rendered_comment_in_place(page, thread):
    _, discussion, _ = thread
    log_in(page, "jackie")
    page.goto(f"/discussions/{discussion.id}")
    box = page.get_by_role("combobox", name="Your reply")
    box.fill("**Sori** seen, see #fern <script>window.bad = 1</script>")
    preview = page.locator(".comment-preview")
    assert preview.is_hidden()
    url = page.url
    page.get_by_role("button", name="Preview").press("Enter")
    preview.get_by_text("Sori").wait_for()
    assert page.url == url  # no reload: the text is still being written
    assert preview.locator("strong").inner_text() == "Sori"
    expect(preview.get_by_role("link", name="#fern")).to_have_count(1)
    assert "<script>" in preview.inner_text()  # shown as text, never run
    assert page.evaluate("window.bad") is None
    expect(page.get_by_role("status").filter(has_text="Preview shown")).to_have_count(1)
    assert box.input_value().startswith("**Sori**")


def test_without_javascript_preview_reloads_the_form_with_the_preview(browser, live_server, thread):
    _, discussion, _ = thread
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "jackie")
    page.goto(f"/discussions/{discussion.id}")
    page.get_by_label("Your reply").fill("_Sori_ seen")
    page.get_by_role("button", name="Preview").click()
    page.locator(".comment-preview em", has_text="Sori").wait_for()
    assert page.get_by_label("Your reply").input_value() == "_Sori_ seen"
    page.get_by_role("button", name="Post reply").click()
    page.get_by_text("Your reply was posted.").wait_for()
    context.close()


def _start_mentioning(page, thread, typed: str):
    """maria types ``typed`` in the reply box; the box and the suggestions it shows."""
    _, discussion, _ = thread
    log_in(page, "maria")
    page.goto(f"/discussions/{discussion.id}")
    box = page.get_by_role("combobox", name="Your reply")
    box.click()
    box.press_sequentially(typed)
    listbox = page.get_by_role("listbox", name="People suggestions")
    listbox.wait_for()
    return box, listbox


def test_at_suggests_people_members_first_and_the_keyboard_picks_one(page, thread):
    box, listbox = _start_mentioning(page, thread, "Thanks @ja")
    options = listbox.get_by_role("option")
    names = [option.inner_text() for option in options.all()]
    assert len(names) == 2
    assert names[0].startswith("Jane Smith @jane") and "Herbarium curator" in names[0]
    assert names[1].startswith("Jackie Jones @jackie")  # took part, no role: after members
    box.press("ArrowDown")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    box.press("Enter")
    assert listbox.is_hidden()
    box.press_sequentially("for the key.")
    assert box.input_value() == "Thanks @jane for the key."


def test_what_is_written_before_the_script_loads_stays_and_so_does_the_focus(page, thread):
    """autocomplete.js is deferred: on a slow device the writer can be in the box first. It
    once moved the textarea into a wrapper, which took the focus away: the next keys went
    nowhere (and a test's fill() posted an empty reply, a 422)."""
    _, discussion, _ = thread
    log_in(page, "maria")
    held = []

    def hold(route) -> None:  # Playwright wants a Python function, not a builtin
        held.append(route)

    page.route(re.compile(r"/static/autocomplete\.js"), hold)
    page.goto(f"/discussions/{discussion.id}", wait_until="commit")
    page.get_by_label("Your reply").click()
    page.keyboard.type("Thanks ")
    assert len(held) == 1  # the script has not run yet
    held[0].continue_()
    box = page.get_by_role("combobox", name="Your reply")  # the script has run
    box.wait_for()
    page.keyboard.type("@jan")
    assert box.input_value() == "Thanks @jan"
    page.get_by_role("listbox", name="People suggestions").wait_for()


def test_a_choice_survives_the_suggestions_for_later_letters(page, thread):
    """The list shown for "@j" is chosen from while the answer for "@ja" is on its way; when it
    lands, the chosen person is still chosen and Enter takes them."""
    held = []

    def hold_ja(route):
        if "q=ja&" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/people/autocomplete\?"), hold_ja)
    box, listbox = _start_mentioning(page, thread, "@j")
    with page.expect_request(lambda request: "q=ja&" in request.url):
        box.press_sequentially("a")
    box.press("ArrowDown")
    jane = listbox.get_by_role("option", name=re.compile("^Jane Smith"))
    assert jane.get_attribute("aria-selected") == "true"
    shown_for_j = jane.element_handle()
    held[0].continue_()
    page.wait_for_function("option => !option.isConnected", arg=shown_for_j)  # list redrawn
    assert jane.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == jane.get_attribute("id")
    box.press("Enter")
    assert box.input_value() == "@jane "
