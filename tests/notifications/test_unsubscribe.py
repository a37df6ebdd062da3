"""One-click unsubscribe (RFC 8058): the header arrives in a real email (aiosmtpd), a bare
client posts to it (no login, no CSRF token) and only its categories stop; opening the link
changes nothing; undo per category and of all; links sent when a token named one category still
work; links that are not ours are a clear 400, undo forms it cannot read a 422. Every email and
digest carrying the header: ``test_unsubscribe_emails.py``."""

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


def answer_form(page) -> tuple[dict[str, str], list[str]]:
    """The undo form of an answer page: its hidden fields, and its buttons' ``undo`` values."""
    html = text(page)
    fields = dict(re.findall(r'name="(csrf_token|before\.[a-z]+)" value="([^"]*)"', html))
    return fields, re.findall(r'<button type="submit" name="undo" value="([^"]+)"', html)


def link_for(app, person, categories, project=None) -> str:
    with app.test_request_context():
        user = db.session.get(User, person.id)
        place = None if project is None else db.session.get(Project, project.id)
        return re.sub(r"^https?://[^/]+", "", unsubscribe.unsubscribe_url(user, categories, place))


def test_undo_per_category_and_undo_all_bring_back_the_choices_made_before(app, make):
    vol = make.user("vol")
    with app.app_context():
        person = db.session.get(User, vol.id)
        preferences.set_choice(person, person, "follows", "weekly")
        preferences.set_choice(person, person, "mentions", "daily")
        db.session.commit()
    link = link_for(app, vol, ["follows", "mentions", "replies"])
    before = choices(app, vol)
    browser = app.test_client()
    done = browser.post(link)
    off = {"follows": "never", "mentions": "never", "replies": "never"}
    assert choices(app, vol) == before | off
    fields, buttons = answer_form(done)
    assert buttons == ["mentions", "replies", "follows", "all"]  # the settings page's order
    assert {k: v for k, v in fields.items() if k != "csrf_token"} == {
        "before.mentions": "daily",
        "before.replies": "default",  # no choice of its own: back to the default
        "before.follows": "weekly",
    }
    one = browser.post(f"{link}/undo", data=fields | {"undo": "follows"})
    assert one.status_code == 200
    assert "Done: you get emails about “New comments in" in text(one)
    assert choices(app, vol) == before | off | {"follows": "weekly"}
    fields, buttons = answer_form(one)
    assert buttons == ["mentions", "replies", "all"]  # what is still off
    every = browser.post(f"{link}/undo", data=fields | {"undo": "all"})
    assert every.status_code == 200
    assert "You get these emails again" in text(every)
    assert choices(app, vol) == before
    with app.app_context():  # the default again, not a copy of it
        assert preferences.stored_choice(db.session.get(User, vol.id), None, "replies") is None
    assert browser.post(f"{link}/undo", data={"undo": "all"}).status_code == 400  # CSRF


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            {"undo": "tags"}, "undo: one of all, mentions, replies", id="not-its-category"
        ),
        pytest.param({"undo": ""}, "undo: one of all, mentions, replies", id="no-undo"),
        pytest.param(
            {"before.replies": "hourly"}, "before.replies: one of default", id="bad-choice"
        ),
        pytest.param({"before.mentions": None}, "before.mentions: missing", id="missing-before"),
    ],
)
def test_an_undo_form_it_cannot_read_is_a_422_and_changes_nothing(app, make, change, problem):
    vol = make.user("vol")
    link = link_for(app, vol, ["mentions", "replies"])
    browser = app.test_client()
    fields, _ = answer_form(browser.post(link))
    after_unsubscribe = choices(app, vol)
    data = {k: v for k, v in (fields | {"undo": "all"} | change).items() if v is not None}
    refused = browser.post(f"{link}/undo", data=data)
    assert refused.status_code == 422
    assert problem in text(refused)
    assert choices(app, vol) == after_unsubscribe


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


def test_opening_a_link_of_several_categories_lists_them_and_changes_nothing(app, make):
    vol = make.user("vol")
    link = link_for(app, vol, ["replies", "mentions"])
    before = choices(app, vol)
    page = app.test_client().get(link)
    assert page.status_code == 200
    html = text(page)
    assert "Unsubscribe from these emails?" in html
    assert "“Someone mentions me (@name)”: immediately" in html
    assert "“Replies to my comments”: immediately" in html
    assert f'action="{link}"' in html
    assert choices(app, vol) == before


def test_links_sent_before_sets_of_categories_still_work(app, make):
    """A token of one category as a string (``{"u", "c": "replies", "p"}``), and the undo form
    its page had (``choice`` only)."""
    vol = make.user("vol")
    herbarium = make.project("herbarium")
    with app.app_context():
        person = db.session.get(User, vol.id)
        preferences.set_preferences(person, person, {"replies": "weekly"})
        db.session.commit()
    site = _forged(app, {"u": vol.id, "c": "replies", "p": None})
    here = _forged(app, {"u": vol.id, "c": "discussions", "p": herbarium.id})
    bare = app.test_client()
    assert "Unsubscribe from “Replies to my comments”?" in text(bare.get(f"/unsubscribe/{site}"))
    before = choices(app, vol)
    done = bare.post(f"/unsubscribe/{site}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert choices(app, vol) == before | {"replies": "never"}
    assert bare.post(f"/unsubscribe/{here}").status_code == 200
    assert choices(app, vol, herbarium)["discussions"] == "never"
    assert choices(app, vol)["discussions"] == "daily"
    csrf = csrf_token(bare, f"/unsubscribe/{site}")
    undone = bare.post(f"/unsubscribe/{site}/undo", data={"csrf_token": csrf, "choice": "weekly"})
    assert undone.status_code == 200
    assert choices(app, vol)["replies"] == "weekly"


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
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": [], "p": None}), id="none"
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": ["replies", "digest"], "p": None}),
            id="one-unknown-of-several",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": ["replies", "replies"], "p": None}),
            id="twice",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": [["replies"]], "p": None}),
            id="nested",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": True, "c": ["replies"], "p": None}),
            id="user-a-boolean",
        ),
        pytest.param(
            lambda app, good, uid: _forged(app, {"u": uid, "c": ["replies"], "p": None, "x": 1}),
            id="extra-key",
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
        bare.post(
            f"/unsubscribe/{token}/undo",
            data={"csrf_token": csrf, "undo": "all", "before.replies": "daily"},
        ),
    ):
        assert answer.status_code == 400, answer.request.path
        assert "This unsubscribe link does not work" in text(answer)
    assert choices(app, vol) == before


def test_only_the_unsubscribe_post_is_exempt_from_csrf(app, make):
    bare = app.test_client()
    assert bare.post("/settings/email/preferences").status_code == 400
    assert bare.post("/unsubscribe/x/undo").status_code == 400  # no token: refused either way
