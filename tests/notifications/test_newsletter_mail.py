"""The newsletter email: accessible HTML and plain-text parts from the sanitised Markdown, the
project's sender identity, one-click unsubscribe from THAT project's updates, the personal
block's numbers, nothing a composer or a display name writes runs as markup; and the test send,
delivered through a real SMTP server."""

from __future__ import annotations

import random
import re
from email.utils import parseaddr
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from notifications import consent, delivery, newsletter_mail, newsletters, unsubscribe
from notifications.emails import public_urls
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter
from talk.clock import utcnow
from talk.errors import InvalidInput, PermissionDenied
from talk.extensions import db
from talk.models import Comment, Item, Project, Tag, User
from talk.rate_limits import RateLimited
from talk.services import curation, discussions
from tests.notifications.test_emails import PUBLIC, parts

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


class Page(HTMLParser):
    """What an accessibility check reads from an HTML part."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def all(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]

    def check_accessible(self) -> None:
        (html,) = self.all("html")
        assert html.get("lang") == "en"
        assert self.title.strip()
        assert self.all("h1")
        assert not self.all("script") and not self.all("style") and not self.all("iframe")
        assert all(t.get("role") == "presentation" for t in self.all("table"))
        assert all("alt" in img for img in self.all("img"))
        assert not any(name.startswith("on") for _tag, attrs in self.tags for name in attrs), (
            "an event handler attribute"
        )


@pytest.fixture
def letter(app: Any, make: Any) -> SimpleNamespace:
    """A project with an item, a team member who writes, a volunteer opted in; links at the
    public address, as production sets it (the tests' own ``SERVER_NAME`` off)."""
    app.config["SERVER_NAME"] = None
    app.config["TALK_PUBLIC_URL"] = PUBLIC.rstrip("/")
    project = make.project("herbarium", title="Herbarium sheets")
    team = make.member(project, "team", display_name="Tess Team")
    volunteer = make.user("vol", display_name="Val Volunteer")
    item = make.item(project)
    with make.context():
        p = db.session.get(Project, project.id)
        p.image_hosts = ["images.example.org"]
        consent.opt_in(db.session.get(User, volunteer.id), p, source="settings")
        draft = newsletters.create(
            db.session.get(User, team.id),
            p,
            subject="Spring news",
            body=(
                f"# What we found\n\nLook at ^{item.external_id} and #ferns.\n\n"
                "![A pressed fern](https://images.example.org/fern.jpg)\n\n"
                "![tracker](https://tracker.example.com/pixel.gif)\n\n"
                "[Our boards](/projects/herbarium)"
            ),
        )
        newsletter_id = draft.id
    return SimpleNamespace(
        project=project, team=team, volunteer=volunteer, item=item, id=newsletter_id
    )


def _letter(letter: SimpleNamespace) -> Newsletter:
    found = db.session.get(Newsletter, letter.id)
    assert found is not None
    return found


def _user(person: SimpleNamespace) -> User:
    user = db.session.get(User, person.id)
    assert user is not None
    return user


def test_the_email_has_an_accessible_html_part_a_text_part_and_absolute_links(app, letter):
    with app.app_context():
        mail = newsletter_mail.render(_letter(letter), _user(letter.volunteer))
    page = Page(mail.html)
    page.check_accessible()
    assert page.title.strip() == "Spring news"
    assert [h for h, _ in page.tags if h in ("h1", "h2")] == ["h1", "h2"]  # body # → h2
    images = page.all("img")
    fern = next(img for img in images if img["src"] == "https://images.example.org/fern.jpg")
    assert fern["alt"] == "A pressed fern"
    assert not any("tracker.example.com" in (img["src"] or "") for img in images)
    assert re.search(
        r'<a href="https://tracker.example.com/pixel.gif"[^>]*>Image: tracker</a>', mail.html
    )
    links = [a["href"] or "" for a in page.all("a")]
    assert f"{PUBLIC}projects/herbarium/items/{letter.item.external_id}" in links
    assert f"{PUBLIC}projects/herbarium/updates/{letter.id}" in links  # view in browser
    assert f"{PUBLIC}projects/herbarium" in links  # the composer's relative link, made absolute
    assert all(link.startswith(("https://", "mailto:")) for link in links)
    assert "Read “Spring news” in your browser" in mail.html
    assert "Spring news" in mail.text and "# What we found" in mail.text
    assert f"{PUBLIC}projects/herbarium/updates/{letter.id}" in mail.text
    assert f"{PUBLIC}projects/herbarium/items/{letter.item.external_id}" in mail.text
    assert "Stop updates from Herbarium sheets" in mail.text


def test_headers_name_the_project_and_unsubscribe_from_its_updates_only(app, letter):
    with app.app_context():
        p = db.session.get(Project, letter.project.id)
        newsletters.set_sender(
            _user(letter.team), p, sender_name="Kew “Sheets” team", reply_to="team@kew.example"
        )
        mail = newsletter_mail.render(_letter(letter), _user(letter.volunteer))
        site = parseaddr(app.config["TALK_MAIL_FROM"])[1]
        assert parseaddr(mail.headers["From"]) == ("Kew “Sheets” team", site)
        assert mail.headers["Reply-To"] == "team@kew.example"
        assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = re.fullmatch(r"<(https://[^>]+)>", mail.headers["List-Unsubscribe"])
        assert url and url.group(1).startswith(PUBLIC)
        token = url.group(1).rsplit("/", 1)[-1]
        named = unsubscribe.read(token)
        assert named.user.id == letter.volunteer.id
        assert named.categories == ("newsletter",)
        assert named.project is not None and named.project.id == letter.project.id


def test_without_a_recipient_there_is_no_personal_block_and_no_unsubscribe(app, letter):
    with app.app_context():
        mail = newsletter_mail.render(_letter(letter), None)
        body = newsletter_mail.body_html(_letter(letter))
    Page(mail.html).check_accessible()
    assert "List-Unsubscribe" not in mail.headers and "Hello" not in mail.html
    assert "unsubscribe" not in mail.html.lower() and "Stop updates" not in mail.text
    assert mail.headers["From"]
    # The archive's body alone: the site's own paths, headings under the page's title.
    assert "<h2>What we found</h2>" in body and "<h1" not in body
    assert f'href="/projects/herbarium/items/{letter.item.external_id}"' in body


def test_what_a_composer_or_a_display_name_writes_never_runs(app, make, letter):
    mallory = make.user("mallory", display_name='<b onmouseover="alert(3)">Mal</b>')
    with make.context():
        p = db.session.get(Project, letter.project.id)
        consent.opt_in(db.session.get(User, mallory.id), p, source="settings")
        letter_row = newsletters.update(
            _user(letter.team),
            _letter(letter),
            subject=f"News {XSS}",
            body=f"{XSS}\n\n[click](javascript:alert(4)) <a href='javascript:alert(5)'>x</a>",
        )
        assert letter_row.subject.startswith("News")
    with app.app_context():
        mail = newsletter_mail.render(_letter(letter), _user(mallory))
        archive = newsletter_mail.body_html(_letter(letter))
    for html in (mail.html, archive):
        page = Page(html)
        assert not page.all("script")
        assert not any(n.startswith("on") for _t, attrs in page.tags for n in attrs)
        assert not any(
            "javascript" in (value or "") for _t, attrs in page.tags for value in attrs.values()
        )
    Page(mail.html).check_accessible()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html  # the subject, as text
    assert "&lt;b onmouseover=" in mail.html  # the display name, as text
    assert mail.subject == f"News {XSS}"  # a header is text: one line, no markup meaning


def test_a_batch_renders_the_templates_once_and_escapes_each_name_in_html_only(app, make, letter):
    """The worker's batch: Jinja renders the newsletter once (HTML and text), each person's
    greeting and unsubscribe link are filled in as strings: escaped in HTML, raw in text."""
    from flask import template_rendered

    eve = make.user("eve", display_name="Eve <script>alert(1)</script> & Co")
    rendered: list[str] = []

    def seen(_app: Any, template: Any, context: Any, **_: Any) -> None:
        rendered.append(template.name)

    with app.app_context():
        people = [_user(eve), _user(letter.volunteer)]
        template_rendered.connect(seen, app)
        try:
            mails = newsletter_mail.render_each(_letter(letter), people)
        finally:
            template_rendered.disconnect(seen, app)
        project = _letter(letter).project
        with public_urls():
            links = [unsubscribe.newsletter_unsubscribe_url(p, project) for p in people]
    assert sorted(rendered) == ["newsletters/email.html", "newsletters/email.txt"]
    (_, eves), (_, vals) = mails
    assert eves is not None and vals is not None
    assert "Hello Eve &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co," in eves.html
    assert "<script>" not in eves.html
    assert "Hello Eve <script>alert(1)</script> & Co," in eves.text
    assert "Hello Val Volunteer," in vals.html and "Eve" not in vals.html + vals.text
    for mail, link in zip((eves, vals), links, strict=True):
        assert f"<{link}>" == mail.headers["List-Unsubscribe"]
        assert f"{link}\n" in mail.text and f'href="{link}"' in mail.html
    assert links[0] != links[1]


def test_personal_block_counts_what_the_person_did_since_the_last_update(app, make, letter, clock):
    vol, team = letter.volunteer, letter.team
    other_item = make.item(letter.project)
    expert = make.member(letter.project, "expert")
    thread = make.discussion(
        letter.project, vol, item=letter.item, board="Item discussions", body="Old #fern"
    )
    with make.context():  # the previous update went out after that first comment
        previous = newsletters.create(
            _user(team), db.session.get(Project, letter.project.id), subject="Old", body="Old"
        )
        previous.state, previous.started_at = "sent", utcnow()
    clock.advance(hours=1)
    make.comment(thread, vol, "A #fern again")
    second = make.discussion(
        letter.project, vol, item=other_item, board="Item discussions", body="#moss here"
    )
    make.discussion(letter.project, vol, title="General", body="On a general board")
    gone = make.comment(second, vol, "Deleted later")
    with make.context():
        discussions.delete_comment(_user(vol), db.session.get(Comment, gone.id))
        p = db.session.get(Project, letter.project.id)
        fern = db.session.scalar(select(Tag).where(Tag.project_id == p.id, Tag.name == "fern"))
        moss = db.session.scalar(select(Tag).where(Tag.project_id == p.id, Tag.name == "moss"))
        e = _user(expert)
        curation.set_verdict(e, db.session.get(Item, letter.item.id), fern, "verified")
        curation.set_verdict(e, db.session.get(Item, other_item.id), moss, "rejected")
    with app.app_context():
        found = newsletter_mail.contribution(_letter(letter), _user(vol))
        assert (found.comments, found.items, found.verified_tags) == (3, 2, 1)
        mail = newsletter_mail.render(_letter(letter), _user(vol))
    sentence = (
        "Since the last update you wrote 3 comments on 2 items, and experts verified 1 of "
        "your tags."
    )
    assert "Hello Val Volunteer," in mail.html and sentence in mail.html
    assert "Hello Val Volunteer," in mail.text and sentence in mail.text


def test_a_batch_counts_each_person_from_their_own_consent_before_a_first_update(
    app, make, letter, clock
):
    """The worker counts a batch of recipients in three queries: each person's numbers stay
    their own, from the moment THEY asked for updates (no update went out before), and a
    verified tag used in two comments counts once."""
    early, late = letter.volunteer, make.user("late", display_name="Lee Late")
    never = make.user("never")  # no consent: everything counts
    expert = make.member(letter.project, "expert")
    clock.advance(minutes=1)  # after the fixture's volunteer asked for updates
    thread = make.discussion(
        letter.project, early, item=letter.item, board="Item discussions", body="A #fern"
    )
    make.comment(thread, early, "The #fern again")
    make.comment(thread, late, "Before I asked")
    make.comment(thread, never, "Anything #fern")
    clock.advance(hours=1)
    with make.context():
        p = db.session.get(Project, letter.project.id)
        consent.opt_in(_user(late), p, source="settings")
    clock.advance(hours=1)
    make.comment(thread, late, "After I asked, #fern")
    with make.context():
        p = db.session.get(Project, letter.project.id)
        fern = db.session.scalar(select(Tag).where(Tag.project_id == p.id, Tag.name == "fern"))
        curation.set_verdict(_user(expert), db.session.get(Item, letter.item.id), fern, "verified")
    with app.app_context():
        ids = [early.id, late.id, never.id]
        found = newsletter_mail.contributions(_letter(letter), ids)
        counts = {
            i: (c.comments, c.items, c.verified_tags, c.since_last_update) for i, c in found.items()
        }
    assert counts == {
        early.id: (2, 1, 1, False),  # two comments with #fern: its verdict counts once
        late.id: (1, 1, 1, False),
        never.id: (1, 1, 1, False),
    }


def test_personal_block_without_activity_greets_only_and_can_be_turned_off(app, letter):
    with app.app_context():
        mail = newsletter_mail.render(_letter(letter), _user(letter.volunteer))
        assert "Hello Val Volunteer," in mail.html and "you wrote" not in mail.html
        newsletters.update(_user(letter.team), _letter(letter), personal=False)
        mail = newsletter_mail.render(_letter(letter), _user(letter.volunteer))
        assert "Hello" not in mail.html and "Hello" not in mail.text
        assert "List-Unsubscribe" in mail.headers  # still a recipient's email


def test_the_test_send_reaches_the_composer_through_smtp_marked_test(app, letter, smtp):
    with app.app_context():
        newsletter_mail.send_test(_user(letter.team), _letter(letter))
        db.session.commit()
        delivery.drain("test-worker", rng=random.Random(1))
    (email,) = smtp.received
    assert email["To"] == f"{letter.team.username}@example.org"
    assert str(email["Subject"]) == "[Test] Spring news"
    assert "Herbarium sheets" in str(email["From"])
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = parts(email)
    assert "THIS IS A TEST" in plain and "Hello Tess Team," in plain
    Page(html).check_accessible()
    assert "volunteers have not received it" in html
    with app.app_context():
        (row,) = db.session.scalars(select(OutboxMessage))
        assert (row.category, row.user_id, row.state) == ("newsletter", letter.team.id, "sent")


def test_the_test_send_needs_composing_and_a_confirmed_address(app, make, letter):
    with app.app_context():
        with pytest.raises(PermissionDenied):
            newsletter_mail.send_test(_user(letter.volunteer), _letter(letter))
        other_team = make.member(make.project(), "team")
        with pytest.raises(PermissionDenied):
            newsletter_mail.send_test(_user(other_team), _letter(letter))
        team = _user(letter.team)
        team.email_verified_at = None
        with pytest.raises(InvalidInput) as refused:
            newsletter_mail.send_test(team, _letter(letter))
        assert "email" in refused.value.fields
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_test_sends_are_rate_limited(app, letter):
    app.config["TALK_RATE_LIMITS"] = True
    app.config["TALK_RATE_LIMIT_NEWSLETTER_TESTS_PER_ACCOUNT"] = "2 per hour"
    with app.test_request_context():
        newsletter = _letter(letter)
        team = _user(letter.team)
        newsletter_mail.send_test(team, newsletter)
        newsletter_mail.send_test(team, newsletter)
        with pytest.raises(RateLimited):
            newsletter_mail.send_test(team, newsletter)
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 2


@pytest.mark.parametrize(
    ("counts", "since_last", "sentence"),
    [
        ((0, 0, 0), True, ""),
        ((1, 1, 0), True, "Since the last update you wrote 1 comment on 1 item."),
        ((2, 0, 0), False, "Since you asked for updates you wrote 2 comments."),
        ((0, 0, 3), True, "Since the last update experts verified 3 of your tags."),
        (
            (5, 2, 1),
            False,
            "Since you asked for updates you wrote 5 comments on 2 items, and experts verified "
            "1 of your tags.",
        ),
    ],
)
def test_the_personal_sentence_reads_well_for_any_counts(counts, since_last, sentence):
    found = newsletter_mail.Contribution(*counts, since=utcnow(), since_last_update=since_last)
    assert found.sentence() == sentence
