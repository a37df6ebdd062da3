"""A content check (policy.register_content_check) sees a tag group's title, description and
query before they are written, and its refusal is a clear 422 on the page and in the API, with
nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import TagGroup
from tests.conftest import login
from tests.talk.tag_groups.conftest import group_count
from tests.talk.web.pages import submit, text

BASE = "/projects/herbarium/groups"
API = "/api/v1/projects/herbarium/groups"
REFUSAL = "This text is not welcome here."


@pytest.fixture
def watched_word() -> Iterator[list[tuple[str, str, str]]]:
    """Refuse any text with the word "spam"; yields what each call was shown (kind, target's
    class name, text). Removed afterwards, so other tests run without it."""
    seen: list[tuple[str, str, str]] = []

    def check(actor: Any, kind: str, target: Any, text: str) -> None:
        if kind != "registration":  # the fixtures' accounts are checked too
            seen.append((kind, type(target).__name__, text))
        if "spam" in text.lower():
            raise InvalidInput(REFUSAL)

    policy.register_content_check(check)
    yield seen
    policy._CONTENT_CHECKS.remove(check)


def saved(app: Any) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(TagGroup.slug, TagGroup.title, TagGroup.description, TagGroup.query)
        )
        return [tuple(row) for row in rows]


def test_the_check_sees_the_text_a_group_brings_in(make, herbarium, group, watched_word):
    creator = make.user("creator")
    group(herbarium, creator, title="Nurses", description="Who nursed.", query="#nurse")
    assert watched_word == [("tag_group", "Project", "Nurses\nWho nursed.\n#nurse")]


def test_a_refused_group_is_422_on_the_pages_and_nothing_changes(
    app, client, make, herbarium, group, watched_word
):
    creator = make.user("creator")
    login(client, creator.username)
    response = submit(client, f"{BASE}/new", title="Spam corner", query="#nurse")
    assert response.status_code == 422
    assert REFUSAL in text(response)
    assert group_count(app) == 0

    group(herbarium, creator, title="Nurses", query="#nurse")
    before = saved(app)
    edit = f"{BASE}/nurses/edit"
    response = submit(client, edit, title="Nurses", description="spam, spam", query="#nurse")
    assert response.status_code == 422
    assert REFUSAL in text(response)
    assert saved(app) == before
    assert [kind for kind, _target, _text in watched_word] == ["tag_group"] * 3
    assert [target for _kind, target, _text in watched_word] == ["Project", "Project", "TagGroup"]


def test_a_refused_group_is_422_in_the_api_and_nothing_changes(
    app, client, make, herbarium, group, token, watched_word
):
    creator = make.user("creator")
    auth = token(creator)
    response = client.post(API, json={"title": "Nurses", "query": "#spam"}, headers=auth)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == {"code": "invalid", "message": REFUSAL, "fields": {}}
    assert group_count(app) == 0

    group(herbarium, creator, title="Nurses", query="#nurse")
    before = saved(app)
    response = client.patch(f"{API}/nurses", json={"description": "SPAM"}, headers=auth)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["message"] == REFUSAL
    assert saved(app) == before
