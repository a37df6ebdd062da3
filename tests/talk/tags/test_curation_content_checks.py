"""A content check (policy.register_content_check) sees a curated tag's description and link
before they are written, and its refusal is a clear 422 on the page and in the API, with nothing
changed."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, Tag, TagAction, User
from talk.services import curation
from tests.conftest import login
from tests.talk.web.pages import submit, text

API = "/api/v1/projects/herbarium"
REFUSAL = "This text is not welcome here."


@pytest.fixture
def watched_word() -> Iterator[list[tuple[str, Any, str]]]:
    """Refuse any text with the word "spam"; yields what each call was shown (kind, target's
    class name and name, text). Removed afterwards, so other tests run without it."""
    seen: list[tuple[str, Any, str]] = []

    def check(actor: Any, kind: str, target: Any, text: str) -> None:
        seen.append((kind, f"{type(target).__name__}:{getattr(target, 'name', '')}", text))
        if "spam" in text.lower():
            raise InvalidInput(REFUSAL)

    policy.register_content_check(check)
    yield seen
    policy._CONTENT_CHECKS.remove(check)


@pytest.fixture
def curator(make: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    return make.member(herbarium, "expert", username="curator")


def state(app: Any) -> tuple[Any, ...]:
    """The curated tags (name, description, link), how many tag rows there are (curating an
    unused name makes its row before the checks run) and how many actions are recorded."""
    with app.app_context():
        curated = db.session.execute(
            select(Tag.name, Tag.description, Tag.authority_uri)
            .where(Tag.curated_at.is_not(None))
            .order_by(Tag.name)
        ).all()
        tags = db.session.scalar(select(func.count()).select_from(Tag))
        actions = db.session.scalar(select(func.count()).select_from(TagAction))
        return tuple(curated), tags, actions


def curate_orchid(make: Any, herbarium: SimpleNamespace, curator: SimpleNamespace) -> None:
    with make.context():
        curation.curate(
            db.session.get(User, curator.id),
            db.session.get(Project, herbarium.id),
            "orchid",
            description="Orchids.",
        )


def test_the_check_sees_the_description_and_link_of_the_tag_being_curated(
    make, herbarium, curator, watched_word
):
    with make.context():
        actor = db.session.get(User, curator.id)
        project = db.session.get(Project, herbarium.id)
        tag = curation.curate(
            actor,
            project,
            "orchid",
            description="Orchids.",
            authority_uri="https://viaf.org/viaf/1",
        )
        curation.edit(actor, tag, description="All orchids.")
        curation.edit(actor, tag, description="All orchids.")  # unchanged: nothing to check
    assert watched_word == [
        ("tag_name", "Project:", "orchid"),
        ("tag_description", "Tag:orchid", "Orchids.\nhttps://viaf.org/viaf/1"),
        ("tag_description", "Tag:orchid", "All orchids."),
    ]


def test_a_refused_description_is_422_on_the_pages_and_nothing_changes(
    app, client, make, herbarium, curator, watched_word
):
    login(client, "curator")
    vocabulary = f"/projects/{herbarium.slug}/vocabulary"
    before = state(app)
    response = submit(client, vocabulary, name="orchid", description="Cheap spam here")
    assert response.status_code == 422
    assert REFUSAL in text(response)
    assert state(app) == before

    curate_orchid(make, herbarium, curator)
    before = state(app)
    tag_page = f"/projects/{herbarium.slug}/tags/orchid"
    response = submit(client, tag_page, f"{tag_page}/edit", description="Spam!", authority_uri="")
    assert response.status_code == 422
    assert REFUSAL in text(response)
    assert state(app) == before


def test_a_refused_description_is_422_in_the_api_and_nothing_changes(
    app, client, make, herbarium, curator, token, watched_word
):
    auth = token(curator)
    before = state(app)
    response = client.post(
        f"{API}/vocabulary", json={"name": "orchid", "description": "spam"}, headers=auth
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == {"code": "invalid", "message": REFUSAL, "fields": {}}
    assert state(app) == before

    curate_orchid(make, herbarium, curator)
    before = state(app)
    response = client.patch(
        f"{API}/tags/orchid/curation", json={"description": "more SPAM"}, headers=auth
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["message"] == REFUSAL
    assert state(app) == before


def test_names_a_curator_brings_in_are_checked_and_a_refusal_changes_nothing(
    app, client, make, herbarium, curator, token, watched_word
):
    auth = token(curator)
    before = state(app)
    curated = client.post(
        f"{API}/vocabulary", json={"name": "spamorchid", "description": "Orchids."}, headers=auth
    )
    assert (curated.status_code, curated.get_json()["error"]["message"]) == (422, REFUSAL)
    with_synonym = client.post(
        f"{API}/vocabulary",
        json={"name": "orchid", "synonyms": ["orchis", "spamflower"]},
        headers=auth,
    )
    assert with_synonym.status_code == 422
    assert watched_word[-1] == ("tag_name", "Project:", "orchid\norchis\nspamflower")
    assert state(app) == before

    curate_orchid(make, herbarium, curator)
    before = state(app)
    synonym = client.post(f"{API}/tags/orchid/synonyms", json={"name": "spamorchis"}, headers=auth)
    assert synonym.status_code == 422
    renamed = client.post(f"{API}/tags/orchid/rename", json={"new_name": "spam"}, headers=auth)
    assert renamed.status_code == 422
    assert watched_word[-1] == ("tag_name", "Project:", "spam")
    assert state(app) == before
    with app.app_context():
        names = db.session.scalars(select(Tag.name)).all()
    assert names == ["orchid"]
