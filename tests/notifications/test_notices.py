"""Notices: the core's ``notice`` signal, sent as the moderation package will send it (inside a
service's transaction), made into one notification by the worker, shown in the inbox and the
API, and emailed: decisions at once whatever the categories say, new reports as moderators
chose."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from moderation.case_actions import case_action
from notifications import follows, inbox, notices, outbox, preferences
from notifications.inbox_models import Notification, NotificationEvent
from talk import signals
from talk.extensions import db
from talk.models import Comment, Project, User
from talk.services import accounts, discussions
from tests.conftest import login
from tests.notifications.test_emails import PUBLIC, choose, parts, run_jobs, skipped_reasons
from tests.talk.web.pages import text


class Refused(Exception):
    """What makes :func:`hide_and_tell` fail after it sent its notice."""


def hide_and_tell(app, moderator, comment_id: int, reason: str, *, fail: bool = False) -> None:
    """A moderation service as the moderation package will write one: hide a comment, tell its
    author through the signal, and commit (or fail after sending, and roll back)."""
    with app.app_context():
        actor = db.session.get(User, moderator.id)
        with case_action():  # as a case action: it tells the author itself, as below
            comment = discussions.hide_comment(actor, db.session.get(Comment, comment_id), reason)
        signals.notice.send(
            comment.author,
            actor=actor,
            project=comment.discussion.project,
            kind="moderation.hidden",
            text=f"A moderator hid your comment in “{comment.discussion.title}”: {reason}",
            url=f"/comments/{comment.id}",
            discussion=comment.discussion,
            comment=comment,
        )
        if fail:
            db.session.rollback()
            raise Refused
        db.session.commit()


def tell(app, person, actor, project, kind: str, text: str, url: str) -> None:
    """A notice about no comment (a suspension, a new report), in a committed transaction."""
    with app.app_context():
        signals.notice.send(
            db.session.get(User, person.id),
            actor=db.session.get(User, actor.id),
            project=db.session.get(Project, project.id),
            kind=kind,
            text=text,
            url=url,
        )
        db.session.commit()


def told(app, person) -> list[tuple[str, str, str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == person.id).order_by(Notification.id)
        )
        return [(n.kind, n.detail, n.text, n.url) for n in rows]


def notices_of(app, person) -> list[tuple[str, str, str, str | None]]:
    return [row for row in told(app, person) if row[0] == "notice"]


def events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(NotificationEvent)) or 0


@pytest.fixture
def case(app, make, world, clock, smtp):
    """A moderator, and a comment of the volunteer's that the moderator will hide; the world's
    own events and emails done with, links at the public address as in production."""
    app.config["SERVER_NAME"] = None
    app.config["TALK_PUBLIC_URL"] = PUBLIC.rstrip("/")
    moderator = make.member(world.project, "moderator", display_name="Mo Moderator")
    comment = make.comment(world.thread, world.volunteer, "Some words")
    run_jobs(app, clock)
    smtp.received.clear()
    return moderator, comment


def test_a_notice_makes_one_notification_for_its_person_only(app, make, world, clock, case):
    moderator, comment = case
    with app.app_context():  # the author muted the moderator, the follower follows the thread
        follows.mute_user(
            db.session.get(User, world.volunteer.id), db.session.get(User, moderator.id)
        )
        follows.follow(
            db.session.get(User, world.other.id), discussions.get_discussion(world.thread.id)
        )
        db.session.commit()
    hide_and_tell(app, moderator, comment.id, "Off topic")
    assert events(app) == 1
    run_jobs(app, clock)
    assert events(app) == 0
    assert notices_of(app, world.volunteer) == [
        (
            "notice",
            "moderation.hidden",
            "A moderator hid your comment in “Odd #fern”: Off topic",
            f"/comments/{comment.id}",
        )
    ]  # a mute is about peers: it does not stop a decision about one's own comment
    assert notices_of(app, world.other) == [] and notices_of(app, moderator) == []


def test_a_decision_that_rolls_back_tells_nobody(app, make, world, clock, case):
    moderator, comment = case
    with pytest.raises(Refused):
        hide_and_tell(app, moderator, comment.id, "Off topic", fail=True)
    assert events(app) == 0
    run_jobs(app, clock)
    assert notices_of(app, world.volunteer) == []
    with app.app_context():
        assert db.session.get(Comment, comment.id).is_visible


def test_never_the_actor_nor_a_disabled_account(app, make, world, clock, case):
    moderator, _ = case
    own = make.comment(world.thread, moderator, "My own slip")
    before = events(app)  # the comment's own
    hide_and_tell(app, moderator, own.id, "Tidying")  # a moderator hides their own comment
    assert events(app) == before
    tell(app, world.other, moderator, world.project, "moderation.warned", "A warning", "/")
    with app.app_context():  # disabled before the worker came
        accounts.disable_user(
            db.session.get(User, world.project.owner.id), db.session.get(User, world.other.id)
        )
        db.session.commit()
    run_jobs(app, clock)
    assert notices_of(app, moderator) == [] and notices_of(app, world.other) == []


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("moderation.hidden", "https://evil.example/"),
        ("moderation.hidden", "//evil.example/"),
        ("moderation.hidden", "/\\evil.example/"),
        ("moderation.hidden", "/comments/1 x"),
        ("moderation.hidden", "comments/1"),
        ("Moderation Hidden", "/comments/1"),
        ("moderation." + "x" * 30, "/comments/1"),
    ],
)
def test_a_notice_outside_the_signals_contract_is_refused_and_writes_nothing(
    app, make, world, case, kind, url
):
    moderator, _ = case
    with pytest.raises(ValueError, match="notice"):
        tell(app, world.volunteer, moderator, world.project, kind, "Hello", url)
    assert events(app) == 0


def test_the_text_is_one_line_of_at_most_500_characters(app, make, world, clock, case):
    moderator, _ = case
    tell(app, world.volunteer, moderator, world.project, "moderation.warned", "A\nB " * 400, "/")
    run_jobs(app, clock)
    ((_, _, said, _),) = notices_of(app, world.volunteer)
    assert len(said) == notices.TEXT_MAX and said.startswith("A B A B") and said.endswith("…")


def test_the_inbox_shows_the_text_linking_to_the_url(app, client, make, world, clock, case):
    moderator, comment = case
    hide_and_tell(app, moderator, comment.id, "Off topic")
    run_jobs(app, clock)
    login(client, "vol")
    html = text(client.get("/notifications"))
    link = re.search(r'<a href="([^"]+)">A moderator hid your comment in “Odd #fern”: Off', html)
    assert link and link.group(1) == f"/comments/{comment.id}"


def test_the_api_lists_a_notice_with_its_kind_text_and_absolute_url(
    app, client, make, world, clock, case, token
):
    moderator, _ = case
    tell(
        app,
        world.volunteer,
        moderator,
        world.project,
        "moderation.suspended",
        "You are suspended from Herbarium sheets until 21 March.",
        "/projects/herbarium/moderation/me",
    )
    run_jobs(app, clock)
    body = client.get("/api/v1/notifications", headers=token(world.volunteer)).get_json()
    (notice,) = [row for row in body["data"] if row["kind"] == "notice"]
    assert notice["detail"] == "moderation.suspended"
    assert notice["text"] == "You are suspended from Herbarium sheets until 21 March."
    assert notice["url"] == "http://localhost/projects/herbarium/moderation/me"  # absolute
    assert notice["actor"]["username"] == moderator.username
    assert notice["project"] == "herbarium"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "notice" in spec["components"]["schemas"]["Notification"]["properties"]["kind"]["enum"]


def _never_anything(app, person) -> None:
    with app.app_context():
        user = db.session.get(User, person.id)
        every = dict.fromkeys(preferences.PREFERENCE_CATEGORIES, "never")
        preferences.set_preferences(user, user, every)
        db.session.commit()


def test_a_decision_is_emailed_at_once_whatever_the_categories_say(
    app, make, world, clock, case, smtp
):
    moderator, comment = case
    _never_anything(app, world.volunteer)
    hide_and_tell(app, moderator, comment.id, "Off topic")
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["To"] == "vol@example.org"
    assert email["Subject"] == "A moderator hid your comment in “Odd #fern”: Off topic"
    plain, html = parts(email)
    assert f"{PUBLIC}comments/{comment.id}" in plain
    assert f'href="{PUBLIC}comments/{comment.id}"' in html
    assert email["List-Unsubscribe"] is None  # a decision about them: no category to stop
    assert "Stop" not in plain


def test_a_decision_leads_the_subject_of_an_email_that_carries_more(
    app, make, world, clock, case, smtp
):
    moderator, comment = case
    make.comment(world.thread, world.other, "A reply to Val", reply_to=comment.id)
    hide_and_tell(app, moderator, comment.id, "Off topic")
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == (
        "A moderator hid your comment in “Odd #fern”: Off topic (and 1 more on Talk)"
    )


@pytest.mark.parametrize("stop", ["everything-off", "address-disabled"])
def test_everything_off_or_a_dead_address_stops_a_decision_email_and_the_log_says_why(
    app, make, world, clock, case, smtp, stop
):
    moderator, comment = case
    with app.app_context():
        user = db.session.get(User, world.volunteer.id)
        if stop == "everything-off":
            preferences.set_everything_off(user, user, True)
        else:  # three bounces: a bouncing address is still tried, as for every category
            for _ in range(outbox.BOUNCES_TO_DISABLE):
                outbox.record_bounce(user.email, "550 no such mailbox")
        db.session.commit()
    hide_and_tell(app, moderator, comment.id, "Off topic")
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("moderation", stop)]
    assert notices_of(app, world.volunteer)  # still in the inbox


def _report(app, world, moderator, kind: str) -> None:
    tell(
        app,
        moderator,
        world.volunteer,
        world.project,
        kind,
        "A new report in Herbarium sheets: spam.",
        "/projects/herbarium/moderation",
    )


#: What moderators are told of something waiting in the queue: all follow their "reports" choice.
QUEUE_KINDS = ("moderation.new_report", "moderation.new_appeal", "moderation.held_post")


@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_new_reports_come_as_the_moderator_chose_daily_by_default(
    app, make, world, clock, case, smtp, kind
):
    moderator, _ = case
    _report(app, world, moderator, kind)
    run_jobs(app, clock)  # 12:00: not the digest's hour (7)
    assert smtp.received == []
    clock.advance(hours=19)
    run_jobs(app, clock)
    (digest,) = [m for m in smtp.received if m["To"] == f"{moderator.username}@example.org"]
    assert digest["Subject"] == "Your daily Talk digest: 1 new notification"
    assert "A new report in Herbarium sheets: spam." in parts(digest)[0]

    smtp.received.clear()
    choose(app, moderator, "reports", "immediately")
    _report(app, world, moderator, kind)
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "A new report in Herbarium sheets: spam."
    assert "unsubscribe" in str(email["List-Unsubscribe"])  # a choice, so one click stops it

    smtp.received.clear()
    choose(app, moderator, "reports", "never")
    _report(app, world, moderator, kind)
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, moderator)[-1] == ("reports", "unsubscribed")


def test_the_reports_choice_is_offered_on_the_page_to_moderators_only(
    app, client, make, world, case
):
    login(client, "vol")
    assert 'name="choice-reports"' not in text(client.get("/settings/email"))
    assert 'name="choice-mentions"' in text(client.get("/settings/email"))
    login(client, case[0].username)
    page = text(client.get("/settings/email"))
    assert 'name="choice-reports"' in page and "New reports in projects I moderate" in page
    with app.app_context():
        assert notices.moderates_somewhere(db.session.get(User, world.project.owner.id))
        assert not notices.moderates_somewhere(db.session.get(User, world.other.id))


def test_opening_the_discussion_reads_a_notice_about_it(app, client, make, world, clock, case):
    moderator, comment = case
    hide_and_tell(app, moderator, comment.id, "Off topic")
    run_jobs(app, clock)
    with app.app_context():
        assert inbox.unread_count(db.session.get(User, world.volunteer.id)) == 1
    login(client, "vol")
    client.get(f"/discussions/{world.thread.id}")
    with app.app_context():
        assert inbox.unread_count(db.session.get(User, world.volunteer.id)) == 0


def test_the_sentence_is_text_everywhere_never_markup(app, client, make, world, clock, case, smtp):
    moderator, comment = case
    hide_and_tell(app, moderator, comment.id, '<img src=x onerror="alert(1)">')
    run_jobs(app, clock)
    login(client, "vol")
    page = text(client.get("/notifications"))
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    (email,) = smtp.received
    html = parts(email)[1]
    assert "<img" not in html and "&lt;img src=x onerror=" in html
