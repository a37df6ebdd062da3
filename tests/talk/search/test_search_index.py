"""The index is kept by database triggers, so every write path keeps it exact: the services,
the CSV import, bulk inserts and plain SQL updates that no service sees."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update

from talk.extensions import db
from talk.models import Comment, Discussion, Item, Project
from talk.search import schema


def documents(app, **where) -> dict[str, int]:
    """Documents per kind (optionally only some project's)."""
    with app.app_context():
        query = select(schema.documents.c.kind, func.count()).group_by(schema.documents.c.kind)
        for name, value in where.items():
            query = query.where(schema.documents.c[name] == value)
        return dict(db.session.execute(query).all())


def test_every_visible_thing_has_exactly_one_document(app, make, delete_comment):
    project = make.project("herbarium")
    alice = make.user("alice")
    items = make.items(project, 3)
    thread = make.discussion(project, alice, item=items[0], title="One", body="First")
    second = make.comment(thread, alice, "Second #tagged")
    make.discussion(project, alice, title="Two", body="Third")
    assert documents(app) == {"item": 3, "discussion": 2, "comment": 3, "tag": 1}
    delete_comment(second, alice)
    # The deleted comment leaves the index, and so does the tag only it used.
    assert documents(app) == {"item": 3, "discussion": 2, "comment": 2}


def test_csv_import_is_indexed(app, runner, make, find, tmp_path):
    from talk.cli import cli

    project = make.project("herbarium")
    path = tmp_path / "items.csv"
    path.write_text("external_id,title,collector\ns-1,Orchis mascula,E. Ashworth\n")
    result = runner.invoke(cli, ["import-items", project.slug, str(path)])
    assert result.exit_code == 0, result.output
    (found,) = find("ashworth").rows
    assert (found.kind, found.item_external_id, found.title) == ("item", "s-1", "Orchis mascula")


def test_bulk_inserted_comments_are_indexed(app, make, find):
    project = make.project("herbarium")
    alice = make.user("alice")
    thread = make.discussion(project, alice, title="Bulk", body="first")
    now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    with app.app_context():
        db.session.execute(
            insert(Comment),
            [
                {
                    "project_id": project.id,
                    "discussion_id": thread.id,
                    "author_id": alice.id,
                    "body": f"bulk loaded marmoset {i}",
                    "body_html": "",
                    "created_at": now,
                }
                for i in range(50)
            ],
        )
        db.session.commit()
    # One thread, one result; each comment is found by its own words, its snippet cut from
    # its source when nothing rendered it.
    assert len(find("marmoset", limit=100).pairs) == 1
    assert {row.board_title for row in find("marmoset").rows} == {"Chat"}
    for i in (0, 17, 49):
        (row,) = find(f"marmoset {i}").rows
        assert str(row.snippet_html) == f"bulk loaded <mark>marmoset</mark> <mark>{i}</mark>"


def test_plain_sql_updates_are_followed(app, make, find, staff_room):
    project = make.project("herbarium")
    alice = make.user("alice")
    team = make.member(project, "team", username="staffer")
    item = make.item(project)
    thread = make.discussion(project, alice, title="Moving", body="A lemur comment")
    room = staff_room(project, team)
    with app.app_context():
        db.session.execute(
            update(Item).where(Item.id == item.id).values(item_metadata={"collector": "Okapi"})
        )
        db.session.execute(
            update(Discussion).where(Discussion.id == thread.id).values(board_id=room.id)
        )
        db.session.commit()
    assert find("botanist").pairs == []
    assert find("okapi").pairs == [("item", item.id)]
    # Its comments moved with the discussion: now only the team may find them.
    assert find("lemur", alice).pairs == []
    assert find("lemur", team).pairs == [("comment", thread.first_comment_id)]

    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == thread.first_comment_id)
            .values(deleted_at=datetime(2026, 3, 15, tzinfo=UTC))
        )
        db.session.commit()
    assert find("lemur", team).pairs == []
    with app.app_context():  # restored (e.g. by a moderator): found again
        db.session.execute(
            update(Comment).where(Comment.id == thread.first_comment_id).values(deleted_at=None)
        )
        db.session.commit()
    assert find("lemur", team).pairs == [("comment", thread.first_comment_id)]


def test_deleting_rows_deletes_their_documents(app, make):
    project = make.project("herbarium")
    other = make.project("archive")
    alice = make.user("alice")
    item = make.item(project)
    make.discussion(project, alice, item=item, title="About it", body="Words")
    make.discussion(other, alice, title="Elsewhere", body="Words")
    with app.app_context():
        db.session.execute(delete(Item).where(Item.id == item.id))
        db.session.commit()
    assert documents(app, project_id=project.id) == {}
    with app.app_context():
        db.session.execute(delete(Project).where(Project.id == other.id))
        db.session.commit()
    assert documents(app) == {}
