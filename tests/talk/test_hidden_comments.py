"""A moderator hides a comment: it leaves search, tags, mentions and counts like a deleted one,
moderators still read it, and showing it again brings everything back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from talk.extensions import db
from talk.models import Comment, Discussion, Mention
from tests.conftest import login
from tests.talk.tags.tag_counts import recounted_state, stored_state
from tests.talk.web.pages import form_values, squash, submit, text


def found(client: Any, query: str) -> list[int]:
    response = client.get("/api/v1/search", query_string={"q": query, "project": "herbarium"})
    assert response.status_code == 200
    return [row["id"] for row in response.get_json()["data"] if row["kind"] == "comment"]


def state(app: Any, project_id: int) -> dict[str, Any]:
    with app.app_context():
        stored = stored_state(project_id)
        assert stored == recounted_state(project_id)
        return stored["tags"]


def test_hiding_takes_a_comment_out_of_search_tags_mentions_and_counts_and_back(app, client, make):
    project = make.project("herbarium")
    moderator = make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    make.user("eleanor")
    item = make.item(project)
    thread = make.discussion(project, volunteer, item=item, body="A pressed #orchid")
    rude = make.comment(thread, volunteer, "Zanzibar quarrel #orchid #rude @eleanor")
    assert found(client, '"zanzibar quarrel"') == [rude.id]
    assert state(app, project.id) == {"orchid": (2, 1, 1, 1), "rude": (1, 1, 1, 1)}

    login(client, "mod")
    page = f"/discussions/{thread.id}"
    response = submit(client, page, f"/comments/{rude.id}/hide", reason="Off topic")
    assert response.status_code == 302

    assert found(client, '"zanzibar quarrel"') == []
    assert found(client, "zanzibar") == []
    assert state(app, project.id) == {"orchid": (1, 1, 1, 1)}
    with app.app_context():
        assert db.session.scalars(select(Mention).where(Mention.comment_id == rude.id)).all() == []
        assert db.session.get(Discussion, thread.id).comment_count == 1
    html = squash(text(client.get(page)))
    assert "Zanzibar quarrel" in html and "Hidden</strong> by mod" in html and "Off topic" in html
    api = client.get(f"/api/v1/comments/{rude.id}").get_json()
    assert (api["hidden"], api["body"], api["body_html"]) == (True, None, "")

    anonymous = app.test_client()
    html = squash(text(anonymous.get(page)))
    assert "Zanzibar" not in html and "Hidden by a moderator: Off topic." in html
    assert anonymous.get(f"/comments/{rude.id}/history").status_code == 404
    assert "Zanzibar" not in text(anonymous.get("/projects/herbarium/comments"))

    submit(client, page, f"/comments/{rude.id}/unhide")
    assert found(client, '"zanzibar quarrel"') == [rude.id]
    assert state(app, project.id) == {"orchid": (2, 1, 1, 1), "rude": (1, 1, 1, 1)}
    with app.app_context():
        assert db.session.get(Discussion, thread.id).comment_count == 2
        assert db.session.scalars(select(Mention).where(Mention.comment_id == rude.id)).all()
    assert moderator.username == "mod"


def test_only_moderators_hide_and_the_author_cannot_edit_a_hidden_comment(app, client, make):
    project = make.project("herbarium")
    make.member(project, "moderator", username="mod")
    make.member(project, "expert", username="expert")
    volunteer = make.user("vol")
    thread = make.discussion(project, volunteer, body="Fine")
    comment = make.comment(thread, volunteer, "Something to hide")
    page = f"/discussions/{thread.id}"

    for username in ("vol", "expert"):
        login(client, username)
        assert "Hide<span" not in text(client.get(page))
        assert submit(client, page, f"/comments/{comment.id}/hide").status_code == 403
    assert client.post(f"/comments/{comment.id}/hide").status_code == 400  # no CSRF token

    login(client, "mod")
    assert submit(client, page, f"/comments/{comment.id}/hide", reason="x" * 501).status_code == 422
    assert submit(client, page, f"/comments/{comment.id}/hide").status_code == 302
    assert submit(client, page, f"/comments/{comment.id}/hide").status_code == 403  # hidden already

    login(client, "vol")
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert submit(client, page, f"/comments/{comment.id}/delete").status_code == 403
    assert submit(client, page, f"/comments/{comment.id}/unhide").status_code == 403
    with app.app_context():
        assert db.session.get(Comment, comment.id).body == "Something to hide"


def test_a_hidden_comment_leaves_the_counts_once_and_is_never_quoted(app, client, make):
    project = make.project("herbarium")
    make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    thread = make.discussion(project, volunteer, body="First")
    secret = make.comment(thread, volunteer, "Zanzibar secret")
    login(client, "mod")
    page = f"/discussions/{thread.id}"
    submit(client, page, f"/comments/{secret.id}/hide")
    submit(client, page, f"/comments/{secret.id}/delete")  # moderators may delete it too
    with app.app_context():
        assert db.session.get(Discussion, thread.id).comment_count == 1

    other = make.comment(thread, volunteer, "Quarrel secret")
    submit(client, page, f"/comments/{other.id}/hide")
    make.user("stranger")
    login(client, "stranger")
    reply_form = text(client.get(f"{page}?reply_to={other.id}"))
    assert "Quarrel" not in reply_form
    login(client, "vol")  # the author reads their hidden text (and why), but never quotes it
    own = client.get(f"{page}?reply_to={other.id}")
    assert "Quarrel" in text(own) and "Quarrel" not in form_values(own).get("body", "")
