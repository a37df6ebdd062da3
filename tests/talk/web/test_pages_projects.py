"""Project pages: index, home, boards, starting discussions, items and recent comments."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Discussion, Project, User
from talk.services import items as item_service
from tests.conftest import login
from tests.talk.web.pages import outline, squash, submit, text


def discussion_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Discussion.id)))


def test_index_lists_projects(client, make):
    make.project("herbarium", title="Herbarium sheets")
    make.project("registers", title="Parish registers")
    page = client.get("/")
    assert page.status_code == 200
    hrefs = {a["href"] for a in outline(page).find("a")}
    assert {"/projects/herbarium", "/projects/registers"} <= hrefs


def test_index_pages_through_projects(app, client, make):
    app.config["TALK_PAGE_SIZE"] = 2
    for n in range(3):
        make.project(f"p{n}", title=f"Project {n}")
    first = client.get("/")
    assert "Project 1" in text(first)
    assert "Project 2" not in text(first)
    (more,) = [a for a in outline(first).find("a") if a.get("rel") == "next"]
    second = text(client.get(more["href"]))
    assert "Project 2" in second
    assert "Project 0" not in second


def test_home_shows_boards_recent_discussions_and_discussed_items(client, clock, make):
    project = make.project("herbarium", title="Herbarium sheets")
    author = make.user("vol", display_name="Val")
    quiet, discussed = make.items(project, 2)
    make.discussion(project, author, title="Hello all", board="Chat")
    clock.advance(minutes=5)
    make.discussion(project, author, item=discussed, title="About a sheet")
    page = client.get("/projects/herbarium")
    html = squash(text(page))
    tree = outline(page)
    assert "<h1>Herbarium sheets</h1>" in html
    for board in ("Item discussions", "Help", "Chat", "Research"):
        assert f">{board}</a>" in html
    chat = project.boards["Chat"].id
    assert tree.find("a", href=f"/projects/herbarium/boards/{chat}")
    assert "1 discussion · 1 comment · last activity" in html
    assert html.index("About a sheet") < html.index("Hello all")
    item_link = f"/projects/herbarium/items/{discussed.external_id}"
    assert tree.find("a", href=item_link)
    assert tree.find("img", alt=discussed.title)
    assert not tree.find("a", href=f"/projects/herbarium/items/{quiet.external_id}")


def test_unknown_project_and_board_of_another_project_are_404(client, make):
    make.project("herbarium")
    other = make.project("registers")
    chat = other.boards["Chat"].id
    assert client.get("/projects/nope").status_code == 404
    assert client.get(f"/projects/herbarium/boards/{chat}").status_code == 404
    assert client.get(f"/projects/registers/boards/{chat}").status_code == 200
    assert client.get("/projects/herbarium/boards/999").status_code == 404
    assert client.get("/projects/herbarium/items/nope").status_code == 404
    assert client.get("/projects/nope/comments").status_code == 404


def test_board_lists_discussions_newest_first_with_older_pages(app, client, clock, make):
    app.config["TALK_PAGE_SIZE"] = 2
    project = make.project("herbarium")
    author = make.user()
    for n in range(3):
        make.discussion(project, author, title=f"Thread {n}")
        clock.advance(minutes=1)
    board = f"/projects/herbarium/boards/{project.boards['Chat'].id}"
    first = client.get(board)
    html = text(first)
    assert html.index("Thread 2") < html.index("Thread 1")
    assert "Thread 0" not in html
    (older,) = [a for a in outline(first).find("a") if a.get("rel") == "next"]
    assert older.get("href").startswith(f"{board}?cursor=")
    second = text(client.get(older["href"]))
    assert "Thread 0" in second
    assert "Thread 1" not in second
    assert client.get(f"{board}?cursor=%%%").status_code == 422


def test_item_board_shows_which_item_each_discussion_is_about(client, make):
    project = make.project("herbarium")
    item = make.item(project)
    make.discussion(project, make.user(), item=item, title="Which fern?")
    page = client.get(f"/projects/herbarium/boards/{project.boards['Item discussions'].id}")
    html = squash(text(page))
    assert f'about <a href="/projects/herbarium/items/{item.external_id}">{item.title}</a>' in html
    items_board = project.boards["Item discussions"].id
    assert not outline(page).find("a", href=f"/projects/herbarium/boards/{items_board}/new")


def test_start_a_discussion_on_a_board(app, client, make):
    project = make.project("herbarium")
    make.user("vol")
    board = f"/projects/herbarium/boards/{project.boards['Help'].id}"
    assert not outline(client.get(board)).find("a", href=f"{board}/new")
    anonymous = client.get(f"{board}/new")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == f"/login?next={board}/new"
    login(client, "vol")
    assert outline(client.get(board)).find("a", href=f"{board}/new")
    blank = submit(client, f"{board}/new", title="", body="Text")
    assert blank.status_code == 422
    assert outline(blank).find("p", id="title-error")
    too_long = submit(client, f"{board}/new", title="x" * 201, body="Text")
    assert too_long.status_code == 422
    assert "Longer than 200 characters." in text(too_long)
    assert discussion_count(app) == 0
    started = submit(client, f"{board}/new", title="How do I start?", body="Please help.")
    assert started.status_code == 302
    page = client.get(started.headers["Location"])
    assert "How do I start?" in text(page)
    assert discussion_count(app) == 1


def test_item_board_has_no_new_discussion_form(client, make):
    project = make.project("herbarium")
    make.user("vol")
    login(client, "vol")
    items_board = project.boards["Item discussions"].id
    assert client.get(f"/projects/herbarium/boards/{items_board}/new").status_code == 404


def test_items_page_is_a_thumbnail_grid_with_pages(app, client, make):
    app.config["TALK_PAGE_SIZE"] = 2
    project = make.project("herbarium")
    created = make.items(project, 3)
    first = client.get("/projects/herbarium/items")
    tree = outline(first)
    assert [img["alt"] for img in tree.find("img")] == [created[0].title, created[1].title]
    (more,) = [a for a in tree.find("a") if a.get("rel") == "next"]
    second = outline(client.get(more["href"]))
    assert second.find("a", href=f"/projects/herbarium/items/{created[2].external_id}")
    assert not second.find("a", href=f"/projects/herbarium/items/{created[0].external_id}")


def test_item_page_shows_image_metadata_links_tags_and_threads(app, client, make):
    project = make.project("herbarium")
    with make.context():
        (item,) = item_service.register_items(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            [
                {
                    "external_id": "K000/123",
                    "title": "Fern sheet",
                    "image_url": "https://images.example.org/full.jpg",
                    "thumbnail_url": "https://images.example.org/thumb.jpg",
                    "source_url": "https://museum.example.org/K000/123",
                    "iiif_manifest_uri": "https://iiif.example.org/K000-123/manifest",
                    "metadata": {"collector": "A. Botanist", "year": "1884"},
                }
            ],
        )
        item_id = item.id
    make.discussion(
        project, make.user(), item=SimpleNamespace(id=item_id), title="Which fern is it?"
    )
    page = client.get("/projects/herbarium/items/K000/123")
    assert page.status_code == 200
    html = squash(text(page))
    tree = outline(page)
    assert tree.find("a", href="https://images.example.org/full.jpg")
    assert tree.find("img", src="https://images.example.org/full.jpg", alt="Fern sheet")
    assert "<dt>collector</dt><dd>A. Botanist</dd>" in html
    assert "<dt>year</dt><dd>1884</dd>" in html
    assert tree.find("a", href="https://museum.example.org/K000/123")
    assert tree.find("a", href="https://iiif.example.org/K000-123/manifest")
    assert tree.find("section", **{"aria-labelledby": "tags-heading"})
    assert "No tags yet" in html  # tags and their pages: tests/talk/tags
    assert "Talk about this item" in html
    assert "Which fern is it?" in html
    assert tree.find("a", href="/login?next=/projects/herbarium/items/K000/123")
    assert not tree.find("form", action="/projects/herbarium/new-discussion/K000/123")


def test_volunteer_starts_an_item_discussion_from_the_item_page(app, client, make):
    project = make.project("herbarium")
    item = make.item(project)
    make.user("vol")
    login(client, "vol")
    page = f"/projects/herbarium/items/{item.external_id}"
    action = f"/projects/herbarium/new-discussion/{item.external_id}"
    assert outline(client.get(page)).find("form", action=action)
    refused = submit(client, page, action, title="Hmm", body="")
    assert refused.status_code == 422
    assert discussion_count(app) == 0
    started = submit(client, page, action, title="Hmm", body="What is this?")
    assert started.status_code == 302
    assert "Hmm" in text(client.get(page))
    with app.app_context():
        assert db.session.scalar(select(Discussion.item_id)) == item.id


def test_anonymous_item_discussion_form_sends_to_login(app, client, make):
    project = make.project("herbarium")
    item = make.item(project)
    response = client.get(f"/projects/herbarium/new-discussion/{item.external_id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    posted = submit(
        client,
        f"/projects/herbarium/items/{item.external_id}",
        f"/projects/herbarium/new-discussion/{item.external_id}",
        title="Sneaky",
        body="Hello",
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith("/login")
    assert discussion_count(app) == 0


def test_recent_comments_page_shows_newest_first_with_pages(app, client, make):
    app.config["TALK_PAGE_SIZE"] = 2
    project = make.project("herbarium")
    expert = make.user("exp")
    make.grant(project, expert, "expert", "Fern specialist")
    discussion = make.discussion(project, expert, body="Comment 0")
    for n in range(1, 3):
        make.comment(discussion, expert, f"Comment {n}")
    first = client.get("/projects/herbarium/comments")
    html = text(first)
    assert html.index("Comment 2") < html.index("Comment 1")
    assert "Comment 0" not in html
    assert "Fern specialist" in html
    (older,) = [a for a in outline(first).find("a") if a.get("rel") == "next"]
    assert "Comment 0" in text(client.get(older["href"]))


def test_profile_shows_who_and_recent_comments(app, client, make):
    app.config["TALK_PAGE_SIZE"] = 2
    project = make.project("herbarium", title="Herbarium sheets")
    person = make.user("vol", display_name="Val Volunteer")
    discussion = make.discussion(project, person, title="My thread", body="Comment 0")
    for n in range(1, 3):
        make.comment(discussion, person, f"Comment {n}")
    page = client.get("/users/vol")
    html = squash(text(page))
    assert '<h1>Val Volunteer <span class="username">@vol</span></h1>' in html
    assert "<dt>Username</dt><dd>vol</dd>" in html
    assert '<dt>Joined</dt><dd><time datetime="2026-03-14T12:00:00+00:00">' in html
    assert "<dt>Comments</dt><dd>3</dd>" in html
    assert "Herbarium sheets" in html
    assert "Comment 2" in html
    assert "Comment 0" not in html
    assert "vol@example.org" not in html
    (older,) = [a for a in outline(page).find("a") if a.get("rel") == "next"]
    assert "Comment 0" in text(client.get(older["href"]))
    assert client.get("/users/nobody").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "expert", "site admin"])
def test_main_pages_answer_every_role(client, make, role):
    project = make.project("herbarium")
    item = make.item(project)
    author = make.user("author")
    discussion = make.discussion(project, author, item=item)
    if role == "volunteer":
        login(client, make.user().username)
    elif role == "expert":
        login(client, make.member(project, "expert").username)
    elif role == "site admin":
        login(client, make.admin().username)
    for path in (
        "/",
        "/projects/herbarium",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}",
        "/projects/herbarium/items",
        f"/projects/herbarium/items/{item.external_id}",
        f"/discussions/{discussion.id}",
        "/projects/herbarium/comments",
        "/users/author",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(outline(response).find("h1")) == 1, path


def test_index_shows_each_project_with_a_picture_description_and_activity(
    client, make, clock, count_queries
):
    from talk.models import Item

    herbarium = make.project("herbarium", title="Herbarium sheets")
    make.project("registers", title="Parish registers")  # nothing yet
    first, _second = make.items(herbarium, 2)
    with make.context():
        db.session.get(Item, first.id).image_url = ""  # the first with an image is the cover
        db.session.get(Item, first.id).thumbnail_url = ""
        db.session.get(Project, herbarium.id).description = "Pressed plants from 1850 on."
        db.session.flush()
    author = make.user("author")
    make.discussion(herbarium, author, title="Open talk")
    clock.advance(hours=1)
    from talk.services import discussions, projects

    with make.context():
        owner = db.session.get(User, herbarium.owner.id)
        team_room = projects.create_board(
            owner,
            db.session.get(Project, herbarium.id),
            "Team room",
            read_level="team",
            write_level="team",
        )
        discussions.start_discussion(owner, team_room, "Secret", "Team only")

    with count_queries() as queries:
        page = client.get("/")
    assert queries.count <= 5
    html = squash(text(page))
    cards = html.split('class="project-card"')[1:]
    assert len(cards) == 2
    assert (
        '<img src="https://images.example.org/sheet.jpg" alt="Sheet 1, from Herbarium sheets"'
        in cards[0]
    )
    assert "Pressed plants from 1850 on." in cards[0]
    # The team-only board's discussion is neither counted nor dated for a visitor.
    assert "2 items · 1 discussion · 1 comment" in cards[0]
    assert "Last active <time" in cards[0]
    assert "0 items · 0 discussions · 0 comments" in cards[1]
    assert "No discussions yet" in cards[1]
    assert "<img" not in cards[1]
