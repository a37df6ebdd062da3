"""A project's updates on the pages: the team writes, previews, tests, schedules, cancels and
sends through plain forms; everyone else sees only what was sent (archive, page, Atom feed)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from notifications import consent, newsletter_segments, newsletters
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter, NewsletterSender
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import csrf_token, login
from tests.talk.web.pages import Outline, outline, squash, submit, text

ATOM = "{http://www.w3.org/2005/Atom}"
XSS_SUBJECT = '<script>alert("subject")</script> News'
XSS_BODY = 'Hello <script>alert("body")</script> <img src=x onerror="alert(1)"> **bold**'


@pytest.fixture
def world(make, app):
    """A project with its owner, a team member, an admin, a volunteer and another project's
    team member; one update in each state."""
    project = make.project("herbarium", title="Herbarium")
    people = SimpleNamespace(
        project=project,
        team=make.member(project, "team", username="tess"),
        admin=make.member(project, "admin", username="adam"),
        volunteer=make.user("vol"),
        stranger=make.member(make.project("other"), "team", username="otto"),
    )
    with app.app_context():
        p, team = db.session.get(Project, project.id), db.session.get(User, people.team.id)
        made = {}
        for state in ("draft", "scheduled", "cancelled", "sending", "sent"):
            made[state] = newsletters.create(team, p, subject=f"The {state} one", body="Hi")
        newsletters.schedule(team, made["scheduled"], utcnow() + timedelta(days=2))
        newsletters.schedule(team, made["cancelled"], utcnow() + timedelta(days=2))
        newsletters.cancel(team, made["cancelled"])
        for state in ("sending", "sent"):
            _mark(made[state], state)
        db.session.commit()
        people.ids = {state: n.id for state, n in made.items()}
    return people


def _mark(newsletter: Newsletter, state: str, when: datetime | None = None) -> None:
    """What the sending engine does when it starts (and finishes) an update."""
    newsletter.state = state
    newsletter.started_at = when or utcnow()
    newsletter.recipient_count = 3
    if state == "sent":
        newsletter.finished_at = newsletter.started_at
    db.session.flush()


def _url(world, state: str, tail: str = "") -> str:
    return f"/projects/herbarium/updates/{world.ids[state]}{tail}"


def _stored(app, newsletter_id: int) -> Newsletter | None:
    with app.app_context():
        row = db.session.get(Newsletter, newsletter_id)
        if row is not None:
            db.session.expunge(row)
        return row


def _composer_fields(**changes: str) -> dict[str, str]:
    fields = {"subject": "Spring news", "body": "We *finished* 1,000 sheets.", "personal": "y"}
    fields.update(changes)
    return fields


# --------------------------------------------------------------------------- who sees what


UNSENT = ("draft", "scheduled", "cancelled", "sending")


@pytest.mark.parametrize("who", [None, "vol", "otto"])
def test_unsent_updates_are_hidden_from_everyone_but_the_team(client, world, who):
    if who:
        login(client, who)
    for state in UNSENT:
        assert client.get(_url(world, state)).status_code == 404, state
        assert client.get(_url(world, state, "/edit")).status_code in (302, 404), state
    assert client.get(_url(world, "sent")).status_code == 200
    archive = text(client.get("/projects/herbarium/updates"))
    feed = text(client.get("/projects/herbarium/updates/feed.atom"))
    assert "The sent one" in archive and "The sent one" in feed
    for state in UNSENT:
        assert f"The {state} one" not in archive and f"The {state} one" not in feed
        assert f"/updates/{world.ids[state]}" not in archive + feed
    assert "Write an update" not in archive


def test_unknown_and_other_projects_updates_are_not_found(client, world, make):
    make.project("elsewhere")
    login(client, "tess")
    assert client.get("/projects/herbarium/updates/999999").status_code == 404
    assert client.get("/projects/herbarium/updates/99999999999999").status_code == 404
    assert client.get(f"/projects/elsewhere/updates/{world.ids['sent']}").status_code == 404
    assert client.get("/projects/nowhere/updates").status_code == 404
    assert client.get("/projects/nowhere/updates/feed.atom").status_code == 404


@pytest.mark.parametrize("who", ["tess", "adam", "owner", "siteadmin"])
def test_the_team_sees_every_update_with_its_state(client, world, make, who):
    if who == "owner":
        who = world.project.owner.username
    if who == "siteadmin":
        who = make.admin().username
    login(client, who)
    archive = client.get("/projects/herbarium/updates")
    page = squash(text(archive))
    for state in ("draft", "scheduled", "cancelled", "sending", "sent"):
        assert f"The {state} one" in page
        assert client.get(_url(world, state)).status_code == 200
    assert "Write an update" in page
    assert ">Cancelled</span>" in page and ">Scheduled</span>" in page
    # the feed stays public: the sent ones only, whoever asks
    feed = text(client.get("/projects/herbarium/updates/feed.atom"))
    assert "The draft one" not in feed


def test_a_volunteer_may_not_compose_and_a_visitor_is_sent_to_log_in(client, world):
    assert client.get("/projects/herbarium/updates/new").status_code == 302
    login(client, "vol")
    assert client.get("/projects/herbarium/updates/new").status_code == 403
    assert client.get("/projects/herbarium/updates/sender").status_code == 403
    sent_edit = client.get(_url(world, "sent", "/edit"))
    assert sent_edit.status_code == 403
    token = csrf_token(client, "/projects/herbarium")
    for tail in ("/edit", "/preview", "/test", "/schedule", "/send", "/send/confirmed"):
        answer = client.post(
            _url(world, "draft", tail), data={"csrf_token": token, **_composer_fields()}
        )
        assert answer.status_code == 404, tail
    for tail in ("/cancel", "/delete"):
        answer = client.post(_url(world, "scheduled", tail), data={"csrf_token": token})
        assert answer.status_code == 404, tail
    answer = client.post(
        "/projects/herbarium/updates/new", data={"csrf_token": token, **_composer_fields()}
    )
    assert answer.status_code == 403


def test_the_project_page_links_to_the_updates_and_the_team_to_writing_one(client, world):
    page = text(client.get("/projects/herbarium"))
    assert 'href="/projects/herbarium/updates"' in page
    assert "Write an update" not in page
    login(client, "tess")
    assert 'href="/projects/herbarium/updates/new"' in text(client.get("/projects/herbarium"))


# --------------------------------------------------------------------------- composing


def test_write_a_draft_with_a_csrf_token_only(client, app, world):
    login(client, "tess")
    before = {n.id for n in _all(app)}
    refused = client.post("/projects/herbarium/updates/new", data=_composer_fields())
    assert refused.status_code == 400
    assert {n.id for n in _all(app)} == before
    saved = submit(client, "/projects/herbarium/updates/new", **_composer_fields())
    assert saved.status_code == 302
    (new,) = [n for n in _all(app) if n.id not in before]
    assert saved.headers["Location"].endswith(f"/updates/{new.id}/edit")
    assert (new.subject, new.state, new.personal) == ("Spring news", "draft", True)
    assert new.segment == {"kind": "everyone"}
    edit = text(client.get(saved.headers["Location"]))
    assert 'value="Spring news"' in edit and "We *finished* 1,000 sheets." in edit


def _all(app) -> list[Newsletter]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(Newsletter)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": ""}, "body"),
        ({"segment": "nobody-at-all"}, "Unknown segment"),
    ],
)
def test_bad_input_shows_the_composer_again_with_the_problem_and_saves_nothing(
    client, app, world, fields, message
):
    login(client, "tess")
    before = len(_all(app))
    answer = submit(client, "/projects/herbarium/updates/new", **_composer_fields(**fields))
    assert answer.status_code == 422
    assert "There is a problem" in text(answer) and message.lower() in text(answer).lower()
    assert len(_all(app)) == before
    edit_url = _url(world, "draft", "/edit")
    answer = submit(client, edit_url, **_composer_fields(**fields))
    assert answer.status_code == 422 and "There is a problem" in text(answer)
    assert _stored(app, world.ids["draft"]).subject == "The draft one"


def test_the_recipient_count_shown_is_the_audience(client, app, world, make):
    people = [make.user(f"reader{n}") for n in range(4)]
    with app.app_context():
        p = db.session.get(Project, world.project.id)
        for n, person in enumerate(people):
            user = db.session.get(User, person.id)
            consent.opt_in(user, p, source="settings")
            user.email_verified_at = None if n == 3 else utcnow()  # one never confirmed
        expected = newsletter_segments.count(p, {"kind": "everyone"}, utcnow())
        db.session.commit()
    assert expected == 3
    login(client, "tess")
    for page in ("/projects/herbarium/updates/new", _url(world, "draft", "/edit")):
        html = squash(text(client.get(page)))
        assert "<strong>3 people</strong> now" in html, page
    confirm = submit(
        client, _url(world, "draft", "/edit"), _url(world, "draft", "/send"), **_composer_fields()
    )
    assert "goes to <strong>3 people</strong>" in squash(text(confirm))


def test_the_segment_choices_come_from_the_segments(client, world):
    login(client, "tess")
    page = outline(client.get("/projects/herbarium/updates/new"))
    radios = [a["value"] for a in page.find("input", type="radio", name="segment")]
    assert radios == list(newsletter_segments.SEGMENTS)
    checked = [a["value"] for a in page.find("input", type="radio") if "checked" in a]
    assert checked == ["everyone"]


def test_preview_saves_and_shows_the_html_and_text_parts(client, app, world):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(
        client,
        edit,
        _url(world, "draft", "/preview"),
        **_composer_fields(body="Some **bold** news"),
    )
    assert answer.status_code == 200
    html = text(answer)
    assert "<strong>bold</strong>" in html
    assert re.search(r'<pre class="newsletter-text">[^<]*Some \*\*bold\*\* news', html)
    assert _stored(app, world.ids["draft"]).body == "Some **bold** news"


def test_send_a_test_to_myself(client, app, world):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(client, edit, _url(world, "draft", "/test"), **_composer_fields())
    assert answer.status_code == 302
    with app.app_context():
        queued = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.category == "newsletter")
        ).all()
        assert [(m.to_address, m.subject) for m in queued] == [
            ("tess@example.org", "[Test] Spring news")
        ]
    assert "A test is on its way to tess@example.org" in text(client.get(edit))
    assert _stored(app, world.ids["draft"]).subject == "Spring news"


def test_a_refused_test_changes_nothing(client, app, world):
    with app.app_context():
        db.session.get(User, world.team.id).email_verified_at = None
        db.session.commit()
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(
        client, edit, _url(world, "draft", "/test"), **_composer_fields(subject="Changed")
    )
    assert answer.status_code == 422 and "is not confirmed yet" in text(answer)
    assert _stored(app, world.ids["draft"]).subject == "The draft one"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


# --------------------------------------------------------------------------- scheduling


def test_schedule_in_my_time_zone_then_reschedule_and_cancel(client, app, world):
    with app.app_context():
        db.session.get(User, world.team.id).time_zone = "Europe/Paris"
        db.session.commit()
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    assert "In your time zone, Europe/Paris" in text(client.get(edit))
    answer = submit(
        client,
        edit,
        _url(world, "draft", "/schedule"),
        **_composer_fields(send_at="2026-03-20T10:30"),
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(_url(world, "draft"))
    stored = _stored(app, world.ids["draft"])
    assert stored.state == "scheduled" and stored.subject == "Spring news"
    assert stored.scheduled_at == datetime(2026, 3, 20, 9, 30, tzinfo=UTC)  # CET is UTC+1
    page = squash(text(client.get(_url(world, "draft"))))
    assert "to be sent 20 Mar 2026, 10:30 (Europe/Paris)" in page
    # the composer shows the time as it was given, and rescheduling moves it
    assert 'value="2026-03-20T10:30"' in text(client.get(edit))
    submit(
        client,
        edit,
        _url(world, "draft", "/schedule"),
        **_composer_fields(send_at="2026-03-21 08:00"),
    )
    assert _stored(app, world.ids["draft"]).scheduled_at == datetime(2026, 3, 21, 7, 0, tzinfo=UTC)
    cancelled = submit(client, edit, _url(world, "draft", "/cancel"))
    assert cancelled.status_code == 302
    stored = _stored(app, world.ids["draft"])
    assert (stored.state, stored.scheduled_at) == ("cancelled", None)
    assert "The update will not be sent" in text(client.get(_url(world, "draft")))


@pytest.mark.parametrize(
    ("send_at", "message"),
    [
        ("", "Choose a date and time"),
        ("next tuesday", "Give the date and time as"),
        ("2026-03-14T11:00", "That time has passed"),
        ("2026-03-20T10:30+02:00", "Give the date and time as"),
        ("2026-02-30T10:00", "Give the date and time as"),
        ("2026-03-20", "Give the date and time as"),
        ("0001-01-01T00:00", "That time has passed"),
        ("9999-12-31T23:59\x00", "Give the date and time as"),
    ],
)
def test_a_bad_time_to_send_changes_nothing(client, app, world, send_at, message):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(
        client,
        edit,
        _url(world, "draft", "/schedule"),
        **_composer_fields(subject="Changed", send_at=send_at),
    )
    assert answer.status_code == 422
    assert message in text(answer)
    stored = _stored(app, world.ids["draft"])
    assert (stored.state, stored.subject) == ("draft", "The draft one")  # the save rolled back


def test_a_time_past_the_last_one_storable_is_refused(client, app, world):
    """9999-12-31 23:59 in New York is in year 10000 in UTC, which no column holds."""
    with app.app_context():
        db.session.get(User, world.team.id).time_zone = "America/New_York"
        db.session.commit()
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(
        client,
        edit,
        _url(world, "draft", "/schedule"),
        **_composer_fields(send_at="9999-12-31T23:59"),
    )
    assert answer.status_code == 422 and "Give the date and time as" in text(answer)
    assert _stored(app, world.ids["draft"]).state == "draft"


def test_send_now_asks_first_then_sends(client, app, world, clock):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    confirm = submit(client, edit, _url(world, "draft", "/send"), **_composer_fields())
    assert confirm.status_code == 200 and "Send this update now?" in text(confirm)
    assert _stored(app, world.ids["draft"]).state == "draft"  # only saved so far
    assert client.get(_url(world, "draft", "/send/confirmed")).status_code == 405
    sent = submit(client, edit, _url(world, "draft", "/send/confirmed"))
    assert sent.status_code == 302
    stored = _stored(app, world.ids["draft"])
    assert stored.state == "scheduled" and stored.scheduled_at == clock.now


def test_what_started_sending_cannot_be_changed(client, app, world):
    login(client, "tess")
    edit = _url(world, "sent", "/edit")
    assert client.get(edit).status_code == 302
    token = csrf_token(client, _url(world, "sent"))
    for tail in ("/edit", "/schedule", "/send/confirmed", "/cancel"):
        answer = client.post(
            _url(world, "sending", tail),
            data={"csrf_token": token, **_composer_fields(send_at="2026-04-01T10:00")},
        )
        assert answer.status_code == 409, tail
        assert "already sending" in text(answer)
    delete = client.post(_url(world, "sent", "/delete"), data={"csrf_token": token, "confirm": "1"})
    assert delete.status_code == 409
    assert _stored(app, world.ids["sending"]).subject == "The sending one"
    assert _stored(app, world.ids["sent"]) is not None


def test_cancel_only_what_is_scheduled(client, app, world):
    login(client, "tess")
    token = csrf_token(client, _url(world, "draft"))
    answer = client.post(_url(world, "draft", "/cancel"), data={"csrf_token": token})
    assert answer.status_code == 409
    assert client.get(_url(world, "scheduled", "/cancel")).status_code == 405


def test_delete_a_draft_after_confirming(client, app, world):
    login(client, "tess")
    assert client.get(_url(world, "draft", "/delete")).status_code == 405
    asked = submit(client, _url(world, "draft", "/edit"), _url(world, "draft", "/delete"))
    assert asked.status_code == 200 and "Delete this update?" in text(asked)
    assert _stored(app, world.ids["draft"]) is not None
    done = submit(
        client, _url(world, "draft", "/edit"), _url(world, "draft", "/delete"), confirm="1"
    )
    assert done.status_code == 302
    assert _stored(app, world.ids["draft"]) is None


# --------------------------------------------------------------------------- archive and feed


def test_the_archive_lists_sent_updates_newest_first_and_offers_the_feed(client, app, world):
    with app.app_context():
        p, team = db.session.get(Project, world.project.id), db.session.get(User, world.team.id)
        later = newsletters.create(team, p, subject="A later one", body="More")
        _mark(later, "sent", utcnow() + timedelta(days=1))
        db.session.commit()
        later_id = later.id
    page = client.get("/projects/herbarium/updates")
    titles = outline(page).find("a", **{"class": "title"})
    assert [t["href"].rsplit("/", 1)[1] for t in titles] == [str(later_id), str(world.ids["sent"])]
    alternate = outline(page).find("link", rel="alternate")
    assert alternate == [
        {
            "rel": "alternate",
            "type": "application/atom+xml",
            "title": "Updates from Herbarium",
            "href": "/projects/herbarium/updates/feed.atom",
        }
    ]


def test_the_feed_is_valid_atom(client, app, world, clock):
    answer = client.get("/projects/herbarium/updates/feed.atom")
    assert answer.status_code == 200
    assert answer.mimetype == "application/atom+xml"
    root = ET.fromstring(answer.data)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://talk.test/projects/herbarium/updates"
    assert root.findtext(f"{ATOM}title") == "Updates from Herbarium"
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == clock.now
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Herbarium"
    (entry,) = root.findall(f"{ATOM}entry")
    url = f"http://talk.test/projects/herbarium/updates/{world.ids['sent']}"
    assert entry.findtext(f"{ATOM}id") == url
    assert entry.findtext(f"{ATOM}title") == "The sent one"
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == clock.now
    assert entry.find(f"{ATOM}link").attrib == {
        "rel": "alternate",
        "type": "text/html",
        "href": url,
    }
    content = entry.find(f"{ATOM}content")
    assert content.attrib["type"] == "html" and content.text.strip() == "<p>Hi</p>"


def test_an_empty_feed_is_valid_too(client, make):
    make.project("quiet", title="Quiet")
    root = ET.fromstring(client.get("/projects/quiet/updates/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated")


def _no_script(answer: Any) -> bool:
    """No element runs script: scripts are the site's files only, no ``on*=`` attribute."""
    parsed = Outline()
    parsed.feed(answer if isinstance(answer, str) else text(answer))
    return not [
        (tag, attrs)
        for tag, attrs in parsed.tags
        if (tag == "script" and not attrs.get("src")) or any(k.startswith("on") for k in attrs)
    ]


def test_script_in_subject_and_body_stays_text_on_archive_page_and_feed(client, app, world):
    with app.app_context():
        p, team = db.session.get(Project, world.project.id), db.session.get(User, world.team.id)
        evil = newsletters.create(team, p, subject=XSS_SUBJECT, body=XSS_BODY)
        _mark(evil, "sent")
        db.session.commit()
        evil_id = evil.id
    for page in ("/projects/herbarium/updates", f"/projects/herbarium/updates/{evil_id}"):
        answer = client.get(page)
        html = text(answer)
        assert _no_script(answer), page
        assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt; News" in html, page
    shown = text(client.get(f"/projects/herbarium/updates/{evil_id}"))
    assert "<strong>bold</strong>" in shown  # Markdown still renders
    root = ET.fromstring(client.get("/projects/herbarium/updates/feed.atom").data)
    entry = next(
        e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == XSS_SUBJECT
    )
    content = entry.findtext(f"{ATOM}content")  # the HTML a feed reader will show
    assert _no_script(content) and "<img" not in content
    assert "<strong>bold</strong>" in content


def test_script_in_the_composer_and_preview_stays_text(client, app, world):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    answer = submit(
        client,
        edit,
        _url(world, "draft", "/preview"),
        **_composer_fields(subject=XSS_SUBJECT, body=XSS_BODY),
    )
    html = text(answer)
    assert _no_script(answer)
    assert "&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;" in html  # the text part, escaped


def test_a_sent_update_shows_no_personal_block_and_the_team_sees_its_progress(client, world):
    page = squash(text(client.get(_url(world, "sent"))))
    assert "newsletter-progress-" not in page  # delivery figures are the team's
    assert "Sent to volunteers of Herbarium on" in page
    assert "<p>Hi</p>" in page and "Edit" not in page and "to 3 people" not in page
    login(client, "tess")
    page = squash(text(client.get(_url(world, "sent"))))
    assert ">Sent</span>" in page and "to 3 people" in page
    assert '<h2 id="newsletter-progress-' in page  # the engine's progress
    for state in ("sending", "sent"):
        assert "newsletter-progress-" in text(client.get(_url(world, state))), state
    assert "newsletter-progress-" not in text(client.get(_url(world, "scheduled")))


# --------------------------------------------------------------------------- sender


def test_the_team_sets_the_sender_name_and_reply_to(client, app, world):
    login(client, "tess")
    saved = submit(
        client,
        "/projects/herbarium/updates/sender",
        sender_name="Herbarium team",
        reply_to="Team@Example.org",
    )
    assert saved.status_code == 302
    page = text(client.get("/projects/herbarium/updates/sender"))
    assert 'value="Herbarium team"' in page and 'value="team@example.org"' in page
    refused = submit(
        client,
        "/projects/herbarium/updates/sender",
        sender_name='Evil "<x>"',
        reply_to="not an address",
    )
    assert refused.status_code == 422 and "There is a problem" in text(refused)
    with app.app_context():
        row = db.session.get(NewsletterSender, world.project.id)
        assert (row.sender_name, row.reply_to) == ("Herbarium team", "team@example.org")
    assert (
        client.post(
            "/projects/herbarium/updates/sender", data={"sender_name": "No token"}
        ).status_code
        == 400
    )


def test_a_segment_takes_its_own_fields_and_names_a_bad_one(client, app, world):
    login(client, "tess")
    edit = _url(world, "draft", "/edit")
    page = outline(client.get(edit))
    assert page.find("input", name="days", id="days")
    saved = submit(client, edit, **_composer_fields(segment="active", days="30", tag="ignored"))
    assert saved.status_code == 302
    assert _stored(app, world.ids["draft"]).segment == {"kind": "active", "days": 30}
    assert 'id="segment-active" value="active" checked' in squash(text(client.get(edit)))
    for days in ("abc", "0", "-3"):
        refused = submit(client, edit, **_composer_fields(segment="lapsed", days=days))
        assert refused.status_code == 422, days
        assert 'id="days-error"' in text(refused), days  # the problem sits by its field
    assert _stored(app, world.ids["draft"]).segment == {"kind": "active", "days": 30}


def test_the_feed_carries_the_newest_updates_only(client, app, world, monkeypatch):
    from notifications import newsletter_views

    with app.app_context():
        p, team = db.session.get(Project, world.project.id), db.session.get(User, world.team.id)
        _mark(
            newsletters.create(team, p, subject="Newest", body="N"), "sent", utcnow() + timedelta(1)
        )
        db.session.commit()
    monkeypatch.setattr(newsletter_views, "FEED_ENTRIES", 1)
    root = ET.fromstring(client.get("/projects/herbarium/updates/feed.atom").data)
    assert [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")] == ["Newest"]
    assert "The sent one" in text(client.get("/projects/herbarium/updates"))
