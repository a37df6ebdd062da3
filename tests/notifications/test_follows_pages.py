"""Follow, unfollow and mute from the pages, as people do it: plain forms, no JavaScript."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notifications.follow_models import Follow, UserMute
from talk.extensions import db
from tests.conftest import csrf_token, login
from tests.talk.web.pages import Outline, squash, submit, text


def _pages(world):
    slug = world.project.slug
    return {
        "discussion": f"/discussions/{world.thread.id}",
        "item": f"/projects/{slug}/items/{world.item.external_id}",
        "board": f"/projects/{slug}/boards/{world.chat.id}",
        "tag": f"/projects/{slug}/tags/fern",
        "project": f"/projects/{slug}",
    }


def _form(page, action: str, level: str | None = None) -> dict[str, str]:
    """The hidden fields of the page's follow form posting to ``action``."""
    html = text(page)
    start = html.index(f'action="{action}"')
    form = html[start : html.index("</form>", start)]
    parser = Outline()
    parser.feed(form)
    fields = {a["name"]: a["value"] for a in parser.find("input")}
    if level:
        fields["level"] = level
    return fields


def _follows(app, user_id):
    with app.app_context():
        rows = db.session.scalars(select(Follow).where(Follow.user_id == user_id)).all()
        return {(row.kind, row.level) for row in rows}


@pytest.mark.parametrize("kind", ["discussion", "item", "board", "tag", "project"])
def test_follow_from_the_page_see_it_listed_and_unfollow(client, app, world, kind):
    login(client, "vol")
    page_url = _pages(world)[kind]
    page = client.get(page_url)
    assert "Follow<span" in text(page)
    fields = _form(page, "/follows", "follow")
    followed = client.post("/follows", data=fields, follow_redirects=True)
    assert followed.request.path == page_url.split("?")[0]
    assert "You follow “" in text(followed)
    assert f"You follow this {kind}" in squash(text(followed))
    assert _follows(app, world.volunteer.id) == {(kind, "follow")}

    listing = client.get("/me/follows")
    assert listing.status_code == 200
    assert f"{kind.capitalize()}: <a href=" in text(listing)
    unfollowed = client.post(
        "/follows/remove", data=_form(listing, "/follows/remove"), follow_redirects=True
    )
    assert unfollowed.request.path == "/me/follows"
    assert "You stopped following" in text(unfollowed)
    assert _follows(app, world.volunteer.id) == set()


def test_mute_a_thing_and_unmute_it(client, app, world):
    login(client, "vol")
    page = client.get(_pages(world)["board"])
    muted = client.post("/follows", data=_form(page, "/follows", "mute"), follow_redirects=True)
    assert "You muted this board" in text(muted)
    assert _follows(app, world.volunteer.id) == {("board", "mute")}
    client.post("/follows/remove", data=_form(muted, "/follows/remove"))
    assert _follows(app, world.volunteer.id) == set()


def test_a_visitor_sees_no_buttons_and_is_sent_to_log_in(client, app, world):
    page = client.get(_pages(world)["discussion"])
    assert 'action="/follows"' not in text(page)
    answer = client.post(
        "/follows",
        data={"csrf_token": csrf_token(client), "kind": "project", "project": "herbarium"},
    )
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert client.get("/me/follows").headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.scalars(select(Follow).where(Follow.origin == "chosen")).all() == []


@pytest.mark.parametrize("kind", ["discussion", "board"])
def test_what_one_may_not_read_cannot_be_followed(client, app, world, kind):
    login(client, "vol")
    target = world.secret if kind == "discussion" else world.team_room
    answer = submit(client, "/", "/follows", kind=kind, id=str(target.id))
    assert answer.status_code == 404
    assert _follows(app, world.volunteer.id) == set()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"kind": "planet", "id": "1"}, 422),
        ({"kind": "discussion", "id": "x"}, 422),
        ({"kind": "discussion", "id": "99999999999"}, 422),
        ({"kind": "discussion"}, 422),
        ({"kind": "tag", "project": "herbarium"}, 422),
        ({"kind": "tag", "project": "herbarium", "name": "nothing"}, 404),
        ({"kind": "project", "project": "herbarium", "level": "loud"}, 422),
    ],
)
def test_bad_follow_forms_answer_a_clear_4xx(client, app, world, fields, status):
    login(client, "vol")
    assert submit(client, "/", "/follows", **fields).status_code == status
    assert _follows(app, world.volunteer.id) == set()


def test_the_auto_follow_preference_is_on_by_default_and_can_be_turned_off(client, app, world):
    login(client, "vol")
    page = client.get("/me/follows")
    assert 'name="follow_on_posting" checked' in text(page)
    saved = submit(client, "/me/follows", "/me/follows/preferences", follow_on_posting="")
    assert saved.status_code == 302
    page = client.get("/me/follows")
    assert "Posting no longer follows a discussion." in text(page)
    assert 'name="follow_on_posting" checked' not in text(page)
    submit(client, f"/discussions/{world.thread.id}", body="A reply, unfollowed")
    assert _follows(app, world.volunteer.id) == set()
    submit(client, "/me/follows", "/me/follows/preferences", follow_on_posting="on")
    submit(client, f"/discussions/{world.thread.id}", body="A reply, followed")
    assert _follows(app, world.volunteer.id) == {("discussion", "follow")}
    assert "because you took part" in text(client.get("/me/follows"))


def test_mute_a_person_from_their_profile_and_unmute_from_the_follows_page(client, app, world):
    login(client, "vol")
    assert 'action="/users/vol/mute"' not in text(client.get("/users/vol"))  # not oneself
    muted = submit(client, "/users/other", "/users/other/mute", next="/users/other")
    assert muted.headers["Location"] == "/users/other"
    assert "You muted Otto Other." in squash(text(client.get("/users/other")))
    listing = client.get("/me/follows")
    assert "Otto Other" in text(listing)
    submit(client, "/me/follows", "/users/other/unmute")
    with app.app_context():
        assert db.session.scalars(select(UserMute)).all() == []


def test_the_header_links_to_the_follows_page_for_people_only(client, world):
    assert 'href="/me/follows"' not in text(client.get("/"))
    login(client, "vol")
    assert 'href="/me/follows">Following</a>' in text(client.get("/"))
