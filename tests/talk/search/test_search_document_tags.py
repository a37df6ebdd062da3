"""``search_document_tags`` (migration 0033), the tag filter's stored set: after every write that
changes what carries a tag, it holds exactly the documents of what carries it (a comment through
its uses, a discussion, an item) and the tag's own document, on both engines."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import and_, select

from talk.extensions import db
from talk.models import Comment, Discussion, Item, Project, Tag, User
from talk.models.tags import DiscussionTag, ItemTag, TagUse
from talk.search import schema
from talk.services import curation, discussions, threads
from tests.moderation.prevention_helpers import decide, post, watch


def _expected() -> set[tuple[int, int]]:
    """(tag id, document id) worked out from the sources, as the filter did before 0033."""
    doc = schema.documents
    pairs: set[tuple[int, int]] = set()
    for tag_id, source_id, kind in (
        (TagUse.tag_id, TagUse.comment_id, "comment"),
        (DiscussionTag.tag_id, DiscussionTag.discussion_id, "discussion"),
        (ItemTag.tag_id, ItemTag.item_id, "item"),
    ):
        joined = doc.join(source_id.class_, and_(doc.c.kind == kind, doc.c.source_id == source_id))
        pairs |= {
            (t, d) for t, d in db.session.execute(select(tag_id, doc.c.id).select_from(joined))
        }
    own = select(doc.c.source_id, doc.c.id).where(doc.c.kind == "tag")
    return pairs | {(t, d) for t, d in db.session.execute(own)}


def _by_document(pairs: set[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for tag_id, document_id in sorted(pairs):
        found.setdefault(document_id, []).append(tag_id)
    return found


def _tag_ids() -> dict[int, list[int]] | None:
    """PostgreSQL: each document's ``tag_ids`` (migration 0034), sorted, leaving out documents
    with none; None on SQLite, which has no such column."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    doc = schema.documents
    rows = db.session.execute(select(doc.c.id, doc.c.tag_ids))
    return {d: sorted(tags) for d, tags in rows if tags}


@pytest.fixture
def tagged(make: Any) -> Any:
    """``tagged()``: the stored pairs, checked equal to the sources' (the invariant) and, on
    PostgreSQL, to the documents' ``tag_ids``, as ``{(tag name, kind, source id)}`` to assert
    on."""

    def read() -> set[tuple[str, str, int]]:
        with make.context():
            pairs = schema.document_tags
            stored = {
                (t, d) for t, d in db.session.execute(select(pairs.c.tag_id, pairs.c.document_id))
            }
            assert stored == _expected()
            assert _tag_ids() in (None, _by_document(stored))
            doc = schema.documents
            named = (
                select(Tag.name, doc.c.kind, doc.c.source_id)
                .select_from(pairs)
                .join(Tag, Tag.id == pairs.c.tag_id)
                .join(doc, doc.c.id == pairs.c.document_id)
            )
            return {(n, k, s) for n, k, s in db.session.execute(named)}

    return read


@pytest.fixture
def site(make: Any) -> SimpleNamespace:
    project = make.project("herbarium")
    moderator = make.member(project, "moderator", username="mod")
    ann = make.user("ann")
    sheet, other = make.items(project, 2, prefix="sheet")
    thread = make.discussion(project, ann, item=sheet, title="Label", body="A #fern label")
    reply = make.comment(thread, ann, "Looks like #moss to me")
    return SimpleNamespace(
        project=project,
        moderator=moderator,
        ann=ann,
        sheet=sheet,
        other=other,
        thread=thread,
        reply=reply,
    )


def _tag_id(make: Any, name: str) -> int:
    with make.context():
        return db.session.scalar(select(Tag.id).where(Tag.name == name))


def _as(user: SimpleNamespace) -> User:
    found = db.session.get(User, user.id)
    assert found is not None
    return found


def test_a_tagged_comment_tags_its_comment_discussion_item_and_the_tag_itself(make, site, tagged):
    assert tagged() == {
        ("fern", "comment", site.thread.first_comment_id),
        ("fern", "discussion", site.thread.id),
        ("fern", "item", site.sheet.id),
        ("fern", "tag", _tag_id(make, "fern")),
        ("moss", "comment", site.reply.id),
        ("moss", "discussion", site.thread.id),
        ("moss", "item", site.sheet.id),
        ("moss", "tag", _tag_id(make, "moss")),
    }


def test_editing_a_comments_tags_moves_its_rows(make, site, tagged, edit_comment):
    edit_comment(site.reply, site.ann, "No, #lichen")
    found = tagged()
    assert ("moss", "comment", site.reply.id) not in found
    assert not any(name == "moss" for name, _, _ in found)  # unused: its document went too
    assert {("lichen", "comment", site.reply.id), ("lichen", "item", site.sheet.id)} <= found


def test_deleting_hiding_and_unhiding_a_comment(make, site, tagged, delete_comment):
    with make.context():
        discussions.hide_comment(_as(site.moderator), db.session.get(Comment, site.reply.id))
    assert not any(name == "moss" for name, _, _ in tagged())
    with make.context():
        discussions.unhide_comment(_as(site.moderator), db.session.get(Comment, site.reply.id))
    assert ("moss", "comment", site.reply.id) in tagged()
    delete_comment(site.reply, site.ann)
    assert not any(source == site.reply.id for _, kind, source in tagged() if kind == "comment")


def test_a_held_comment_carries_its_tags_once_approved(make, site, tagged):
    watch(make, site.project, "scoundrel", action="hold")
    held = post(make, site.thread, site.ann, "A #lichen scoundrel")
    assert held.held
    assert not any(name == "lichen" for name, _, _ in tagged())
    decide(make, site.moderator, held.id)
    assert {("lichen", "comment", held.id), ("lichen", "discussion", site.thread.id)} <= tagged()


def test_moving_merging_and_splitting_threads(make, site, tagged):
    with make.context():
        threads.move_discussion(
            _as(site.moderator),
            db.session.get(Discussion, site.thread.id),
            item=db.session.get(Item, site.other.id),
        )
    found = tagged()
    assert ("fern", "item", site.other.id) in found
    assert not any(kind == "item" and source == site.sheet.id for _, kind, source in found)

    second = make.discussion(site.project, site.ann, title="Another", body="More #moss here")
    with make.context():
        threads.merge_discussions(
            _as(site.moderator),
            db.session.get(Discussion, second.id),
            db.session.get(Discussion, site.thread.id),
        )
    found = tagged()
    assert not any(kind == "discussion" and source == second.id for _, kind, source in found)
    assert ("moss", "comment", second.first_comment_id) in found

    with make.context():
        split = threads.split_comments(
            _as(site.moderator),
            db.session.get(Discussion, site.thread.id),
            [site.reply.id],
            "About the moss",
        )
        split_id = split.id
    assert ("moss", "discussion", split_id) in tagged()


def test_merging_a_tag_into_another_moves_its_rows(make, site, tagged):
    with make.context():
        project = db.session.get(Project, site.project.id)
        moss = db.session.scalar(select(Tag).where(Tag.name == "moss"))
        fern = db.session.scalar(select(Tag).where(Tag.name == "fern"))
        assert project is not None and moss is not None and fern is not None
        curation.merge(_as(site.project.owner), moss, fern)
    found = tagged()
    assert ("fern", "comment", site.reply.id) in found
    assert not any(name == "moss" for name, _, _ in found)


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_the_migration_fills_it_from_what_exists_and_its_downgrade_drops_it(
    app, make, site, tagged
):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    before = tagged()
    with app.app_context():
        db.session.remove()
        downgrade(revision="0032_talk_unlisted_discussions")
        assert "search_document_tags" not in inspect(db.engine).get_table_names()
        columns = {c["name"] for c in inspect(db.engine).get_columns("search_documents")}
        assert "tag_ids" not in columns
        db.session.remove()
        upgrade()
    assert tagged() == before and len(before) == 8
    make.comment(site.thread, site.ann, "And #lichen")  # the triggers are back
    assert ("lichen", "discussion", site.thread.id) in tagged()
