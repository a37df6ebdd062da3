"""The settings page for one's own API tokens: make (secret shown once), list, revoke."""

from __future__ import annotations

import re

from sqlalchemy import select

from talk.extensions import db
from talk.models import ApiToken
from tests.conftest import login
from tests.talk.web.pages import outline, squash, submit, text


def _secret(response):
    (field,) = [i for i in outline(response).find("input") if i.get("id") == "new-token-secret"]
    return field["value"]


def test_make_a_token_see_it_once_use_it_and_revoke_it(app, client, make):
    project = make.project("herbarium")
    make.user("grace")
    login(client, "grace")

    made = submit(client, "/settings/tokens", name="sync", project="herbarium", expires_days="30")
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    secret = _secret(made)
    assert secret.startswith("talk_")
    listing = squash(text(made))
    assert "sync" in listing and project.title in listing

    again = client.get("/settings/tokens")
    assert secret not in text(again)
    assert "Never" in text(again)  # last used

    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/projects", headers=auth).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "sync"))
    (form,) = [f for f in outline(again).find("form") if "/revoke" in f.get("action", "")]
    assert form["action"] == f"/settings/tokens/{token_id}/revoke"
    revoked = submit(client, "/settings/tokens", form["action"])
    assert revoked.status_code == 302
    assert client.get("/api/v1/projects", headers=auth).status_code == 401
    assert "You have no API tokens." in text(client.get("/settings/tokens"))


def test_an_unknown_project_is_shown_beside_its_field(app, client, make):
    make.user("grace")
    login(client, "grace")
    refused = submit(client, "/settings/tokens", name="x", project="nowhere", expires_days="")
    assert refused.status_code == 422
    page = outline(refused)
    assert page.find("p", id="project-error")
    assert 'href="#project"' in text(refused)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.id)) is None


def test_nobody_sees_or_revokes_someone_elses_tokens(app, client, make, token):
    owner = make.user("grace")
    token(owner)
    make.user("mallory")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    login(client, "mallory")
    assert "tests" not in re.sub(r"<[^>]+>", " ", text(client.get("/settings/tokens")))
    refused = submit(client, "/settings/tokens", f"/settings/tokens/{token_id}/revoke")
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id) is not None


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/settings/tokens")


def test_ones_own_profile_links_to_the_tokens(client, make):
    make.user("grace")
    make.user("ada")
    login(client, "grace")
    assert "/settings/tokens" in text(client.get("/users/grace"))
    assert "/settings/tokens" not in text(client.get("/users/ada"))
