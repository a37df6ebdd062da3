"""``talk export-comments``: the Zooniverse Talk export of what anyone may read, streamed."""

from __future__ import annotations

import io
import json
import types

import pytest

from talk.cli import cli
from talk.extensions import db
from talk.models import Comment, Project, User
from talk.services import comment_export, discussions

FIELDS = [
    "board_id",
    "board_title",
    "board_description",
    "discussion_id",
    "discussion_title",
    "comment_id",
    "comment_body",
    "comment_focus_id",
    "comment_focus_type",
    "comment_user_id",
    "comment_user_login",
    "comment_created_at",
]


@pytest.fixture
def project(make, make_board):
    """An item thread (2 comments), a Chat thread with a hidden and a deleted reply, and a
    thread on a team-only board."""
    project = make.project()
    volunteer = make.user("Edith")
    item = make.item(project)
    about_item = make.discussion(project, volunteer, item=item, board="Item discussions")
    make.comment(about_item, volunteer, "A #fern, I think.")
    chat = make.discussion(project, volunteer, title="Hello", body="Hi all")
    hidden = make.comment(chat, volunteer, "Rude")
    deleted = make.comment(chat, volunteer, "Oops")
    owner_id = project.owner.id
    with make.context():
        owner = db.session.get(User, owner_id)
        discussions.hide_comment(owner, db.session.get(Comment, hidden.id), "rude")
        discussions.delete_comment(owner, db.session.get(Comment, deleted.id))
    make_board(project, "Staff room", read_level="team", write_level="team")
    make.discussion(project, project.owner, board="Staff room", title="Secret", body="Secret")
    project.item, project.volunteer = item, volunteer
    project.about_item, project.chat = about_item, chat
    return project


def records(app, project_id, **kwargs):
    with app.app_context():
        return list(comment_export.comment_records(db.session.get(Project, project_id), **kwargs))


def test_the_export_has_the_zooniverse_fields_and_only_what_anyone_may_read(app, project):
    rows = records(app, project.id)
    assert [list(row) for row in rows] == [FIELDS] * 3
    assert [(r["discussion_title"], r["comment_body"]) for r in rows] == [
        ("A question", "What is this?"),
        ("A question", "A #fern, I think."),
        ("Hello", "Hi all"),
    ]
    first = rows[0]
    assert first["board_title"] == "Item discussions"
    assert (first["comment_focus_id"], first["comment_focus_type"]) == (
        project.item.external_id,
        "Item",
    )
    assert (first["comment_user_id"], first["comment_user_login"]) == (
        project.volunteer.id,
        "Edith",
    )
    assert first["comment_created_at"].endswith("Z")
    assert (rows[2]["comment_focus_id"], rows[2]["comment_focus_type"]) == (None, None)


def test_the_export_is_read_a_chunk_at_a_time_as_it_is_written(app, project, count_queries):
    """Never the whole project in memory: a lazy iterator, one query per chunk."""
    with app.app_context():
        found = db.session.get(Project, project.id)
        with count_queries() as queries:
            rows = comment_export.comment_records(found, chunk=2)
            assert isinstance(rows, types.GeneratorType)
            assert queries.count == 0
            next(rows)
            assert queries.count == 1
            assert len(list(rows)) == 2
        selects = [s for s in queries.statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 2  # chunks of 2, then of 1 (short: the last)
    assert records(app, project.id, chunk=2) == records(app, project.id)


def test_the_command_writes_a_json_array_of_the_records(app, runner, project, tmp_path):
    out = tmp_path / "comments.json"
    slug = project.slug
    result = runner.invoke(cli, ["export-comments", slug, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Exported 3 comments of {slug}." in result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == records(app, project.id)


def test_an_unknown_project_is_a_clear_error(app, runner):
    result = runner.invoke(cli, ["export-comments", "nowhere"])
    assert result.exit_code == 1
    assert "No project 'nowhere'" in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_project_is_an_empty_array(app, make):
    project = make.project()
    out = io.StringIO()
    with app.app_context():
        found = db.session.get(Project, project.id)
        assert comment_export.write_json(comment_export.comment_records(found), out) == 0
    assert json.loads(out.getvalue()) == []
