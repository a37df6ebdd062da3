"""A volunteer reports a comment; the project's moderator finds the case in the queue, hides the
comment with a reason after confirming, and the reporter reads the outcome: in a real browser,
on a phone-sized screen, without page overflow. Then issue 10's "Done when" end to end."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_notification_journey import _worker_runs
from tests.conftest import TEST_PASSWORD
from tests.moderation.prevention_helpers import historical, watch

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def log_in(page, username):
    page.goto("/login")
    page.get_by_label(re.compile("Username or email")).fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def fits(page):
    """No sideways scrolling, measured once the page (its stylesheet included) has loaded."""
    page.wait_for_load_state("load")
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
    expect(moderator.get_by_text("Selling watches")).to_be_visible()  # the click navigates
    assert fits(moderator)
    moderator.get_by_label("Hide the comment (needs a reason)").check()
    moderator.get_by_label("Reason category").select_option("spam")
    moderator.get_by_role("button", name="Do it").click()
    moderator.get_by_role("button", name="Yes: Hide the comment").click()
    moderator.get_by_text("Done: Hide the comment.").wait_for()
    moderator.close()

    page.goto(f"/discussions/{thread.id}")
    expect(page.get_by_text("Hidden by a moderator: Spam.")).to_be_visible()
    page.goto("/my/reports")
    expect(page.get_by_text("A moderator took action")).to_be_visible()


def _post(page, thread_id, body):
    page.goto(f"/discussions/{thread_id}")
    page.get_by_label("Your reply").fill(body)
    page.get_by_role("button", name="Post reply").click()


def _act(moderator, action, reason, note, days=None, confirm=True):
    """One decision from the case page: the action, its reason category, a note, maybe days."""
    moderator.get_by_label(action).check()
    moderator.get_by_label("Reason category").select_option(reason)
    moderator.get_by_label(re.compile("^Note")).fill(note)
    if days is not None:
        moderator.get_by_label(re.compile("For how many days")).fill(str(days))
    moderator.get_by_role("button", name="Do it").click()
    if confirm:
        moderator.get_by_role("button", name=re.compile("^Yes: ")).click()


def test_issue_10_done_when_hide_suspend_appeal_audit_and_held_words(
    page, make, live_server, browser, app, clock
):
    """Issue 10's "Done when" as people meet it (the 429 with Retry-After is
    tests/talk/web/test_pages_rate_limits.py; the content warning before an item is
    tests/browser/test_content_warning_journey.py): a report becomes a case; its moderator
    hides the comment with a reason and suspends the author for 7 days from the case page;
    the author is told (inbox and email), reads why, is refused everywhere in the project until
    the suspension ends, and appeals; the audit log lists it all. Then a watched word holds a
    new volunteer's comment while a quotation of the record's historical term passes."""
    app.config["TALK_PUBLIC_URL"] = live_server
    project = make.project("herbarium", title="Herbarium")
    author = make.user("author", display_name="Arthur")
    thread = make.discussion(project, author, title="Register p. 4", body="Fair question.")
    rude = make.comment(thread, author, body="Nobody needs your guesses, newcomer.")
    make.member(project, "moderator", username="mod", display_name="Mo")
    make.user("vol", display_name="Val")
    make.user("newvol", display_name="Nell")
    admin = make.admin()
    watch(make, project, "lunatic", category="language about mental health")
    historical(make, project, "Lunatic")
    _worker_runs(app)

    log_in(page, "vol")
    page.goto(f"/comments/{rude.id}")
    page.locator(f"#comment-{rude.id}").get_by_role("link", name=re.compile("^Report")).click()
    page.get_by_label("Harassment or abuse").check()
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("Waiting for a moderator.").wait_for()

    moderator = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    log_in(moderator, "mod")
    moderator.goto("/projects/herbarium")
    moderator.get_by_role("link", name="Moderation queue").click()
    moderator.get_by_role("link", name=re.compile("a comment by Arthur")).click()
    expect(moderator.get_by_text("Fair question.", exact=True)).to_be_visible()  # its context
    _act(moderator, "Hide the comment (needs a reason)", "harassment", "Unkind to a newcomer")
    moderator.get_by_text("Done: Hide the comment.").wait_for()
    _act(moderator, "Suspend the author (needs a reason)", "harassment", "Twice now", 7, False)
    moderator.get_by_text("Done: Suspend the author for 7 days.").wait_for()
    _worker_runs(app)

    arthur = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    log_in(arthur, "author")
    arthur.goto("/notifications")
    assert arthur.get_by_role("link", name=re.compile("A moderator hid your comment")).count()
    arthur.get_by_role("link", name=re.compile("You are suspended from Herbarium until")).click()
    arthur.get_by_role("heading", level=1, name="Your standing in Herbarium").wait_for()
    assert arthur.get_by_text("Twice now").is_visible() and fits(arthur)
    arthur.goto(f"/discussions/{thread.id}")
    expect(arthur.get_by_text("A moderator hid your comment: Harassment or abuse")).to_be_visible()
    assert arthur.get_by_text(re.compile("You are suspended from Herbarium")).count()
    expect(arthur.get_by_label("Your reply")).to_have_count(0)  # no form to fill in vain
    arthur.goto("/projects/herbarium")
    arthur.get_by_role("link", name="See why, and appeal").click()
    arthur.get_by_label(re.compile("Appeal this suspension")).fill("I am sorry; it won't recur.")
    arthur.get_by_role("button", name="Send appeal").click()
    arthur.get_by_text("Your appeal is sent").wait_for()
    desk = browser.new_page(base_url=live_server)
    log_in(desk, admin.username)
    desk.goto("/admin/mailbox")
    assert desk.get_by_text(re.compile("You are suspended from Herbarium until")).count()

    moderator.goto("/projects/herbarium")  # the queue's line leads to what else waits
    moderator.get_by_role("link", name="Appeals (1 open)").click()
    moderator.get_by_text("I am sorry; it won't recur.").wait_for()
    moderator.goto("/projects/herbarium")
    moderator.get_by_role("link", name="Audit log").click()
    moderator.get_by_role("heading", level=1, name="Audit log").wait_for()
    log = moderator.locator("table").inner_text()
    assert all(what in log for what in ("comment.hide", "user.suspend", "appeal.create"))
    assert "Unkind to a newcomer" in log and "Twice now" in log

    clock.advance(days=7, minutes=1)  # the suspension is over: he may reply again
    _post(arthur, thread.id, "Sorry, everyone.")
    arthur.get_by_text("Your reply was posted.").wait_for()

    nell = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    log_in(nell, "newvol")
    _post(nell, thread.id, "> Occupation: “Lunatic”, says the register.\n\nQuoted as written.")
    nell.get_by_text("Your reply was posted.").wait_for()
    _post(nell, thread.id, "The poor lunatic was admitted in 1890.")
    nell.get_by_text("Your reply is waiting for a moderator").wait_for()
    note = nell.locator(".held-note").inner_text()
    assert "language about mental health" in note and nell.locator(".held-note").count() == 1
    moderator.goto("/projects/herbarium")
    moderator.get_by_role("link", name="Held posts (1 waiting for approval)").click()
    moderator.get_by_text("The poor lunatic was admitted in 1890.").wait_for()
