"""One-click unsubscribe (RFC 8058), end to end: the header arrives in a real email (aiosmtpd),
a bare client posts to it (no login, no CSRF token) and only that category stops; opening the
link changes nothing; undo; links that are not ours are a clear 400."""

from __future__ import annotations

import random
import re

import pytest
from itsdangerous import URLSafeSerializer

from notifications import delivery, outbox, preferences, unsubscribe
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import csrf_token
from tests.talk.web.pages import text


def choices(app, user, project=None):
    with app.app_context():
        person = db.session.get(User, user.id)
        place = None if project is None else db.session.get(Project, project.id)
        return {c: preferences.chosen(person, place, c) for c in preferences.PREFERENCE_CATEGORIES}


def mailed_link(app, smtp, user, category, project=None):
    """Queue a notification with the unsubscribe headers, deliver it over SMTP, and return the
    path of the link in the received email's ``List-Unsubscribe``."""
    with app.test_request_context():
        person = db.session.get(User, user.id)
        place = None if project is None else db.session.get(Project, project.id)
        outbox.enqueue(
            to_address=person.email,
            subject="Someone replied",
            text="Someone replied.\n",
            category=category,
            user=person,
            headers=unsubscribe.unsubscribe_headers(person, category, place),
        )
        db.session.commit()
    with app.app_context():
        assert delivery.drain("w", rng=random.Random(1)).outcomes == {"sent": 1}
    (email,) = smtp.received
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", str(email["List-Unsubscribe"]))
    assert url, email["List-Unsubscribe"]
    return re.sub(r"^https?://[^/]+", "", url.group(1))


def test_one_click_from_the_received_email_stops_only_that_category(app, smtp, make):
    vol = make.user("vol")
    link = mailed_link(app, smtp, vol, "replies")
    before = choices(app, vol)
    bare = app.test_client()  # no session, no CSRF token: a mail client's POST
    done = bare.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in text(done)
    assert choices(app, vol) == before | {"replies": "never"}
    again = bare.post(link, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert choices(app, vol) == before | {"replies": "never"}


def test_opening_the_link_shows_a_button_and_changes_nothing(app, smtp, make):
    vol = make.user("vol")
    link = mailed_link(app, smtp, vol, "mentions")
    before = choices(app, vol)
    page = app.test_client().get(link)
    assert page.status_code == 200
    assert "Unsubscribe from “Someone mentions me (@name)”?" in text(page)
    assert f'action="{link}"' in text(page)
    assert choices(app, vol) == before


def test_undo_brings_back_the_choice_made_before(app, make):
    vol = make.user("vol")
    with app.test_request_context():
        person = db.session.get(User, vol.id)
        preferences.set_choice(person, person, "follows", "weekly")
        link = re.sub(r"^https?://[^/]+", "", unsubscribe.unsubscribe_url(person, "follows"))
        db.session.commit()
    browser = app.test_client()
    done = browser.post(link)
    assert choices(app, vol)["follows"] == "never"
    fields = dict(re.findall(r'name="(csrf_token|choice)" value="([^"]*)"', text(done)))
    assert fields["choice"] == "weekly"
    undone = browser.post(f"{link}/undo", data=fields)
    assert undone.status_code == 200
    assert "you get these emails again" in text(undone)
    assert choices(app, vol)["follows"] == "weekly"
    assert browser.post(f"{link}/undo", data={"choice": "weekly"}).status_code == 400  # CSRF


def test_a_project_link_stops_the_category_in_that_project_only(app, make):
    vol = make.user("vol")
    herbarium, letters = make.project("herbarium"), make.project("letters")
    with app.test_request_context():
        person = db.session.get(User, vol.id)
        project = db.session.get(Project, herbarium.id)
        link = unsubscribe.unsubscribe_url(person, "discussions", project)
        db.session.commit()
    assert app.test_client().post(link).status_code == 200
    assert choices(app, vol, herbarium)["discussions"] == "never"
    assert choices(app, vol, letters)["discussions"] == "daily"
    assert choices(app, vol)["discussions"] == "daily"


def _forged(app, payload, salt=unsubscribe.SALT, key=None):
    with app.app_context():
        secret = key or str(app.config["SECRET_KEY"])
        return URLSafeSerializer(secret, salt=salt).dumps(payload)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda app, good, uid: good[:-3] + "AAA", id="tampered"),
        pytest.param(lambda app, good, uid: good.replace(".", ""), id="cut"),
        pytest.param(lambda app, good, uid: "not-a-token", id="garbage"),
        pytest.param(
            lambda app, good, uid: _forged(
                app, {"u": uid, "c": "replies", "p": None}, salt="talk.account-email.verify"
            ),
            id="other-purpose",
        ),
        pytest.param(
            lambda app, good, uid: _forged(
                app, {"u": uid, "c": "replies", "p": None}, key="another key"
            ),
            id="other-key",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": "account", "p": None}),
            id="account-category",
        ),
        pytest.param(lambda app, good, uid: _forged(app, [uid, "replies"]), id="not-a-dict"),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": "1", "c": "replies", "p": None}),
            id="user-not-a-number",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid + 999, "c": "replies", "p": None}),
            id="no-such-user",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": "replies", "p": 9999}),
            id="no-such-project",
        ),
    ],
)
def test_links_that_are_not_ours_are_a_clear_400_and_change_nothing(app, make, make_token):
    vol = make.user("vol")
    with app.test_request_context():
        good = unsubscribe.token_for(db.session.get(User, vol.id), "replies")
    before = choices(app, vol)
    token = make_token(app, good, vol.id)
    bare = app.test_client()
    csrf = csrf_token(bare, "/login")
    for answer in (
        bare.get(f"/unsubscribe/{token}"),
        bare.post(f"/unsubscribe/{token}"),
        bare.post(f"/unsubscribe/{token}/undo", data={"csrf_token": csrf, "choice": "daily"}),
    ):
        assert answer.status_code == 400, answer.request.path
        assert "This unsubscribe link does not work" in text(answer)
    assert choices(app, vol) == before


def test_only_the_unsubscribe_post_is_exempt_from_csrf(app, make):
    bare = app.test_client()
    assert bare.post("/settings/email/preferences").status_code == 400
    assert bare.post("/unsubscribe/x/undo").status_code == 400  # no token: refused either way
