"""Issue 9's "Done when", as a new volunteer meets it, in a real browser on a phone-sized
screen: she follows an item; someone else replies on it and mentions her; once the worker has
run she sees the unread count and the notification, and the site admin's mailbox holds the
immediate email; its unsubscribe link works without logging in and stops only mentions, which
her delivery log then explains; and "forgot password" works end to end. No JavaScript of ours
is needed on the way. The other branch of "per their setting", a digest the next day, is
tests/notifications/test_digests.py (injected time):
test_a_daily_digest_comes_at_the_persons_hour_in_their_time_zone_grouped_and_unread_only."""

import re

import pytest
from playwright.sync_api import expect

from notifications import delivery, emails, inbox
from tests.browser.test_tag_autocomplete import log_in

pytestmark = [pytest.mark.browser, pytest.mark.commits]

WORKER = "browser-test"


def _worker_runs(app) -> None:
    """A minute of `talk worker`: fan out the events, decide the emails, deliver the outbox."""
    with app.app_context():
        inbox.deliver_events(WORKER)
        emails.send_immediate(WORKER)
        delivery.drain(WORKER)


def _link_in_mail(admin_page, subject: str, path: str) -> str:
    """The link to ``path`` in the text part of the newest email called ``subject``, read in
    the site admin's mailbox."""
    admin_page.goto("/admin/mailbox")
    mail = admin_page.locator("article.mail", has=admin_page.get_by_role("heading", name=subject))
    text = mail.first.locator("pre.mail-text").first.inner_text()
    return re.search(rf"https?://\S+{re.escape(path)}\S*", text).group(0)


def _reply(page, thread_id: int, body: str) -> None:
    page.goto(f"/discussions/{thread_id}")
    page.get_by_label("Your reply").fill(body)
    page.get_by_role("button", name="Post reply").click()
    page.get_by_text("Your reply was posted.").wait_for()


def test_a_mention_on_a_followed_item_reaches_the_inbox_the_mailbox_and_the_log(
    page, browser, live_server, app, make
):
    app.config["TALK_PUBLIC_URL"] = live_server  # the worker's links lead to this server
    project = make.project("herbarium", title="Herbarium")
    item = make.item(project)
    make.user("vol", display_name="Val Volunteer")
    botanist = make.user("botanist", display_name="Bo Tanist")
    admin = make.admin()
    thread = make.discussion(
        project, botanist, item=item, board="Item discussions", title="Is this a fern?"
    )
    item_path = f"/projects/herbarium/items/{item.external_id}"
    _worker_runs(app)  # the worker runs every few seconds: the thread is old news

    # She follows the item; Bo mentions her in its discussion.
    log_in(page, "vol")
    page.goto(item_path)
    page.get_by_role("button", name=f"Follow this item, {item.title}").click()
    page.get_by_text(f"You follow “{item.title}” now.").wait_for()
    other = browser.new_context(base_url=live_server)
    bo = other.new_page()
    log_in(bo, "botanist")
    _reply(bo, thread.id, "@vol what do you make of the fronds?")
    _worker_runs(app)

    # The unread count, the notification, and opening it reads it.
    page.goto(item_path)
    page.get_by_role("link", name=re.compile(r"^Notifications 1 unread")).click()
    page.get_by_role("heading", level=1, name="Notifications").wait_for()
    page.get_by_role("link", name="Bo Tanist mentioned you in “Is this a fern?”").click()
    page.get_by_role("heading", name="Is this a fern?").wait_for()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("[data-unread]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The immediate email, in the mailbox; its unsubscribe link, opened without logging in.
    desk = browser.new_context(base_url=live_server).new_page()
    log_in(desk, admin.username)
    stop = _link_in_mail(desk, "Bo Tanist mentioned you in “Is this a fern?”", "/unsubscribe/")
    stranger = browser.new_context(base_url=live_server).new_page()
    stranger.goto(stop)
    stranger.get_by_role("button", name="Unsubscribe").click()
    stranger.get_by_role("heading", name="You are unsubscribed").wait_for()

    # Only mentions stop, and her delivery log says why the next one was not emailed.
    _reply(bo, thread.id, "@vol and the sori?")
    _worker_runs(app)
    page.goto("/settings/email")
    # The email was about one project: the unsubscribe acts there, the site-wide choice stays.
    assert page.get_by_label("Someone mentions me (@name)").input_value() == "immediately"
    assert page.get_by_label("Replies to my comments").input_value() == "immediately"
    overrides = page.locator("section", has=page.get_by_role("heading", name="In one project"))
    (override,) = overrides.get_by_role("listitem").all_inner_texts()
    assert override.startswith("Herbarium: Someone mentions me (@name) — never")
    log = page.locator("section", has=page.get_by_role("heading", name="Your emails"))
    newest = log.get_by_role("row").nth(1).inner_text()  # under the header row
    assert "Bo Tanist mentioned you" in newest and "mentions" in newest
    assert "skipped: you chose not to get these emails" in newest

    # "Forgot password": the link comes by email, works once, and the new password logs in.
    stranger.goto("/login")
    stranger.get_by_role("link", name=re.compile("Forgot")).click()
    stranger.get_by_label("Email address").fill("vol@example.org")
    stranger.get_by_role("button", name="Send me a link").click()
    stranger.get_by_role("heading", name="Check your email").wait_for()
    _worker_runs(app)
    reset = _link_in_mail(desk, "Choose a new password", "/reset-password")
    stranger.goto(reset)
    stranger.get_by_label("New password", exact=True).fill("fronds and sori")
    stranger.get_by_label("Repeat the new password").fill("fronds and sori")
    stranger.get_by_role("button", name="Set the new password").click()
    stranger.get_by_text("Your password is changed").wait_for()
    stranger.get_by_role("button", name="Log out").click()
    stranger.goto("/login")
    stranger.get_by_label(re.compile("Username or email")).fill("vol")
    stranger.get_by_label("Password").fill("fronds and sori")
    stranger.get_by_role("button", name="Log in").click()
    stranger.get_by_role("button", name="Log out").wait_for()
    other.close()
