"""The volunteer searches in a real browser (issue 8): a count, one result per thread, a snippet
of the text the comment shows (not its Markdown), and an exclusion that excludes."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_volunteer_searches_and_sees_counted_plain_text_results(page, make):
    project = make.project("hidden-herbarium", title="Hidden Herbarium")
    maria = make.user("maria", display_name="Maria Sibylla")
    thread = make.discussion(
        project,
        maria,
        title="Faded labels",
        body="| Field | Reading |\n|---|---|\n| Date | 1887 |\n\n> The ink is **quite faded**."
        "\n\nQuite faded, _really_.",
    )
    make.comment(thread, maria, "Yes, quite faded: the date is hard to read.")
    make.discussion(project, maria, title="Ranunculus sheet", body="Also quite faded here.")

    page.goto("/projects/hidden-herbarium")
    page.get_by_role("searchbox").fill('"quite faded"')
    page.get_by_role("searchbox").press("Enter")
    page.get_by_role("heading", name="Results").wait_for()

    assert page.get_by_role("status").inner_text() == "2 results"
    results = page.locator("li.search-result")
    expect(results).to_have_count(2)  # the thread once, though its title and two comments match
    snippets = " ".join(page.locator(".search-result .snippet").all_inner_texts())
    # The thread's best comment (the phrase twice), as the page shows it.
    assert "Field Reading Date 1887 The ink is quite faded. Quite faded, really." in snippets
    assert not re.search(r"[|>*]", snippets)
    assert page.locator(".search-result .snippet mark").first.inner_text().lower() == "quite"

    page.get_by_role("searchbox").fill('"quite faded" -ranunculus')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("1 result")
    link = page.locator("li.search-result a.title")
    expect(link).to_have_text("Faded labels")
    assert link.get_attribute("href") == f"/comments/{thread.first_comment_id}"
