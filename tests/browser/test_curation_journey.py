"""The expert's curation journey in a real browser, on a phone-sized screen: a volunteer tagged
an item #eglise; the curator adds #église to the vocabulary with a Wikidata link and #eglise as
its synonym, sees the item fold into it, verifies it there, and a search finds the comment."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_expert_curates_a_tag_folds_a_variant_and_verifies_it(page, make):
    project = make.project("hidden-herbarium", title="Hidden Herbarium")
    item = make.item(project)
    curator = make.user("curator", display_name="Dr Rowan Ash")
    make.grant(project, curator, "expert", "Herbarium curator")
    volunteer = make.user("vol")
    make.discussion(
        project, volunteer, item=item, title="French label", body="Près de l'eglise #eglise"
    )
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto("/login")
    page.get_by_label(re.compile("Username or email")).fill("curator")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.goto("/projects/hidden-herbarium/tags")
    page.get_by_role("link", name="Curated tags").first.click()
    page.get_by_label("Tag", exact=True).fill("#Église")
    page.get_by_label("Description (optional)").fill("A church building.")
    page.get_by_label("Authority link (optional)").fill("https://www.wikidata.org/wiki/Q16970")
    page.get_by_label("Synonyms (optional)").fill("eglise")
    page.get_by_role("button", name="Add to the vocabulary").click()

    page.get_by_role("heading", level=1, name=re.compile("#église")).wait_for()
    expect(page.get_by_role("link", name="Wikidata Q16970")).to_have_count(1)
    assert "1 use merged" in page.locator("main").inner_text()

    # The item now carries the curated tag; the curator verifies it there.
    page.get_by_role("link", name=item.title).first.click()
    tags = page.locator("section.tags")
    expect(tags.get_by_role("link", name="#église")).to_have_count(1)
    tags.get_by_role("button", name="Verify #église").click()
    page.get_by_text("✓ Verified by Herbarium curator").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # A phrase search finds the comment, with the words highlighted.
    page.get_by_role("searchbox").first.fill('"près de"')
    page.get_by_role("searchbox").first.press("Enter")
    page.locator("mark", has_text=re.compile("Près", re.I)).first.wait_for()
