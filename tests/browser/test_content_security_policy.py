"""Every page type under the site's Content-Security-Policy, in Chromium: no violation, no
script error, and the hashtag autocomplete still works (its script is a file, not inline)."""

from __future__ import annotations

import re

import pytest

from talk.security import CONTENT_SECURITY_POLICY
from tests.browser.test_tag_autocomplete import log_in

pytestmark = [pytest.mark.browser, pytest.mark.commits]

# Records every CSP violation of each document, before any of its own scripts run.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def site(make, token, client):
    """A project with an item, a discussion about it with tags, an edited comment, an image
    from an untrusted host (a link), and a tag group."""
    project = make.project("herbarium", title="Herbarium sheets")
    owner = project.owner
    (item,) = make.items(project, 1)
    maria = make.user("maria", display_name="Maria Sibylla")
    thread = make.discussion(
        project, maria, item=item, board="Item discussions", title="Churchyard", body="#église"
    )
    reply = make.comment(thread, maria, "An #églantier ![sheet](https://tracker.example/p.gif)")
    edited = client.patch(
        f"/api/v1/comments/{reply.id}",
        json={"body": "An #églantier, edited ![sheet](https://tracker.example/p.gif)"},
        headers=token(maria),
    )
    assert edited.status_code == 200, edited.get_json()
    group = client.post(
        "/api/v1/projects/herbarium/groups",
        json={"title": "Churches", "query": "#église"},
        headers=token(owner),
    )
    assert group.status_code == 201, group.get_json()
    return project, item, thread, reply


def _pages(project, item, thread, reply):
    chat = project.boards["Chat"].id
    return {
        "home": "/",
        "project": "/projects/herbarium",
        "board": f"/projects/herbarium/boards/{chat}",
        "items": "/projects/herbarium/items",
        "item": f"/projects/herbarium/items/{item.external_id}",
        "discussion": f"/discussions/{thread.id}",
        "new discussion": f"/projects/herbarium/boards/{chat}/new",
        "edit": f"/comments/{reply.id}/edit",
        "history": f"/comments/{reply.id}/history",
        "tags": "/projects/herbarium/tags",
        "tag": "/projects/herbarium/tags/église",
        "vocabulary": "/projects/herbarium/vocabulary",
        "tag groups": "/projects/herbarium/groups",
        "tag group": "/projects/herbarium/groups/churches",
        "search": "/search?q=church&project=herbarium",
        "profile": "/users/maria",
        "settings": "/settings",
        "tokens": "/settings/tokens",
        "email settings": "/settings/email",
        "notifications": "/notifications",
        "follows": "/me/follows",
        "error": "/no/such/page",
    }


def _watch(page):
    problems = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text  # the 404 page's own status
            and problems.append(f"console: {message.text}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def _visit(page, problems, name, path):
    response = page.goto(path)
    assert response.status == (404 if name == "error" else 200), name
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, name
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__violations")
    assert violations == [], (name, violations)
    assert problems == [], (name, problems)


def test_every_page_type_keeps_to_the_content_security_policy(page, site):
    problems = _watch(page)
    for name, path in {
        "login": "/login",
        "register": "/register",
        "forgot password": "/forgot-password",
    }.items():
        _visit(page, problems, name, path)
    log_in(page, "maria")
    for name, path in _pages(*site).items():
        _visit(page, problems, name, path)


def test_the_watch_sees_a_violation_when_there_is_one(page, site):
    """The check above could pass by seeing nothing: an inline script is reported here."""
    problems = _watch(page)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.ran") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    del problems


def test_autocomplete_works_under_the_policy(page, site):
    problems = _watch(page)
    log_in(page, "maria")
    page.goto(f"/discussions/{site[2].id}")
    box = page.get_by_role("combobox", name="Your reply")
    box.click()
    box.press_sequentially("Near the #égl")
    page.get_by_role("listbox", name="Tag suggestions").wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    assert re.match(r"Near the #égl\w+ $", box.input_value())
    assert page.evaluate("window.__violations") == []
    assert problems == []
