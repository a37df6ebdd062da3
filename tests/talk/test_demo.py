"""The demo project: realistic data written through the services, reused when it exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from talk.cli import cli
from talk.demo import DEMO_SLUG, IMAGE_DIR, IMAGE_URL, build_demo, demo_images
from talk.errors import Conflict
from talk.extensions import db
from talk.models import (
    ROLES,
    Board,
    Comment,
    CommentRevision,
    Discussion,
    Item,
    Membership,
    Project,
    User,
)
from talk.services import accounts
from tests.conftest import module_data


@pytest.fixture(autouse=True)
def _restore_flask_cli_flag(monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)


@module_data
def demo(app):
    """Built once for the module's tests that read it (see tests/conftest.py)."""
    clock = app.config["TALK_CLOCK"]
    summary = build_demo(app)
    assert app.config["TALK_CLOCK"] is clock  # build_demo puts back the clock it found
    return summary


def test_demo_has_items_with_shipped_images_and_metadata(app, demo):
    assert demo.created and demo.items >= 200
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
        items = db.session.scalars(select(Item).where(Item.project_id == project.id)).all()
    assert len(items) == project.item_count == demo.items
    images = {item.image_url for item in items}
    assert 12 <= len(images) <= 24
    for url in images | {item.thumbnail_url for item in items}:
        assert url.startswith(IMAGE_URL)
        assert (IMAGE_DIR / url.removeprefix(IMAGE_URL)).is_file()
    sheets = [i for i in items if "Collector" in i.item_metadata]
    assert len(sheets) >= 150
    for key in ("Collector", "Date", "Locality", "Catalogue number", "Scientific name"):
        assert all(sheet.item_metadata[key] for sheet in sheets)
    assert all(i.source_url.startswith("https://") for i in items)


def test_demo_has_people_in_every_role_who_can_log_in(app, demo):
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
        members = db.session.scalars(
            select(Membership).where(Membership.project_id == project.id)
        ).all()
        assert {m.role for m in members} == set(ROLES)
        expert = next(m for m in members if m.role == "expert")
        assert expert.label == "Herbarium curator"
        assert db.session.scalar(select(func.count()).where(User.is_site_admin)) == 1
        for login in demo.logins:
            assert accounts.authenticate(login.username, login.password), login
    roles = {login.role for login in demo.logins}
    assert {"site admin", "owner", "admin", "moderator", "team", "volunteer"} <= roles
    assert "expert (Herbarium curator)" in roles


def test_demo_discussions_have_replies_markdown_and_history(app, demo, clock):
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
        discussions = db.session.scalars(
            select(Discussion).where(Discussion.project_id == project.id)
        ).all()
        comments = db.session.scalars(select(Comment).where(Comment.project_id == project.id)).all()
        boards = {b.id: b for b in db.session.scalars(select(Board))}

        assert len(discussions) >= 90
        on_items = [d for d in discussions if d.item_id is not None]
        general = [d for d in discussions if d.item_id is None]
        assert len(on_items) >= 60
        general_boards = {boards[d.board_id].title for d in general}
        assert {"Help", "Chat", "Research", "Announcements", "Team room"} <= general_boards
        assert sum(d.comment_count > 1 for d in discussions) >= 80
        assert sum(c.reply_to_id is not None for c in comments) >= 20

        html = "\n".join(c.body_html for c in comments)
        for tag in ("<strong>", "<a href=", "<ul>", "<ol>", "<blockquote>", "<table>", "<pre>"):
            assert tag in html, tag

        edited = [c for c in comments if c.edited_at is not None]
        assert edited
        assert db.session.scalar(select(func.count()).select_from(CommentRevision)) == len(edited)
        assert any(c.deleted_at is not None for c in comments)

        # The stored counters agree with the rows (deleted, hidden and held ones not counted).
        live = [c for c in comments if c.is_visible]
        assert project.comment_count == len(live) == demo.comments
        assert project.discussion_count == len(discussions) == demo.discussions
        for discussion in discussions:
            assert discussion.comment_count == sum(c.discussion_id == discussion.id for c in live)

        # Activity is spread over the past weeks and never in the future.
        times = sorted(c.created_at for c in comments)
        assert times[-1] <= clock.now
        assert times[0] <= clock.now - timedelta(days=30)
        assert times[-1] >= clock.now - timedelta(days=2)
    assert app.config["TALK_CLOCK"] is clock  # the test's clock is back in place


def test_building_twice_reuses_the_demo(app, demo):
    again = build_demo(app)
    assert not again.created
    assert (again.items, again.discussions, again.comments) == (
        demo.items,
        demo.discussions,
        demo.comments,
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Project)) == 1
        assert db.session.scalar(select(func.count()).select_from(Item)) == demo.items
        assert db.session.scalar(select(func.count()).select_from(User)) == demo.users


@pytest.mark.parametrize("other", ["user", "project"])
def test_demo_refuses_a_database_holding_other_data(app, make, other):
    if other == "user":
        make.user("real_person")
    else:
        make.project("real-project")
    with app.app_context():
        before = {
            model: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Project, Item, Comment)
        }

    with pytest.raises(Conflict, match="only goes into an empty database"):
        build_demo(app)

    with app.app_context():
        after = {
            model: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Project, Item, Comment)
        }
    assert after == before


def test_shipped_images_are_the_generators_output(client):
    images = demo_images()
    shipped = {path.name for path in IMAGE_DIR.glob("*.svg")}
    assert shipped == set(images)
    for name, svg in images.items():
        assert (IMAGE_DIR / name).read_text(encoding="utf-8") == svg, name
        assert len(svg) < 40_000  # small files
    response = client.get(IMAGE_URL + "sheet-orchis-mascula.svg")
    try:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True) == images["sheet-orchis-mascula.svg"]
    finally:
        response.close()


def test_demo_command_builds_a_sqlite_demo_that_the_other_commands_use(tmp_path):
    """As the README has it: `talk demo`, then `talk create-token USER`, with nothing set."""
    env = {"TALK_DATABASE_URL": None, "TALK_INSTANCE_PATH": str(tmp_path)}
    runner = CliRunner()

    first = runner.invoke(cli, ["demo", "--no-serve", "--port", "5050"], env=env)

    assert first.exit_code == 0, first.output
    assert (tmp_path / "talk.sqlite").is_file()  # the database every command uses
    assert "Built the demo project" in first.stdout
    assert f"http://127.0.0.1:5050/projects/{DEMO_SLUG}" in first.stdout
    for role in ("site admin", "owner", "moderator", "expert (Herbarium curator)", "volunteer"):
        assert role in first.stdout
    assert "talk-demo" in first.stdout

    token = runner.invoke(cli, ["create-token", "priya"], env=env)
    assert token.exit_code == 0, token.output
    assert token.stdout.strip().splitlines()[-1].startswith("talk_")
    assert sorted(path.name for path in tmp_path.glob("*.sqlite")) == ["talk.sqlite"]

    second = runner.invoke(cli, ["demo", "--no-serve"], env=env)
    assert second.exit_code == 0, second.output
    assert "Reusing the demo project" in second.stdout


@pytest.mark.commits  # the command's own app must see the user through TALK_DATABASE_URL
def test_demo_command_uses_talk_database_url_and_refuses_one_in_use(
    app, make, database_uri, tmp_path
):
    make.user("real_person")
    env = {"TALK_DATABASE_URL": database_uri, "TALK_INSTANCE_PATH": str(tmp_path)}

    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env=env)

    assert result.exit_code == 1, result.output
    assert "only goes into an empty database" in result.stderr
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalars(select(User.username)).all() == ["real_person"]
        assert db.session.scalar(select(func.count()).select_from(Project)) == 0
