"""A content warning before a record, in a real browser: the image blurred until "Show the
record", which unblurs it in place with scripts and by reloading without them, with no breach
of the content security policy (issue 10)."""

import pytest
from playwright.sync_api import expect

from talk.extensions import db
from talk.models import Item, Project, User

pytestmark = [pytest.mark.browser, pytest.mark.commits]

SHEET = "/static/demo/sheet-quercus-robur.svg"
BLURRED = "getComputedStyle(document.querySelector('.plain-image')).filter"


def warned_item(make):
    from moderation import content_warnings

    project = make.project("asylum", title="Asylum registers")
    row = make.item(project)
    with make.context():
        item = db.session.get(Item, row.id)
        item.image_url = SHEET
        owner = db.session.get(User, project.owner.id)
        found = db.session.get(Project, project.id)
        warning = content_warnings.create_warning(
            owner, found, "Historic language", "Terms about mental illness from the 1910s."
        )
        content_warnings.attach(owner, warning, item)
    return row


def _watch(page):
    problems = []
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(message.text),
    )
    return problems


def test_show_the_record_unblurs_the_image_in_place(page, make):
    row = warned_item(make)
    problems = _watch(page)
    page.goto(f"/projects/asylum/items/{row.external_id}")
    page.get_by_role("heading", name="Content warning: Historic language").wait_for()
    assert "blur" in page.evaluate(BLURRED)
    url = page.url
    page.get_by_role("button", name="Show the record").click()
    page.get_by_text("The record is shown below.").wait_for()
    assert page.evaluate(BLURRED) == "none"
    assert page.url == url  # no reload
    page.reload()
    expect(page.locator(".content-warning-pending")).to_have_count(0)  # remembered (session)
    assert problems == []


def test_without_javascript_the_button_reloads_the_page_unblurred(browser, live_server, make):
    row = warned_item(make)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"/projects/asylum/items/{row.external_id}")
        expect(page.locator(".content-warning-pending")).to_have_count(1)
        page.get_by_role("button", name="Show the record").click()
        page.wait_for_load_state()
        expect(page.locator(".content-warning-pending")).to_have_count(0)
        expect(page.get_by_text("Content warning: Historic language")).to_be_visible()
    finally:
        context.close()
