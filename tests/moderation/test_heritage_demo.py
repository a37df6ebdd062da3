"""The demo's heritage data (issue 10): a warning before a register page, the workflow hashtags
configured and a volunteer's #help on the review list, all written through the services."""

from __future__ import annotations

from talk.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo
from tests.conftest import login, module_data


@module_data
def demo(app):
    return build_demo(app)


def test_a_content_warning_appears_before_a_marked_register_page(client, demo):
    page = client.get(f"/projects/{DEMO_SLUG}/items/73200001").get_data(as_text=True)
    assert "Content warning: Historic language" in page
    assert page.index("content-warning-pending") < page.index('class="item-layout"')
    unmarked = client.get(f"/projects/{DEMO_SLUG}/items/73200002").get_data(as_text=True)
    assert "Content warning:" not in unmarked


def test_the_flags_are_configured_and_the_review_list_has_a_question(client, demo):
    flags = client.get(f"/api/v1/projects/{DEMO_SLUG}/workflow-flags").get_json()["data"]
    assert [f["tag"] for f in flags] == ["correction", "help", "tricky-writing"]
    login(client, "maya", DEMO_PASSWORD)  # the demo's moderator
    page = client.get(f"/projects/{DEMO_SLUG}/review-list").get_data(as_text=True)
    assert "#help</td>" in page and "#tricky-writing</td>" in page
    assert "Accession register" in page
