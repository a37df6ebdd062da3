"""A project's updates through the JSON API: who may do what (a status table per role), the
team's fields hidden from everyone else, drafts indistinguishable from missing ids, and bad
input answered 4xx naming the problem without changing anything."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from notifications import consent, newsletters, outbox
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter, NewsletterDelivery
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User

API = "/api/v1/projects/herbarium/newsletters"


@pytest.fixture
def place(make: Any) -> SimpleNamespace:
    """A project with a draft and a sent update (one delivery, sent), its people in every role,
    and another project's team."""
    project = make.project("herbarium", title="Herbarium sheets")
    people = SimpleNamespace(
        anonymous=None,
        volunteer=make.user("vol", display_name="Val Volunteer"),
        other_team=make.member(make.project("letters"), "team", username="elsewhere"),
        team=make.member(project, "team", username="teammate"),
        admin=make.member(project, "admin", username="projectadmin"),
        site_admin=make.admin(),
    )
    with make.context():
        p = db.session.get(Project, project.id)
        team = db.session.get(User, people.team.id)
        vol = db.session.get(User, people.volunteer.id)
        consent.opt_in(vol, p, source="settings")
        draft = newsletters.create(team, p, subject="Draft news", body="Not yet")
        sent = newsletters.create(team, p, subject="Spring news", body="We found **ferns**")
        sent.state, sent.started_at, sent.finished_at, sent.recipient_count = (
            "sent",
            utcnow(),
            utcnow(),
            1,
        )
        message = outbox.enqueue(
            to_address=vol.email, subject="Spring news", text="x", category="newsletter", user=vol
        )
        message.state, message.sent_at = "sent", utcnow()
        db.session.add(
            NewsletterDelivery(
                newsletter=sent, user=vol, state="sent", outbox_id=message.id, created_at=utcnow()
            )
        )
        db.session.flush()
        draft_id, sent_id = draft.id, sent.id
    return SimpleNamespace(project=project, people=people, draft=draft_id, sent=sent_id)


def _headers(token: Any, place: SimpleNamespace, role: str) -> dict[str, str]:
    person = getattr(place.people, role)
    return {} if person is None else token(person)


TEAM_ROLES = ("team", "admin", "site_admin")
OUTSIDERS = ("anonymous", "volunteer", "other_team")


@pytest.mark.parametrize("role", OUTSIDERS + TEAM_ROLES)
def test_status_table_per_role(app, client, token, place, role):
    headers = _headers(token, place, role)
    team = role in TEAM_ROLES
    hidden = 200 if team else 404  # a draft is not there for outsiders
    write = 401 if role == "anonymous" else 404  # an anonymous write stops before any lookup
    sent_write = 401 if role == "anonymous" else 403
    draft, sent = f"{API}/{place.draft}", f"{API}/{place.sent}"

    listing = client.get(API, headers=headers)
    assert listing.status_code == 200
    assert [row["subject"] for row in listing.get_json()["data"]] == (
        ["Spring news", "Draft news"] if team else ["Spring news"]
    )
    assert client.get(draft, headers=headers).status_code == hidden
    assert client.get(f"{draft}/deliveries", headers=headers).status_code == hidden
    shown = client.get(sent, headers=headers)
    assert shown.status_code == 200
    assert ("deliveries" in shown.get_json()) is team  # the team's fields, for the team only

    expected = {
        ("patch", draft): 200 if team else write,
        ("post", f"{draft}/test"): 202 if team else write,
        ("post", f"{draft}/schedule"): 200 if team else write,
        ("post", f"{draft}/cancel"): 200 if team else write,
        ("patch", sent): 409 if team else sent_write,
        ("post", f"{sent}/schedule"): 409 if team else sent_write,
        ("post", f"{sent}/cancel"): 409 if team else sent_write,
        ("delete", sent): 409 if team else sent_write,
        ("get", f"{sent}/deliveries"): 200 if team else sent_write,
        ("delete", draft): 204 if team else write,
    }
    payloads = {
        "patch": {"subject": "Changed"},
        "schedule": {"at": "now"},
    }
    for (method, url), status in expected.items():
        payload = payloads.get(url.rsplit("/", 1)[-1], payloads.get(method))
        kwargs = {"json": payload or {}} if method != "get" else {}
        answer = getattr(client, method)(url, headers=headers, **kwargs)
        assert answer.status_code == status, (method, url, answer.get_json())
    created = client.post(API, json={"subject": "New", "body": "Hello"}, headers=headers)
    assert created.status_code == (201 if team else 401 if role == "anonymous" else 403)
    with app.app_context():
        if not team:  # nothing an outsider tried changed anything
            row = db.session.get(Newsletter, place.draft)
            assert (row.subject, row.state) == ("Draft news", "draft")
            assert len(db.session.scalars(select(OutboxMessage)).all()) == 1  # the fixture's
        assert db.session.get(Newsletter, place.sent).state == "sent"


def test_a_draft_is_created_with_an_estimate_and_shown_whole_to_the_team(client, token, place):
    headers = token(place.people.team)
    created = client.post(
        API,
        json={"subject": "Autumn", "body": "# Ferns\n\nMore **ferns**", "personal": False},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "draft" and body["segment"] == {"kind": "everyone"}
    assert body["recipient_count"] == 1  # the volunteer opted in
    assert body["personal"] is False
    assert "<h2>Ferns</h2>" in body["body_html"]
    assert body["url"].endswith(f"/projects/herbarium/updates/{body['id']}")
    assert body["deliveries"] == dict.fromkeys(body["deliveries"], 0)
    again = client.patch(
        f"{API}/{body['id']}",
        json={"segment": {"kind": "active", "days": 30}},
        headers=headers,
    )
    assert again.status_code == 200
    assert again.get_json()["recipient_count"] == 0
    assert again.get_json()["segment_text"].startswith("Volunteers who commented")


def test_outsiders_see_the_sent_update_as_the_archive_does(client, token, place):
    body = client.get(f"{API}/{place.sent}", headers=token(place.people.volunteer)).get_json()
    assert body["subject"] == "Spring news" and "<strong>ferns</strong>" in body["body_html"]
    assert body["sent_at"] is not None
    for name in ("segment", "recipient_count", "deliveries", "personal", "scheduled_at"):
        assert name not in body


def test_deliveries_are_paged_with_usernames_and_never_addresses(client, token, place):
    answer = client.get(
        f"{API}/{place.sent}/deliveries",
        query_string={"limit": 1},
        headers=token(place.people.team),
    )
    assert answer.status_code == 200
    page = answer.get_json()
    (row,) = page["data"]
    assert row["username"] == "vol" and row["state"] == "sent" and row["sent_at"]
    assert "@" not in str(page)
    assert page["next_cursor"] is None
    bad = client.get(
        f"{API}/{place.sent}/deliveries",
        query_string={"cursor": "garbage"},
        headers=token(place.people.team),
    )
    assert bad.status_code == 422 and "cursor" in bad.get_json()["error"]["fields"]


def test_team_counts_come_with_the_detail(client, token, place):
    body = client.get(f"{API}/{place.sent}", headers=token(place.people.admin)).get_json()
    assert body["recipient_count"] == 1
    assert body["deliveries"]["sent"] == 1 and body["deliveries"]["failed"] == 0


def test_scheduling_a_sent_update_says_so_and_changes_nothing(app, client, token, place):
    headers = token(place.people.team)
    answer = client.post(f"{API}/{place.sent}/schedule", json={"at": "now"}, headers=headers)
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "newsletter_already_sent" and "already sent" in error["message"]
    with app.app_context():
        row = db.session.get(Newsletter, place.sent)
        assert (row.state, row.scheduled_at) == ("sent", None)


def test_scheduling_at_a_time_and_cancelling(client, token, place):
    headers = token(place.people.team)
    later = "2099-05-01T09:30:00+02:00"
    answer = client.post(f"{API}/{place.draft}/schedule", json={"at": later}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "scheduled"
    assert answer.get_json()["scheduled_at"].startswith("2099-05-01T07:30:00")
    cancelled = client.post(f"{API}/{place.draft}/cancel", json={}, headers=headers)
    assert cancelled.get_json()["state"] == "cancelled"
    assert client.post(f"{API}/{place.draft}/cancel", json={}, headers=headers).status_code == 409


def test_the_test_send_queues_one_email_to_the_caller(app, client, token, place):
    answer = client.post(f"{API}/{place.draft}/test", json={}, headers=token(place.people.team))
    assert answer.status_code == 202
    assert answer.get_json() == {
        "to_address": "teammate@example.org",
        "subject": "[Test] Draft news",
    }
    with app.app_context():
        (row,) = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "teammate@example.org")
        )
        assert row.subject == "[Test] Draft news" and row.category == "newsletter"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "Hello"}, "subject"),
        ({"subject": "News"}, "body"),
        ({"subject": "", "body": "Hello"}, "subject"),
        ({"subject": "x" * 201, "body": "Hello"}, "subject"),
        ({"subject": "Two\nlines", "body": "Hello"}, "subject"),
        ({"subject": "News", "body": "Hello", "segment": ["active"]}, "segment"),
        ({"subject": "News", "body": "Hello", "segment": 3}, "segment"),
        ({"subject": "News", "body": "Hello", "segment": {"kind": "nope"}}, "segment.kind"),
        ({"subject": "News", "body": "Hello", "segment": {"kind": "active"}}, "segment.days"),
        (
            {"subject": "News", "body": "Hello", "segment": {"kind": "lapsed", "days": 9999}},
            "segment.days",
        ),
        (
            {
                "subject": "News",
                "body": "Hello",
                "segment": {"kind": "board_followers", "board_id": 1e9},
            },
            "segment.board_id",
        ),
        (
            {"subject": "News", "body": "Hello", "segment": {"kind": "tag_followers", "tag": "x"}},
            "segment.tag",
        ),
        (
            {"subject": "News", "body": "Hello", "segment": {"kind": "tag_group", "group": "x"}},
            "segment.group",
        ),
        ({"subject": "News", "body": "Hello", "personal": "yes"}, "personal"),
        ({"subject": "News", "body": "Hello", "sender": "me"}, "sender"),
        ({"subject": "News\x00", "body": "Hello"}, "subject"),
    ],
)
def test_bad_drafts_are_refused_naming_the_field(app, client, token, place, payload, field):
    answer = client.post(API, json=payload, headers=token(place.people.team))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(Newsletter).where(Newsletter.id > place.sent)) is None


@pytest.mark.parametrize(
    "at",
    [
        "tomorrow",
        "2020-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2099-01-01T09:00:00",
        5,
        None,
        "x" * 100,
    ],
)
def test_bad_times_are_refused_naming_at(app, client, token, place, at):
    answer = client.post(
        f"{API}/{place.draft}/schedule", json={"at": at}, headers=token(place.people.team)
    )
    assert answer.status_code == 422, answer.get_json()
    assert "at" in answer.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Newsletter, place.draft).state == "draft"


def test_ids_and_projects_that_do_not_match_answer_404(make, client, token, place):
    other = make.project("letters-two", owner=place.people.site_admin)
    headers = token(place.people.site_admin)
    for url in (
        f"{API}/{2**31 - 1}",
        f"{API}/{2**31}",
        f"{API}/99999999999999999999",
        f"/api/v1/projects/{other.slug}/newsletters/{place.draft}",
        f"/api/v1/projects/nope/newsletters/{place.draft}",
        "/api/v1/projects/nope/newsletters",
    ):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 404, url
        assert answer.get_json()["error"]["code"] == "not_found"


def test_a_write_without_json_is_refused(client, token, place):
    answer = client.post(API, data="subject=x", headers=token(place.people.team))
    assert answer.status_code == 415


def test_the_openapi_document_lists_the_newsletter_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    names = [p for p in paths if "/newsletters" in p]
    assert any(p.endswith("/deliveries") for p in names) and len(names) == 6
