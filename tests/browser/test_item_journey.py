"""Finding an item among many and looking at it closely, in a real browser on a phone-sized
screen: the item list's search by identifier, and the zoomable image (by keyboard), with the
plain image for a browser without JavaScript."""

import re

import pytest

from talk.extensions import db
from talk.models import Item

pytestmark = [pytest.mark.browser, pytest.mark.commits]

SHEET = "/static/demo/sheet-quercus-robur.svg"


def sheets(make, count=30):
    project = make.project("herbarium", title="Herbarium")
    rows = make.items(project, count, prefix="HB")
    with make.context():
        for row in rows:
            item = db.session.get(Item, row.id)
            item.image_url = SHEET
            item.thumbnail_url = SHEET
        db.session.commit()
    return project, rows


def test_a_volunteer_finds_an_item_by_its_identifier(page, make):
    _project, rows = sheets(make)
    wanted = rows[17]
    page.goto("/projects/herbarium/items")
    page.get_by_label("Identifier or title").fill(wanted.external_id)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("heading", name=f"Item {wanted.external_id}").wait_for()
    assert f"q={wanted.external_id}" in page.url
    page.locator(".exact-match").get_by_role("link").click()
    assert page.get_by_role("heading", level=1).inner_text() == wanted.title
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


ZOOM = "document.getElementById('item-viewer').viewer.viewport.getZoom()"


def zoom(page):
    return page.evaluate(ZOOM)


def test_the_item_image_zooms_by_keyboard(page, make):
    _project, rows = sheets(make, 1)
    page.goto(f"/projects/herbarium/items/{rows[0].external_id}")
    page.locator("#item-viewer.is-open").wait_for()
    assert page.locator(".plain-image").is_hidden()
    canvas = page.get_by_role("application", name=re.compile("Zoomable image of"))
    assert canvas.get_attribute("aria-describedby") == "item-viewer-help"
    assert page.locator("#item-viewer-help").is_visible()
    before = zoom(page)
    canvas.focus()
    # A tap zooms about 10% (OpenSeadragon animates it over a few frames; holding goes on).
    for _ in range(2):
        start = zoom(page)
        page.keyboard.press("+")
        page.wait_for_function(f"{ZOOM} > {start * 1.08}")
    page.keyboard.press("w")  # and W A S D (or the arrows) move it
    page.keyboard.press("0")
    page.wait_for_function(f"Math.abs({ZOOM} - {before}) < {before * 0.01}")


def test_without_javascript_the_plain_image_is_shown(browser, live_server, make):
    _project, rows = sheets(make, 1)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/projects/herbarium/items/{rows[0].external_id}")
    image = page.locator(".plain-image img")
    assert image.is_visible()
    assert image.get_attribute("src") == SHEET
    assert page.locator("#item-viewer").is_hidden()
    context.close()


def test_an_iiif_service_that_cannot_be_reached_falls_back_to_the_plain_image(page, make):
    _project, rows = sheets(make, 1)
    with make.context():
        item = db.session.get(Item, rows[0].id)
        # Loopback port 9: nothing answers, like a IIIF server the page may not reach.
        item.image_url = "http://127.0.0.1:9/iiif/sheet/full/max/0/default.jpg"
        db.session.commit()
    page.goto(f"/projects/herbarium/items/{rows[0].external_id}")
    viewer = page.locator("#item-viewer")
    assert viewer.get_attribute("data-iiif-info") == "http://127.0.0.1:9/iiif/sheet/info.json"
    # Neither the service nor the image opens: the viewer goes, the plain image stays.
    viewer.wait_for(state="hidden")
    assert page.locator(".plain-image").is_visible()


def test_on_a_phone_the_title_comes_soon_after_the_header(page, make):
    _project, rows = sheets(make, 1)
    page.goto(f"/projects/herbarium/items/{rows[0].external_id}")
    title = page.get_by_role("heading", level=1).bounding_box()
    assert title["y"] < 170, title  # ~250 px of breadcrumb and search before
    # The breadcrumb still leads up a level, and the search box keeps its name.
    assert page.locator(".breadcrumbs").get_by_role("link", name="Items").is_visible()
    assert page.get_by_role("searchbox", name="Search Herbarium").is_visible()


def test_an_item_named_in_a_comment_shows_as_an_aligned_card(page, make):
    project, rows = sheets(make, 2)
    volunteer = make.user("vol")
    about = make.discussion(
        project, volunteer, item=rows[0], body=f"Compare ^{rows[1].external_id} with this."
    )
    page.goto(f"/discussions/{about.id}")
    card = page.locator("a.item-card")
    image, title = card.locator("img").bounding_box(), card.locator("span").bounding_box()
    middle = lambda box: box["y"] + box["height"] / 2  # noqa: E731
    assert abs(middle(image) - middle(title)) < 2, (image, title)
    assert card.bounding_box()["height"] < 70  # a card in the line, not a block
