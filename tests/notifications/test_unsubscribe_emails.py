"""One-click unsubscribe on every notification email and digest, end to end: the jobs run
(time injected), the email arrives at a real SMTP server (aiosmtpd), a bare client posts
``List-Unsubscribe=One-Click`` to its ``List-Unsubscribe`` URL, and exactly the categories the
email held turn off, in its project when it is about one, else site-wide."""

from __future__ import annotations

import re

import pytest

from notifications import preferences
from talk.extensions import db
from talk.models import Project, User
from tests.notifications.test_emails import PUBLIC, choose, parts, run_jobs
from tests.talk.web.pages import text

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture(autouse=True)
def _quiet_world(app, world, clock, smtp) -> None:
    """Links at the public address, the digest at 9, the world's own events dealt with."""
    app.config["SERVER_NAME"] = None
    app.config["TALK_PUBLIC_URL"] = PUBLIC.rstrip("/")
    app.config["TALK_DIGEST_HOUR"] = 9
    run_jobs(app, clock)
    smtp.received.clear()


def choices(app, person, project=None) -> dict[str, str]:
    """``person``'s choice for every category (in ``project``, or site-wide)."""
    with app.app_context():
        user = db.session.get(User, person.id)
        place = None if project is None else db.session.get(Project, project.id)
        return {c: preferences.chosen(user, place, c) for c in preferences.PREFERENCE_CATEGORIES}


def one_click_path(email) -> str:
    """The path of the received email's ``List-Unsubscribe`` URL (RFC 8058 headers checked)."""
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https://[^>]+)>", str(email["List-Unsubscribe"]))
    assert url, email["List-Unsubscribe"]
    assert url.group(1).startswith(PUBLIC)
    return "/" + url.group(1).removeprefix(PUBLIC)


def mixed_email(app, make, world, clock, smtp):
    """A reply to the volunteer's comment and a mention of her, in one email."""
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")
    run_jobs(app, clock)
    smtp.received.clear()
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)
    make.comment(world.thread, world.other, "@vol look again")
    run_jobs(app, clock)
    (email,) = smtp.received
    plain, _ = parts(email)
    assert "replied to your comment" in plain and "mentioned you" in plain
    return email


def test_one_click_on_a_mixed_email_stops_exactly_its_categories_in_its_project(
    app, make, world, clock, smtp
):
    letters = make.project("letters", title="Letters home")
    link = one_click_path(mixed_email(app, make, world, clock, smtp))
    site, here, there = (
        choices(app, world.volunteer),
        choices(app, world.volunteer, world.project),
        choices(app, world.volunteer, letters),
    )
    assert here["mentions"] == here["replies"] == "immediately"
    bare = app.test_client()  # no session, no CSRF token: the mail client's POST
    done = bare.post(link, data=ONE_CLICK)
    assert done.status_code == 200
    assert "You are unsubscribed" in text(done)
    off = {"mentions": "never", "replies": "never"}
    assert choices(app, world.volunteer, world.project) == here | off
    assert choices(app, world.volunteer) == site
    assert choices(app, world.volunteer, letters) == there
    assert bare.post(link, data=ONE_CLICK).status_code == 200  # idempotent
    assert choices(app, world.volunteer, world.project) == here | off


def test_an_email_about_two_projects_stops_its_categories_site_wide(app, make, world, clock, smtp):
    letters = make.project("letters", title="Letters home")
    make.discussion(letters, world.other, title="A letter", body="@vol can you read this?")
    make.comment(world.thread, world.other, "@vol and this fern?")
    run_jobs(app, clock)
    (email,) = smtp.received
    plain, html = parts(email)
    assert "Letters home" in plain and "Herbarium sheets" in plain
    assert "Stop emails for “Someone mentions me (@name)”</a>" in html  # no project named
    site = choices(app, world.volunteer)
    assert app.test_client().post(one_click_path(email), data=ONE_CLICK).status_code == 200
    assert choices(app, world.volunteer) == site | {"mentions": "never"}
    assert choices(app, world.volunteer, letters)["mentions"] == "never"
    with app.app_context():  # a site-wide choice, not one override per project
        user = db.session.get(User, world.volunteer.id)
        assert preferences.stored_choice(user, None, "mentions") == "never"
        assert (
            preferences.stored_choice(user, db.session.get(Project, letters.id), "mentions") is None
        )


def test_a_digest_carries_one_click_for_the_categories_it_holds_and_nothing_else(
    app, make, world, clock, smtp
):
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")  # she follows it
    run_jobs(app, clock)
    choose(app, world.volunteer, "mentions", "daily")
    smtp.received.clear()
    make.comment(world.thread, world.other, "@vol have a look")  # mentions: daily
    make.comment(world.thread, world.other, "Or a horsetail")  # follows: daily by default
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)  # replies: at once
    run_jobs(app, clock)
    (immediate,) = smtp.received
    clock.advance(hours=21)  # 09:00 UTC the next day
    run_jobs(app, clock)
    immediate, digest = [m for m in smtp.received if m["To"] == "vol@example.org"]
    assert digest["Subject"].startswith("Your daily Talk digest")
    plain, _ = parts(digest)
    assert 'Stop "Someone mentions me (@name)" from Herbarium sheets' in plain
    assert 'Stop "New comments in discussions, items, boards and projects I follow"' in plain
    assert 'Stop "Replies' not in plain
    here = choices(app, world.volunteer, world.project)
    assert here["tags"] == here["discussions"] == "daily"  # daily too, but not in this digest
    confirm = app.test_client().get(one_click_path(digest))
    assert "Unsubscribe from these emails in Herbarium sheets?" in text(confirm)
    assert choices(app, world.volunteer, world.project) == here  # opening changes nothing
    assert app.test_client().post(one_click_path(digest), data=ONE_CLICK).status_code == 200
    assert choices(app, world.volunteer, world.project) == here | {
        "mentions": "never",
        "follows": "never",
    }
    # The immediate email's link stops its own category only.
    assert app.test_client().post(one_click_path(immediate), data=ONE_CLICK).status_code == 200
    assert choices(app, world.volunteer, world.project) == here | {
        "mentions": "never",
        "follows": "never",
        "replies": "never",
    }
