"""Saving, changing and deleting groups through the service: addresses, checks, permissions."""

import pytest
from sqlalchemy import func, select

from talk.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from talk.extensions import db
from talk.models import Project, TagGroup, User
from talk.services import tag_groups


def _slugs(app, project):
    with app.app_context():
        return list(
            db.session.scalars(
                select(TagGroup.slug).where(TagGroup.project_id == project.id).order_by(TagGroup.id)
            )
        )


def test_a_groups_address_comes_from_its_title_and_is_unique_in_the_project(
    app, make, herbarium, group
):
    alice = make.user("alice")
    for title in ["Église & nurses", "Église & Nurses!", "New", "Preview", "護士", "護士", "  x  "]:
        group(herbarium, alice, title=title)
    group(herbarium, alice, title="A" * 70 + " tail")
    group(herbarium, alice, title="A" * 70 + " other")
    group(make.project("other"), alice, title="Église & nurses")

    assert _slugs(app, herbarium) == [
        "eglise-nurses",
        "eglise-nurses-2",
        "new-2",
        "preview-2",
        "group",
        "group-2",
        "x",
        "a" * 64,
        "a" * 62 + "-2",
    ]
    assert _slugs(app, make.project("third")) == []


def test_creating_stores_the_query_as_typed_with_who_and_when(app, make, herbarium, group, clock):
    alice = make.user("alice")
    saved = group(
        herbarium,
        alice,
        title="  Nurses  ",
        query="  #Nurse and NOT #army ",
        description="Sheets about nursing.\n\nSecond paragraph.",
        verified_only=True,
    )
    assert (saved.title, saved.query, saved.verified_only) == (
        "Nurses",
        "#Nurse and NOT #army",
        True,
    )
    assert saved.description == "Sheets about nursing.\n\nSecond paragraph."
    assert saved.created_by_id == alice.id
    assert saved.created_at == saved.updated_at == clock.now


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"query": "  "}, "query"),
        ({"query": "#nurse #army"}, "query"),
        ({"query": "NOT #army"}, "query"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_bad_values_are_refused_per_field_and_nothing_is_saved(app, make, herbarium, values, field):
    alice = make.user()
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        arguments = {"title": "Nurses", "query": "#nurse", **values}
        with pytest.raises(InvalidInput) as refused:
            tag_groups.create_group(db.session.get(User, alice.id), project, **arguments)
        assert list(refused.value.fields) == [field]
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(TagGroup)) == 0


def test_editing_changes_what_is_given_and_keeps_the_address(app, make, herbarium, group, clock):
    alice = make.user()
    saved = group(herbarium, alice, title="Nurses", query="#nurse", description="Old")
    clock.advance(hours=2)
    with make.context():
        project = db.session.get(Project, herbarium.id)
        found = tag_groups.get_group(project, saved.slug)
        tag_groups.edit_group(
            db.session.get(User, alice.id), found, title="Nurses and matrons", query="#matron"
        )
    with app.app_context():
        found = tag_groups.get_group(db.session.get(Project, herbarium.id), saved.slug)
        assert (found.slug, found.title, found.query, found.description) == (
            "nurses",
            "Nurses and matrons",
            "#matron",
            "Old",
        )
        assert found.updated_at == clock.now and found.created_at < found.updated_at


def test_who_may_create_change_and_delete(app, make, herbarium, group):
    creator, other = make.user("creator"), make.user("other")
    moderator = make.member(herbarium, "moderator")
    expert = make.member(herbarium, "expert")
    saved = group(herbarium, creator)
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        found = tag_groups.get_group(project, saved.slug)
        with pytest.raises(NotAuthenticated):
            tag_groups.create_group(None, project, title="T", query="#nurse")
        for outsider in (other, expert):
            with pytest.raises(PermissionDenied):
                tag_groups.edit_group(db.session.get(User, outsider.id), found, title="Mine")
            with pytest.raises(PermissionDenied):
                tag_groups.delete_group(db.session.get(User, outsider.id), found)
        tag_groups.edit_group(db.session.get(User, moderator.id), found, title="Moderated")
        tag_groups.edit_group(db.session.get(User, creator.id), found, verified_only=True)
        tag_groups.delete_group(db.session.get(User, moderator.id), found)
        with pytest.raises(NotFound):
            tag_groups.get_group(project, saved.slug)


def test_listing_goes_by_address_in_pages(app, make, herbarium, group):
    alice = make.user()
    for title in ["Charlie", "Alpha", "Echo", "Bravo", "Delta"]:
        group(herbarium, alice, title=title)
    group(make.project("other"), alice, title="Aardvark")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        first = tag_groups.list_groups(project, cursor=None, limit=3)
        rest = tag_groups.list_groups(project, cursor=first.next_cursor, limit=3)
    assert [g.slug for g in first.rows] == ["alpha", "bravo", "charlie"]
    assert [g.slug for g in rest.rows] == ["delta", "echo"]
    assert rest.next_cursor is None
