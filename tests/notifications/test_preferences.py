"""Email preferences (page, API, what the email side is told) and the person's delivery log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notifications import outbox, preferences
from notifications.models import OutboxMessage
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import csrf_token, login
from tests.talk.web.pages import text


def choice(app, user, category, project=None):
    with app.app_context():
        person = db.session.get(User, user.id)
        place = None if project is None else db.session.get(Project, project.id)
        return preferences.email_choice(person, place, category)


def test_defaults_mentions_and_replies_at_once_followed_things_daily(app, make):
    vol = make.user("vol")
    assert {c: choice(app, vol, c) for c in preferences.PREFERENCE_CATEGORIES} == {
        "mentions": "immediately",
        "replies": "immediately",
        "follows": "daily",
        "discussions": "daily",
        "tags": "daily",
        "verdicts": "immediately",
        "reports": "daily",
    }
    assert choice(app, vol, "account") == "immediately"
    assert choice(app, vol, "digest") == "immediately"


def test_the_settings_page_links_to_email_settings_which_change_without_javascript(
    app, client, make
):
    vol = make.user("vol")
    login(client, "vol")
    assert 'href="/settings/email"' in text(client.get("/settings"))
    page = client.get("/settings/email")
    assert page.status_code == 200
    assert 'name="choice-mentions"' in text(page)
    form = {"csrf_token": csrf_token(client, "/settings/email"), "choice-replies": "weekly"}
    form |= {"choice-follows": "weekly"}
    saved = client.post("/settings/email/preferences", data=form, follow_redirects=True)
    assert "Your email choices are saved." in text(saved)
    assert choice(app, vol, "replies") == "weekly"
    assert choice(app, vol, "follows") == "weekly"
    assert choice(app, vol, "mentions") == "immediately"


def test_a_bad_choice_on_the_page_is_a_422_naming_the_field_and_changes_nothing(app, client, make):
    vol = make.user("vol")
    login(client, "vol")
    form = {
        "csrf_token": csrf_token(client, "/settings/email"),
        "choice-replies": "weekly",
        "choice-mentions": "hourly",
        "everything_off": "on",
    }
    refused = client.post("/settings/email/preferences", data=form)
    assert refused.status_code == 422
    assert "choice-mentions" in text(refused)
    assert choice(app, vol, "replies") == "immediately"
    assert choice(app, vol, "mentions") == "immediately"
    with app.app_context():
        assert not preferences.everything_off(db.session.get(User, vol.id))


def test_everything_off_stops_all_but_account_mail(app, client, make):
    vol = make.user("vol")
    login(client, "vol")
    token = csrf_token(client, "/settings/email")
    client.post("/settings/email/preferences", data={"csrf_token": token, "everything_off": "on"})
    for category in (*preferences.PREFERENCE_CATEGORIES, "digest", "moderation"):
        assert choice(app, vol, category) == "never", category
    assert choice(app, vol, "account") == "immediately"
    assert "checked" in text(client.get("/settings/email"))
    client.post("/settings/email/preferences", data={"csrf_token": token})
    assert choice(app, vol, "mentions") == "immediately"


def test_a_project_choice_overrides_the_site_wide_one_there_only(app, client, make):
    vol = make.user("vol")
    herbarium = make.project("herbarium")
    letters = make.project("letters", title="Letters")
    login(client, "vol")
    token = csrf_token(client, "/settings/email")
    form = {"csrf_token": token, "project": "herbarium", "category": "follows"}
    saved = client.post("/settings/email/projects", data=form | {"choice": "never"})
    assert saved.status_code == 302
    assert choice(app, vol, "follows", herbarium) == "never"
    assert choice(app, vol, "follows", letters) == "daily"
    assert choice(app, vol, "follows") == "daily"
    assert "Herbarium sheets: New comments" in text(client.get("/settings/email"))
    unknown = client.post("/settings/email/projects", data=form | {"project": "nope"})
    assert unknown.status_code == 404
    bad = client.post("/settings/email/projects", data=form | {"choice": "sometimes"})
    assert bad.status_code == 422
    client.post("/settings/email/projects", data=form | {"choice": "site-wide"})
    assert choice(app, vol, "follows", herbarium) == "daily"


def test_unconfirmed_disabled_addresses_and_disabled_accounts_get_only_account_mail(app, make):
    vol = make.user("vol")
    with app.app_context():
        person = db.session.get(User, vol.id)
        person.email_verified_at = None
        assert preferences.why_not(person, None, "mentions") == "address-unverified"
        assert preferences.email_choice(person, None, "mentions") == "never"
        person.email_verified_at = utcnow()
        outbox.disable_address(person.email, "550 no such mailbox")
        assert preferences.why_not(person, None, "replies") == "address-disabled"
        outbox.enable_address(person.email)
        assert preferences.email_choice(person, None, "replies") == "immediately"
        person.disabled_at = utcnow()
        assert preferences.why_not(person, None, "replies") == "account-disabled"
        assert preferences.email_choice(person, None, "account") == "immediately"


def test_the_api_reads_and_changes_preferences(app, client, make, token):
    vol = make.user("vol")
    make.project("herbarium")
    headers = token(vol)
    got = client.get("/api/v1/me/email-preferences", headers=headers)
    assert got.status_code == 200
    body = got.get_json()
    assert body["categories"]["mentions"] == "immediately"
    assert body["defaults"]["follows"] == "daily"
    assert "newsletter" not in body["defaults"]  # project updates are a consent per project
    assert (body["everything_off"], body["projects"]) == (False, [])
    put = client.put(
        "/api/v1/me/email-preferences",
        json={
            "categories": {"replies": "weekly"},
            "projects": [{"project": "herbarium", "category": "tags", "choice": "never"}],
            "everything_off": True,
        },
        headers=headers,
    )
    assert put.status_code == 200, put.get_json()
    body = put.get_json()
    assert body["categories"]["replies"] == "weekly"
    assert body["projects"] == [{"project": "herbarium", "category": "tags", "choice": "never"}]
    assert body["everything_off"] is True
    assert choice(app, vol, "replies") == "never"  # everything off
    removed = client.put(
        "/api/v1/me/email-preferences",
        json={
            "projects": [{"project": "herbarium", "category": "tags", "choice": None}],
            "everything_off": False,
        },
        headers=headers,
    )
    assert removed.get_json()["projects"] == []
    assert choice(app, vol, "replies") == "weekly"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": {"replies": "hourly"}}, "categories"),
        ({"categories": {"gossip": "daily"}}, "categories"),
        ({"everything_off": "maybe"}, "everything_off"),
        ({"projects": [{"project": "herbarium", "category": "tags", "choice": "x"}]}, "projects"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_api_values_are_422_naming_the_field_and_change_nothing(
    app, client, make, token, body, field
):
    vol = make.user("vol")
    make.project("herbarium")
    headers = token(vol)
    answer = client.put(
        "/api/v1/me/email-preferences",
        json=body | {"categories": body.get("categories", {"mentions": "never"})},
        headers=headers,
    )
    assert answer.status_code == 422
    assert field in str(answer.get_json())
    assert choice(app, vol, "mentions") == "immediately"


def test_an_unknown_project_in_the_api_is_a_404_and_changes_nothing(app, client, make, token):
    vol = make.user("vol")
    answer = client.put(
        "/api/v1/me/email-preferences",
        json={
            "categories": {"mentions": "never"},
            "projects": [{"project": "nope", "category": "tags", "choice": "never"}],
        },
        headers=token(vol),
    )
    assert answer.status_code == 404
    assert choice(app, vol, "mentions") == "immediately"


# --------------------------------------------------------------------------- delivery log


def _log(app, make):
    vol, other = make.user("vol"), make.user("other")
    with app.app_context():
        me = db.session.get(User, vol.id)
        them = db.session.get(User, other.id)
        outbox.enqueue(
            to_address=me.email, subject="A reply to you", text="…", category="replies", user=me
        )
        preferences.skip(me, "digest", "empty-digest", "Your daily digest")
        preferences.skip(me, "replies", "muted-author", "Mallory replied")
        preferences.skip(them, "replies", "unsubscribed", "Otto's secret subject")
        db.session.commit()
    return vol, other


def test_the_delivery_log_shows_my_emails_only_with_readable_reasons(app, client, make):
    _log(app, make)
    login(client, "vol")
    page = text(client.get("/settings/email"))
    assert "A reply to you" in page
    assert "queued" in page
    assert "Your daily digest" in page
    assert "there was nothing new for the digest" in page
    assert "it was from someone you muted" in page
    assert "Otto" not in page


def test_the_deliveries_api_pages_my_emails_with_a_cursor(app, client, make, token):
    vol, other = _log(app, make)
    headers = token(vol)
    first = client.get("/api/v1/me/deliveries?limit=2", headers=headers).get_json()
    assert [row["subject"] for row in first["data"]] == ["Mallory replied", "Your daily digest"]
    assert first["data"][0]["state"] == "skipped"
    assert first["data"][0]["reason"] == "muted-author"
    assert first["data"][0]["reason_text"] == "it was from someone you muted"
    rest = client.get(
        "/api/v1/me/deliveries", query_string={"cursor": first["next_cursor"]}, headers=headers
    ).get_json()
    assert [row["subject"] for row in rest["data"]] == ["A reply to you"]
    assert rest["next_cursor"] is None
    theirs = client.get("/api/v1/me/deliveries", headers=token(other)).get_json()
    assert [row["subject"] for row in theirs["data"]] == ["Otto's secret subject"]
    assert client.get("/api/v1/me/deliveries").status_code == 401


def test_a_skip_needs_a_known_reason_and_category(app, make):
    vol = make.user("vol")
    with app.app_context():
        me = db.session.get(User, vol.id)
        with pytest.raises(InvalidInput):
            preferences.skip(me, "replies", "felt-like-it", "x")
        with pytest.raises(InvalidInput):
            preferences.skip(me, "gossip", "unsubscribed", "x")


def test_a_disabled_address_says_why_and_is_re_enabled_by_its_owner(app, client, make):
    vol = make.user("vol")
    with app.app_context():
        outbox.disable_address("vol@example.org", "550 5.1.1 mailbox unavailable")
        db.session.commit()
    login(client, "vol")
    page = text(client.get("/settings/email"))
    assert "Your address is disabled" in page
    assert "550 5.1.1 mailbox unavailable" in page
    token = csrf_token(client, "/settings/email")
    done = client.post(
        "/settings/email/reenable", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Talk emails your address again" in text(done)
    assert "Your address is disabled" not in text(done)
    assert choice(app, vol, "mentions") == "immediately"
    with app.app_context():
        sent = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.user_id == vol.id)
        ).all()
        assert [(m.subject, m.state) for m in sent] == [("Talk can email you again", "queued")]


def test_email_settings_need_a_login(client):
    assert client.get("/settings/email").status_code == 302
