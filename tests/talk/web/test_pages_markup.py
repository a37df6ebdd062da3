"""Every page is well-formed for people and assistive technology, and usable on a phone."""

import pytest

from tests.conftest import login
from tests.talk.web.pages import outline, submit, text


@pytest.fixture
def pages(make):
    project = make.project("herbarium")
    item = make.item(project)
    author = make.user("author")
    discussion = make.discussion(project, author, item=item)
    first = discussion.first_comment_id
    return [
        "/",
        "/login",
        "/register",
        "/projects/herbarium",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}/new",
        "/projects/herbarium/items",
        f"/projects/herbarium/items/{item.external_id}",
        f"/projects/herbarium/new-discussion/{item.external_id}",
        f"/discussions/{discussion.id}",
        f"/comments/{first}/edit",
        f"/comments/{first}/history",
        "/projects/herbarium/comments",
        "/users/author",
        "/no-such-page",
    ]


def test_pages_have_landmarks_one_heading_and_labelled_controls(client, pages):
    login(client, "author")
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        page = outline(response)
        assert page.find("html", lang="en"), path
        assert page.find("meta", name="viewport"), path
        assert page.find("meta", name="csrf-token"), path
        links = page.find("a")
        assert links[0]["href"] == "#main" and "Skip to content" in text(response), path
        for landmark in ("header", "nav", "footer"):
            assert page.find(landmark), (path, landmark)
        assert page.find("main", id="main"), path
        assert len(page.find("h1")) == 1, path
        labelled = {label.get("for") for label in page.find("label")}
        controls = [
            c
            for tag in ("input", "textarea", "select")
            for c in page.find(tag)
            if c.get("type") not in ("hidden", "submit")
        ]
        for control in controls:
            assert control.get("id") in labelled, (path, control)
        for image in page.find("img"):
            assert image.get("alt"), (path, image)
        for form in page.find("form"):
            # Forms change things by POST; a search box asks by GET (its results have a URL).
            assert form.get("method") == "post" or form.get("role") == "search", (path, form)


def test_forms_carry_their_csrf_token(client, pages):
    login(client, "author")
    for path in pages:
        html = text(client.get(path))
        forms = html.count("<form") - html.count('<form role="search"')
        assert html.count('name="csrf_token"') >= forms, path


def test_project_pages_have_breadcrumbs(client, pages):
    login(client, "author")
    for path in pages[3:14]:
        page = outline(client.get(path))
        assert len(page.find("nav", **{"aria-label": "Breadcrumb"})) == 1, path
        (current,) = page.find("a", **{"aria-current": "page"})
        assert current["href"] == path.split("?")[0], path


def test_flash_messages_are_announced(client, make):
    make.user("grace")
    login(client, "grace")
    page = outline(client.get("/"))
    assert page.find("div", role="status")
    response = submit(client, "/", "/logout")
    assert "You have logged out." in text(client.get(response.headers["Location"]))


def test_stylesheet_has_focus_styles_and_fits_small_screens(client):
    with client.get("/static/talk.css") as css:
        assert css.status_code == 200
        stylesheet = text(css)
    assert ":focus-visible" in stylesheet
    assert "max-width: 100%" in stylesheet
    assert "@media" in stylesheet


def test_error_pages_are_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Not Found" in text(response)
    assert client.post("/").status_code in (400, 405)
