"""Asking for a project's updates on the pages: the project's page (and its joining question once
someone follows it), the settings page with the person's own record, and the sign-up form.
Each records its source and the exact words shown; nothing is ever ticked for anyone; every
form needs its CSRF token; words changed since they were shown are refused."""

from __future__ import annotations

from html import unescape

import pytest

from notifications import consent, follows
from notifications.newsletter_models import ConsentEvent, UpdatesConsent
from talk.extensions import db
from talk.models import Project, User
from talk.services import accounts, projects
from tests.conftest import csrf_token, login, register
from tests.talk.web.pages import outline, squash, text


def readable(page):
    """The page's HTML with entities decoded and white space squashed (words as read)."""
    return unescape(squash(text(page)))


def events(app, username, project):
    """``(opted_in, source, wording)`` of each answer ``username`` gave about ``project``."""
    with app.app_context():
        person = accounts.get_user(username)
        place = db.session.get(Project, project.id)
        return [(e.opted_in, e.source, e.wording) for e in consent.history(person, place)]


def words(app, project):
    with app.app_context():
        return consent.wording(db.session.get(Project, project.id))


def opted_in(app, username, project):
    with app.app_context():
        person = accounts.get_user(username)
        return consent.is_opted_in(person, db.session.get(Project, project.id))


def updates_forms(page):
    return [
        f for f in outline(page).find("form") if f.get("action", "").endswith("/updates/consent")
    ]


def form_fields(html, action):
    """The hidden fields and button of each form posting to ``action``, in page order."""
    found = []
    for chunk in html.split("<form")[1:]:
        head, _, _ = chunk.partition("</form>")
        if f'action="{action}"' not in head:
            continue
        fields = {}
        parser = outline_of(head)
        for field in parser.find("input"):
            fields[field["name"]] = field.get("value", "")
        found.append(fields)
    return found


def outline_of(html):
    from tests.talk.web.pages import Outline

    parser = Outline()
    parser.feed(html)
    return parser


def post_form(client, page, action, index=0, **changes):
    """Submit the ``index``-th form posting to ``action`` on ``page`` as a browser would."""
    fields = form_fields(text(client.get(page)), action)[index]
    return client.post(action, data=fields | changes)


# --------------------------------------------------------------------------- project page


def test_the_project_page_asks_with_the_words_and_records_them(app, client, make):
    project = make.project("herbarium", title="Wessex herbarium")
    make.user("vol")
    home = f"/projects/{project.slug}"
    assert not updates_forms(client.get(home))  # a visitor is not asked
    login(client, "vol")
    page = client.get(home)
    assert words(app, project) in readable(page)
    assert len(updates_forms(page)) == 1
    assert "Send me updates from this project" in text(page)
    answer = post_form(client, home, f"{home}/updates/consent")
    assert answer.status_code == 302 and answer.headers["Location"] == home
    assert events(app, "vol", project) == [(True, "project-page", words(app, project))]
    again = client.get(home)
    assert "You get this project's updates by email." in text(again)
    stopped = post_form(client, home, f"{home}/updates/consent")  # the "Stop updates" form
    assert stopped.status_code == 302
    assert [e[:2] for e in events(app, "vol", project)] == [
        (True, "project-page"),
        (False, "project-page"),
    ]
    assert not opted_in(app, "vol", project)


def test_project_page_forms_need_csrf_and_the_words_shown(app, client, make):
    project = make.project("herbarium", title="Wessex herbarium")
    make.user("vol")
    login(client, "vol")
    action = f"/projects/{project.slug}/updates/consent"
    fields = form_fields(text(client.get(f"/projects/{project.slug}")), action)[0]
    without_csrf = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post(action, data=without_csrf).status_code == 400
    assert client.post(action, data=fields | {"wording": "Send me anything"}).status_code == 409
    assert client.post(action, data=fields | {"opt_in": "maybe"}).status_code == 422
    assert client.post(action, data=fields | {"source": "api"}).status_code == 422
    missing = "/projects/nowhere/updates/consent"
    assert client.post(missing, data=fields).status_code == 404
    assert events(app, "vol", project) == []


def test_a_visitor_posting_the_form_is_sent_to_log_in_and_nothing_changes(app, client, make):
    project = make.project("herbarium")
    token = csrf_token(client, f"/projects/{project.slug}")
    answer = client.post(
        f"/projects/{project.slug}/updates/consent",
        data={"csrf_token": token, "opt_in": "yes", "wording": words(app, project)},
    )
    assert answer.status_code in (302, 401)
    with app.app_context():
        assert db.session.query(ConsentEvent).count() == 0


def test_following_a_project_asks_to_join_its_updates_as_a_separate_question(app, client, make):
    project = make.project("herbarium", title="Wessex herbarium")
    vol = make.user("vol")
    with make.context():
        follows.follow(db.session.get(User, vol.id), db.session.get(Project, project.id))
    login(client, "vol")
    home = f"/projects/{project.slug}"
    page = client.get(home)
    assert "As you follow this project: would you also like its updates by email?" in text(page)
    yes, no = form_fields(text(page), f"{home}/updates/consent")
    assert (yes["source"], yes["opt_in"], no["source"], no["opt_in"]) == (
        "join",
        "yes",
        "join",
        "no",
    )
    assert post_form(client, home, f"{home}/updates/consent", 1).status_code == 302  # no thanks
    assert events(app, "vol", project) == [(False, "join", "")]
    page = client.get(home)  # answered: no longer asked as joining, still offered
    assert "would you also like" not in text(page)
    assert "Send me updates from this project" in text(page)

    other = make.project("registers", title="Nursing registers")
    with make.context():
        follows.follow(db.session.get(User, vol.id), db.session.get(Project, other.id))
    there = f"/projects/{other.slug}"
    assert post_form(client, there, f"{there}/updates/consent", 0).status_code == 302
    assert events(app, "vol", other) == [(True, "join", words(app, other))]


# --------------------------------------------------------------------------- settings


def test_settings_list_my_projects_and_my_record(app, client, make):
    followed = make.project("herbarium", title="Wessex herbarium")
    posted = make.project("registers", title="Nursing registers")
    asked = make.project("logs", title="Ship's logs")
    make.project("other", title="Not mine")
    vol = make.user("vol")
    make.discussion(posted, vol)
    with make.context():
        person = db.session.get(User, vol.id)
        follows.follow(person, db.session.get(Project, followed.id))
        consent.opt_in(person, db.session.get(Project, asked.id), source="api")
    login(client, "vol")
    assert 'href="/settings/updates"' in text(client.get("/settings"))
    page = client.get("/settings/updates")
    html = readable(page)
    for project in (followed, posted, asked):
        assert project.title in html
    assert "Not mine" not in html
    assert words(app, asked) in html  # the record, with its words
    assert "through the API" in html
    # nothing is ticked: the page has buttons, and no checkbox at all
    assert not [i for i in outline(page).find("input") if i.get("type") == "checkbox"]

    forms = form_fields(text(page), "/settings/updates")
    by_project = {f["project"]: f for f in forms}
    assert by_project["logs"]["opt_in"] == "no"
    assert by_project["herbarium"]["opt_in"] == "yes"
    assert by_project["herbarium"]["wording"] == words(app, followed)
    done = client.post("/settings/updates", data=by_project["herbarium"])
    assert done.status_code == 302
    assert client.post("/settings/updates", data=by_project["logs"]).status_code == 302
    assert events(app, "vol", followed) == [(True, "settings", words(app, followed))]
    assert [e[:2] for e in events(app, "vol", asked)] == [(True, "api"), (False, "settings")]
    without_csrf = {k: v for k, v in by_project["registers"].items() if k != "csrf_token"}
    assert client.post("/settings/updates", data=without_csrf).status_code == 400
    assert events(app, "vol", posted) == []


def test_settings_refuse_what_they_cannot_read(app, client, make):
    make.project("herbarium")
    make.user("vol")
    login(client, "vol")
    token = csrf_token(client, "/settings/updates")
    for data, status in (
        ({"project": "nowhere", "opt_in": "no"}, 404),
        ({"project": "herbarium", "opt_in": "sure"}, 422),
        ({"project": "herbarium", "opt_in": "yes"}, 409),  # no words shown
    ):
        answer = client.post("/settings/updates", data=data | {"csrf_token": token})
        assert answer.status_code == status, data
    with app.app_context():
        assert db.session.query(UpdatesConsent).count() == 0


def test_old_newsletter_preference_rows_mean_nothing(app, client, make):
    project = make.project("herbarium")
    vol = make.user("vol")
    with make.context():
        from notifications.preferences_models import EmailPreference

        db.session.add_all(
            EmailPreference(user_id=vol.id, project_id=p, category="newsletter", choice="daily")
            for p in (None, project.id)
        )
    login(client, "vol")
    page = client.get("/settings/email")
    assert page.status_code == 200
    assert "choice-newsletter" not in text(page)
    assert not opted_in(app, "vol", project)


# --------------------------------------------------------------------------- sign-up


@pytest.mark.parametrize("came_from", ["/projects/herbarium", "/projects/herbarium/items"])
def test_signing_up_from_a_project_offers_an_unticked_box(app, client, make, came_from):
    make.project("herbarium", title="Wessex herbarium")
    page = client.get(f"/register?next={came_from}")
    (box,) = [i for i in outline(page).find("input") if i.get("name") == "extra.updates"]
    assert box["type"] == "checkbox" and box["value"] == "herbarium"
    assert "checked" not in box
    with app.app_context():
        shown = consent.wording(projects.get_project("herbarium"))
    assert shown in readable(page)


def test_signing_up_elsewhere_asks_nothing(client, make):
    make.project("herbarium")
    for page in ("/register", "/register?next=/settings", "/register?next=/projects/nowhere"):
        boxes = [i for i in outline(client.get(page)).find("input") if "extra" in i["name"]]
        assert boxes == [], page


def test_a_ticked_box_is_consent_once_the_address_is_confirmed(app, client, make, mailbox):
    project = make.project("herbarium", title="Wessex herbarium")
    page = "/register?next=/projects/herbarium"
    answer = register(client, mailbox, page, **{"extra.updates": "herbarium"})
    assert answer.status_code == 302
    assert events(app, "ada", project) == [(True, "registration", words(app, project))]


def test_an_unticked_box_is_no_consent(app, client, make, mailbox):
    project = make.project("herbarium")
    assert register(client, mailbox, "/register?next=/projects/herbarium").status_code == 302
    assert events(app, "ada", project) == []
    assert not opted_in(app, "ada", project)


def test_a_refused_sign_up_keeps_only_the_persons_own_tick(client, make):
    make.project("herbarium")
    page = "/register?next=/projects/herbarium"
    for ticked in (True, False):
        data = {"username": "ada", "email": "ada@example.org", "password": "short"}
        data |= {"confirm": "short", "csrf_token": csrf_token(client, page)}
        if ticked:
            data["extra.updates"] = "herbarium"
        refused = client.post(page, data=data)
        assert refused.status_code == 422
        (box,) = [i for i in outline(refused).find("input") if i.get("name") == "extra.updates"]
        assert ("checked" in box) is ticked


def test_oversized_extra_answers_are_a_422_and_mail_nothing(client, make, mailbox):
    make.project("herbarium")
    page = "/register?next=/projects/herbarium"
    data = {
        "username": "ada",
        "email": "ada@example.org",
        "password": "long enough password",
        "confirm": "long enough password",
        "csrf_token": csrf_token(client, page),
        "extra.updates": "x" * 300,
    }
    refused = client.post(page, data=data)
    assert refused.status_code == 422
    assert "too long" in text(refused)
    assert mailbox.sent == []


def test_signing_up_from_a_discussion_asks_about_its_project(client, make):
    project = make.project("herbarium")
    thread = make.discussion(project, make.user("vol"))
    page = client.get(f"/register?next=/discussions/{thread.id}")
    (box,) = [i for i in outline(page).find("input") if i.get("name") == "extra.updates"]
    assert box["value"] == "herbarium" and "checked" not in box
