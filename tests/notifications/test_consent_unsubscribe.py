"""One-click unsubscribe from a project's updates (RFC 8058): the link in a real email (aiosmtpd)
withdraws the consent to that project's updates, without a login or CSRF token, once however
often it is posted; opening it changes nothing; the undo gives the consent again with the words
it shows; project B is untouched, and no token reaches it; what is unsubscribed, or closed, is
never in a newsletter's audience."""

from __future__ import annotations

import random
import re
from html import unescape

import pytest
from itsdangerous import URLSafeSerializer

from notifications import consent, delivery, newsletter_segments, outbox, unsubscribe
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import csrf_token
from tests.talk.web.pages import outline, squash, text


@pytest.fixture
def two_projects(app, make):
    """``vol`` (verified) opted in to two projects' updates."""
    herbarium = make.project("herbarium", title="Wessex herbarium")
    registers = make.project("registers", title="Nursing registers")
    vol = make.user("vol")
    with make.context():
        person = db.session.get(User, vol.id)
        for project in (herbarium, registers):
            consent.opt_in(person, db.session.get(Project, project.id), source="project-page")
    return vol, herbarium, registers


def answers(app, user, project):
    with app.app_context():
        person, place = db.session.get(User, user.id), db.session.get(Project, project.id)
        return [(e.opted_in, e.source, e.wording) for e in consent.history(person, place)]


def is_in(app, user, project):
    with app.app_context():
        place = db.session.get(Project, project.id)
        return consent.is_opted_in(db.session.get(User, user.id), place)


def audience(app, project):
    with app.app_context():
        place = db.session.get(Project, project.id)
        segment = newsletter_segments.validate(place, None)
        return set(db.session.scalars(newsletter_segments.audience(place, segment, utcnow())))


def mailed_link(app, smtp, user, project):
    """Send an email with the newsletter's headers over SMTP; the path its link names."""
    with app.test_request_context():
        person, place = db.session.get(User, user.id), db.session.get(Project, project.id)
        headers = unsubscribe.newsletter_unsubscribe_headers(person, place)
        assert headers["List-Unsubscribe"] == (
            f"<{unsubscribe.newsletter_unsubscribe_url(person, place)}>"
        )
        outbox.enqueue(
            to_address=person.email,
            subject="News from the herbarium",
            text="News.\n",
            category="newsletter",
            user=person,
            headers=headers,
        )
        db.session.commit()
    with app.app_context():
        assert delivery.drain("w", rng=random.Random(1)).outcomes == {"sent": 1}
    (email,) = smtp.received
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", str(email["List-Unsubscribe"]))
    assert url, email["List-Unsubscribe"]
    return re.sub(r"^https?://[^/]+", "", url.group(1))


def test_one_click_withdraws_that_projects_consent_once(app, smtp, two_projects):
    vol, herbarium, registers = two_projects
    link = mailed_link(app, smtp, vol, herbarium)
    assert vol.id in audience(app, herbarium)
    bare = app.test_client()  # no session, no CSRF token: a mail client's POST
    for _ in range(2):
        done = bare.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "You are unsubscribed" in text(done)
    assert answers(app, vol, herbarium) == [
        (True, "project-page", answers(app, vol, herbarium)[0][2]),
        (False, "unsubscribe", ""),
    ]  # the second POST recorded nothing
    assert not is_in(app, vol, herbarium)
    assert vol.id not in audience(app, herbarium)
    assert is_in(app, vol, registers)  # the other project's updates keep coming
    assert vol.id in audience(app, registers)


def test_opening_the_link_shows_a_button_and_changes_nothing(app, smtp, two_projects):
    vol, herbarium, _ = two_projects
    link = mailed_link(app, smtp, vol, herbarium)
    page = app.test_client().get(link)
    assert page.status_code == 200
    assert "Stop updates from Wessex herbarium?" in text(page)
    assert f'action="{link}"' in text(page)
    assert is_in(app, vol, herbarium)
    assert len(answers(app, vol, herbarium)) == 1


def test_undo_gives_the_consent_again_with_the_words_shown(app, two_projects):
    vol, herbarium, _ = two_projects
    with app.test_request_context():
        person, place = db.session.get(User, vol.id), db.session.get(Project, herbarium.id)
        link = unsubscribe.newsletter_unsubscribe_url(person, place)
        shown = consent.wording(place)
    path = re.sub(r"^https?://[^/]+", "", link)
    client = app.test_client()
    done = client.post(path)
    assert shown in unescape(squash(text(done)))  # the undo says what it agrees to
    (undo,) = [f for f in outline(done).find("form") if f["action"].endswith("/undo")]
    without_csrf = client.post(undo["action"], data={"wording": shown})
    assert without_csrf.status_code == 400  # only the unsubscribe itself is one-click
    token = csrf_token(client, path)
    ticket = re.search(r'name="ticket" value="([^"]+)"', text(done)).group(1)
    form = {"csrf_token": token, "ticket": ticket}
    changed = client.post(undo["action"], data={**form, "wording": "Anything"})
    assert changed.status_code == 409
    assert not is_in(app, vol, herbarium)
    again = client.post(undo["action"], data={**form, "wording": shown})
    assert again.status_code == 200
    assert "gets updates from Wessex herbarium again" in text(again)
    assert answers(app, vol, herbarium)[-1] == (True, "unsubscribe", shown)
    assert is_in(app, vol, herbarium)


def test_only_the_answer_page_of_a_fresh_unsubscribe_gives_the_consent_back(
    app, clock, two_projects
):
    """The link never expires and may be forwarded: whoever holds it must not be able to opt
    the person back in. An undo needs the ticket of the unsubscribe that just withdrew the
    consent, for an hour; posting to a link already unsubscribed gives no ticket."""
    vol, herbarium, _ = two_projects
    with app.test_request_context():
        person, place = db.session.get(User, vol.id), db.session.get(Project, herbarium.id)
        path = re.sub(r"^https?://[^/]+", "", unsubscribe.newsletter_unsubscribe_url(person, place))
        shown = consent.wording(place)
    owner = app.test_client()
    done = owner.post(path)
    ticket = re.search(r'name="ticket" value="([^"]+)"', text(done)).group(1)

    stranger = app.test_client()  # holds the forwarded link, not the owner's answer page
    token = csrf_token(stranger, path)
    again = stranger.post(path)  # already out: nothing withdrawn, so no undo offered
    assert 'name="ticket"' not in text(again)
    for forged in ("", "x", ticket[:-2] + "AA"):
        refused = stranger.post(
            f"{path}/undo", data={"csrf_token": token, "ticket": forged, "wording": shown}
        )
        assert refused.status_code == 403
    assert not is_in(app, vol, herbarium)

    owner_token = csrf_token(owner, path)
    clock.advance(seconds=unsubscribe.UNDO_SECONDS + 60)
    late = owner.post(
        f"{path}/undo", data={"csrf_token": owner_token, "ticket": ticket, "wording": shown}
    )
    assert late.status_code == 403
    assert not is_in(app, vol, herbarium)


def test_a_token_for_one_project_cannot_touch_another(app, two_projects):
    vol, herbarium, registers = two_projects
    with app.test_request_context():
        person, place = db.session.get(User, vol.id), db.session.get(Project, herbarium.id)
        token = unsubscribe.token_for(person, "newsletter", place)
        serializer = URLSafeSerializer("not the site's key", salt=unsubscribe.SALT)
        forged = serializer.dumps({"u": vol.id, "c": ["newsletter"], "p": registers.id})
        signature = token.rpartition(".")[2]
        other_payload = URLSafeSerializer(
            str(app.config["SECRET_KEY"]), salt=unsubscribe.SALT
        ).dumps({"u": vol.id, "c": ["newsletter"], "p": registers.id})
        spliced = other_payload.rpartition(".")[0] + "." + signature
    client = app.test_client()
    for bad in (forged, spliced, token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        for method in (client.get, client.post):
            refused = method(f"/unsubscribe/{bad}")
            assert refused.status_code == 400
    assert is_in(app, vol, registers) and is_in(app, vol, herbarium)


def test_newsletter_tokens_name_one_project_and_nothing_else(app, two_projects):
    vol, herbarium, _ = two_projects
    with app.test_request_context():
        person, place = db.session.get(User, vol.id), db.session.get(Project, herbarium.id)
        with pytest.raises(ValueError):
            unsubscribe.token_for(person, "newsletter")
        with pytest.raises(ValueError):
            unsubscribe.token_for(person, ["newsletter", "replies"], place)
        # signed with the site's key but site-wide: names nothing to withdraw
        site_wide = URLSafeSerializer(str(app.config["SECRET_KEY"]), salt=unsubscribe.SALT)
        loose = site_wide.dumps({"u": vol.id, "c": ["newsletter"], "p": None})
        mixed = site_wide.dumps({"u": vol.id, "c": ["newsletter", "replies"], "p": herbarium.id})
    for bad in (loose, mixed):
        assert app.test_client().post(f"/unsubscribe/{bad}").status_code == 400
    assert is_in(app, vol, herbarium)


def test_closed_accounts_and_withdrawn_consent_are_never_in_the_audience(app, make):
    project = make.project("herbarium")
    people = [make.user(f"vol{n}") for n in range(3)]
    with make.context():
        place = db.session.get(Project, project.id)
        for person in people:
            consent.opt_in(db.session.get(User, person.id), place, source="settings")
        consent.opt_out(db.session.get(User, people[1].id), place, source="unsubscribe")
        db.session.get(User, people[2].id).disabled_at = utcnow()
    assert audience(app, project) == {people[0].id}


def test_a_batchs_links_are_the_tokens_itsdangerous_signs(app, two_projects):
    """Each newsletter link is signed with the HMAC keyed once per batch: the very token
    itsdangerous writes, so either reads the other's (links already sent keep working)."""
    vol, herbarium, _ = two_projects
    site = URLSafeSerializer(str(app.config["SECRET_KEY"]), salt=unsubscribe.SALT)
    with app.test_request_context():
        place = db.session.get(Project, herbarium.id)
        link = unsubscribe.newsletter_unsubscribe_links(place)
        for user_id in (1, 9, 4_321, 2**40):
            token = link(User(id=user_id)).rpartition("/")[2]
            assert token == site.dumps({"u": user_id, "c": ["newsletter"], "p": place.id})
            assert site.loads(token) == {"u": user_id, "c": ["newsletter"], "p": place.id}
        subscription = unsubscribe.read(link(db.session.get(User, vol.id)).rpartition("/")[2])
        assert (subscription.user.id, subscription.project) == (vol.id, place)


def test_a_link_itsdangerous_signed_before_still_unsubscribes(app, two_projects):
    vol, herbarium, registers = two_projects
    site = URLSafeSerializer(str(app.config["SECRET_KEY"]), salt=unsubscribe.SALT)
    old = site.dumps({"u": vol.id, "c": ["newsletter"], "p": herbarium.id})
    done = app.test_client().post(f"/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not is_in(app, vol, herbarium)
    assert is_in(app, vol, registers)
