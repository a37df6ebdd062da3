"""``GET/PUT /api/v1/me/projects/{slug}/updates``: the caller's own consent, recorded with source
``api`` and the words GET shows; a table of what each request answers, and what it changes."""

from __future__ import annotations

import pytest

from notifications import consent
from notifications.newsletter_models import ConsentEvent
from talk.extensions import db
from talk.models import Project, User
from talk.policy import OPERATOR
from talk.services import projects, tokens

URL = "/api/v1/me/projects/{}/updates"


@pytest.fixture
def site(make):
    return make.project("herbarium", title="Wessex herbarium"), make.user("vol")


def recorded(app):
    with app.app_context():
        rows = db.session.query(ConsentEvent).order_by(ConsentEvent.id)
        return [(e.user_id, e.opted_in, e.source, e.wording) for e in rows]


def test_get_and_put_answer_for_the_caller_with_the_words(app, client, site, token):
    project, vol = site
    headers = token(vol)
    got = client.get(URL.format("herbarium"), headers=headers)
    assert got.status_code == 200
    body = got.get_json()
    with app.app_context():
        words = consent.wording(db.session.get(Project, project.id))
    assert body == {"opt_in": False, "changed_at": None, "wording": words}
    put = client.put(URL.format("herbarium"), json={"opt_in": True}, headers=headers)
    assert put.status_code == 200
    assert put.get_json()["opt_in"] is True and put.get_json()["changed_at"]
    assert (
        client.put(URL.format("herbarium"), json={"opt_in": True}, headers=headers).status_code
        == 200
    )
    assert recorded(app) == [(vol.id, True, "api", words)]  # the same answer again: nothing new
    out = client.put(URL.format("herbarium"), json={"opt_in": False}, headers=headers)
    assert out.get_json()["opt_in"] is False
    assert recorded(app)[-1] == (vol.id, False, "api", "")
    with app.app_context():
        person, place = db.session.get(User, vol.id), db.session.get(Project, project.id)
        assert not consent.is_opted_in(person, place)


@pytest.mark.parametrize(
    ("method", "slug", "body", "auth", "status"),
    [
        ("get", "herbarium", None, False, 401),
        ("put", "herbarium", {"opt_in": True}, False, 401),
        ("put", "nowhere", {"opt_in": True}, False, 401),
        ("get", "nowhere", None, True, 404),
        ("put", "nowhere", {"opt_in": True}, True, 404),
        ("put", "herbarium", {}, True, 422),
        ("put", "herbarium", {"opt_in": "true"}, True, 422),
        ("put", "herbarium", {"opt_in": 1}, True, 422),
        ("put", "herbarium", {"opt_in": None}, True, 422),
        ("put", "herbarium", {"opt_in": "yes"}, True, 422),
        ("put", "herbarium", {"opt_in": True, "source": "registration"}, True, 422),
        ("put", "herbarium", [True], True, 422),
        ("get", "herbarium", None, True, 200),
        ("put", "herbarium", {"opt_in": True}, True, 200),
        ("put", "herbarium", {"opt_in": False}, True, 200),
    ],
)
def test_statuses(app, client, site, token, method, slug, body, auth, status):
    _, vol = site
    headers = token(vol) if auth else {}
    kwargs = {"headers": headers} | ({"json": body} if body is not None else {})
    answer = getattr(client, method)(URL.format(slug), **kwargs)
    assert answer.status_code == status, answer.get_json()
    if status != 200:
        assert answer.get_json()["error"]["message"]
        assert recorded(app) == []  # a refusal changes nothing
    # a first "no" is an answer too, and recorded as one
    answered = method == "put" and status == 200
    expected = [(vol.id, body["opt_in"], "api")] if answered else []
    assert [row[:3] for row in recorded(app)] == expected


def test_a_token_limited_to_one_project_cannot_answer_for_another(app, client, make, site):
    _, vol = site
    make.project("registers")
    with app.app_context():
        person = db.session.get(User, vol.id)
        herbarium = projects.get_project("herbarium")
        raw = tokens.issue_token(OPERATOR, person, name="one", project=herbarium).secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert (
        client.put(URL.format("herbarium"), json={"opt_in": True}, headers=headers).status_code
        == 200
    )
    refused = client.put(URL.format("registers"), json={"opt_in": True}, headers=headers)
    assert refused.status_code == 403
    assert [row[:3] for row in recorded(app)] == [(vol.id, True, "api")]


def test_the_openapi_document_describes_it(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/api/v1/me/projects/{slug}/updates"]
    assert set(path) >= {"get", "put"}
    schemas = spec["components"]["schemas"]
    assert schemas["UpdatesAnswer"]["properties"]["opt_in"]["type"] == "boolean"
    assert set(schemas["UpdatesStanding"]["properties"]) == {"opt_in", "changed_at", "wording"}
