"""Curation on the site: the vocabulary page, the tag page's curation forms, experts' verdicts
on the item page, and the verified-tags export — as users reach them, through real forms."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Tag, TagAction, TagVerdict
from tests.conftest import login
from tests.talk.web.pages import outline, squash, submit, text

WIKIDATA = "https://www.wikidata.org/wiki/Q16970"


@pytest.fixture
def curator(make: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    user = make.user("curator", display_name="Dr Rowan Ash")
    make.grant(herbarium, user, "expert", label="Herbarium curator")
    return user


@pytest.fixture
def tagged(make: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    """An item a volunteer tagged with a variant spelling."""
    volunteer = make.user("vol")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, volunteer, item=item, body="Is that an #eglise?")
    return SimpleNamespace(item=item, volunteer=volunteer, thread=thread)


def item_page(herbarium: SimpleNamespace, item: SimpleNamespace) -> str:
    return f"/projects/{herbarium.slug}/items/{item.external_id}"


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_expert_curates_with_wikidata_and_synonym_then_verifies_on_the_item(
    app, client, herbarium, curator, tagged
):
    login(client, "curator")
    vocabulary = f"/projects/{herbarium.slug}/vocabulary"
    response = submit(
        client,
        vocabulary,
        name="#Église",
        description="A church building.",
        authority_uri=WIKIDATA,
        synonyms="eglise",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/projects/{herbarium.slug}/tags/%C3%A9glise"
    page = client.get(response.headers["Location"])
    html = squash(text(page))
    assert "Curated" in html and "A church building." in html
    assert outline(page).find("a", href=WIKIDATA)  # the authority link
    assert len(outline(page).find("h2", id="curate-heading")) == 1  # one form block, in <main>
    assert "Wikidata Q16970" in html
    assert "#eglise" in html and "Dr Rowan Ash</a> (Herbarium curator)" in html
    assert "made #eglise a synonym of #église (1 use merged)" in html  # the record

    # The variant folded: the item shows the curated tag; the variant's page redirects.
    item_html = squash(text(client.get(item_page(herbarium, tagged.item))))
    assert "#église" in item_html and "#eglise<" not in item_html
    index = squash(text(client.get(f"/projects/{herbarium.slug}/tags")))
    assert '#église</a> <span class="badge badge-curated badge-small"' in index
    moved = client.get(f"/projects/{herbarium.slug}/tags/eglise")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/tags/%C3%A9glise")

    response = submit(
        client,
        item_page(herbarium, tagged.item),
        f"/projects/{herbarium.slug}/verdicts",
        item=tagged.item.external_id,
        tag="église",
        verdict="verified",
    )
    assert response.status_code == 302
    item_html = squash(text(client.get(item_page(herbarium, tagged.item))))
    assert "✓ Verified by Herbarium curator" in item_html

    exported = client.get(f"/projects/{herbarium.slug}/verified-tags.csv")
    rows = list(csv.DictReader(io.StringIO(text(exported))))
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert [(r["item_external_id"], r["tag"], r["authority"], r["synonyms"]) for r in rows] == [
        (tagged.item.external_id, "église", "Wikidata Q16970", "eglise")
    ]
    assert rows[0]["decided_by"] == "Herbarium curator"
    document = json.loads(text(client.get(f"/projects/{herbarium.slug}/verified-tags.json")))
    assert [t["tag"] for t in document["tags"]] == ["église"]


def test_volunteers_see_no_curation_forms_and_their_posts_are_refused(
    app, client, herbarium, curator, tagged
):
    login(client, "vol")
    tag_page = f"/projects/{herbarium.slug}/tags/eglise"
    assert "Curate #eglise" not in text(client.get(tag_page))
    assert "Verify a tag" not in text(client.get(item_page(herbarium, tagged.item)))
    for action, data in (
        (f"/projects/{herbarium.slug}/vocabulary", {"name": "eglise"}),
        (f"{tag_page}/synonyms", {"synonym": "kirk"}),
        (f"{tag_page}/rename", {"new_name": "church"}),
        (
            f"/projects/{herbarium.slug}/verdicts",
            {"item": tagged.item.external_id, "tag": "eglise", "verdict": "verified"},
        ),
    ):
        assert submit(client, tag_page, action, **data).status_code == 403, action
    assert count(app, TagAction) == 0 and count(app, TagVerdict) == 0
    client.post("/logout", data={"csrf_token": ""})


def test_curation_forms_need_the_csrf_token(app, client, herbarium, curator, tagged):
    login(client, "curator")
    response = client.post(
        f"/projects/{herbarium.slug}/tags/eglise/rename", data={"new_name": "x1"}
    )
    assert response.status_code == 400
    response = client.post(
        f"/projects/{herbarium.slug}/verdicts",
        data={"item": tagged.item.external_id, "tag": "eglise", "verdict": "verified"},
    )
    assert response.status_code in (302, 400)
    assert count(app, TagAction) == 0 and count(app, TagVerdict) == 0


def test_bad_input_shows_the_problem_and_changes_nothing(app, client, herbarium, curator, tagged):
    login(client, "curator")
    vocabulary = f"/projects/{herbarium.slug}/vocabulary"
    response = submit(client, vocabulary, name="eglise", authority_uri="javascript:alert(1)")
    assert response.status_code == 422
    page = outline(response)
    assert page.find("input", name="authority_uri", **{"aria-invalid": "true"})
    assert "Must be a web address" in text(response)
    tag_page = f"/projects/{herbarium.slug}/tags/eglise"
    response = submit(client, tag_page, f"{tag_page}/merge", into="nosuchtag")
    assert response.status_code == 404
    response = submit(client, tag_page, f"{tag_page}/rename", new_name="!!")
    assert response.status_code == 422 and "cannot be a tag name" in text(response)
    verdicts = f"/projects/{herbarium.slug}/verdicts"
    for item_id in ("a\x00b", "no-such-item"):
        response = submit(
            client, tag_page, verdicts, item=item_id, tag="eglise", verdict="verified"
        )
        assert response.status_code == 404, item_id
    # Query arguments on a spelling that redirects are passed on, never a reason to fail.
    moved = client.get(f"/projects/{herbarium.slug}/tags/EGLISE?name=x&slug=y&_method=POST&cursor=")
    assert moved.status_code == 301
    assert count(app, TagAction) == 0
    with app.app_context():
        assert db.session.scalar(select(Tag).where(Tag.curated_at.is_not(None))) is None


def test_a_refused_curation_is_not_on_the_page_that_reports_it(app, client, herbarium, curator):
    """The vocabulary page shown with a refusal lists what is stored: the tag curated before
    the synonym was refused is rolled back before the page is rendered."""
    login(client, "curator")
    vocabulary = f"/projects/{herbarium.slug}/vocabulary"
    assert submit(client, vocabulary, name="rose").status_code == 302
    response = submit(client, vocabulary, name="orchidaceae", synonyms="orchid, rose")
    assert response.status_code == 409
    curated = {link["href"] for link in outline(response).find("a", rel="tag")}
    assert curated == {f"/projects/{herbarium.slug}/tags/rose"}
    with app.app_context():
        assert db.session.scalar(select(Tag).where(Tag.name == "orchidaceae")) is None


def test_rename_and_merge_through_the_tag_page(app, client, make, herbarium, curator, tagged):
    make.discussion(herbarium, tagged.volunteer, item=make.item(herbarium), body="#church")
    login(client, "curator")
    tag_page = f"/projects/{herbarium.slug}/tags/eglise"
    response = submit(client, tag_page, f"{tag_page}/rename", new_name="Kirk")
    assert response.headers["Location"] == f"/projects/{herbarium.slug}/tags/kirk"
    kirk = f"/projects/{herbarium.slug}/tags/kirk"
    response = submit(client, kirk, f"{kirk}/merge", into="#church")
    assert response.headers["Location"] == f"/projects/{herbarium.slug}/tags/church"
    html = squash(text(client.get(response.headers["Location"])))
    assert "renamed #eglise to #kirk" not in html  # the rename is recorded on the old tag row
    assert "merged #kirk into #church" in html
    assert "Also written: #eglise, #kirk." in html
    with app.app_context():
        church = db.session.scalar(select(Tag).where(Tag.name == "church"))
        assert (church.use_count, church.item_count) == (2, 2)


def test_curated_text_and_export_cells_are_escaped(app, client, make, herbarium, curator):
    volunteer = make.user("vol")
    item = make.items(herbarium, 1, prefix="=HYPERLINK")[0]
    make.discussion(herbarium, volunteer, item=item, body="#fern")
    login(client, "curator")
    vocabulary = f"/projects/{herbarium.slug}/vocabulary"
    submit(client, vocabulary, name="fern", description="<script>alert(1)</script>")
    html = text(client.get(f"/projects/{herbarium.slug}/tags/fern"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    submit(
        client,
        item_page(herbarium, item),
        f"/projects/{herbarium.slug}/verdicts",
        item=item.external_id,
        tag="fern",
        verdict="verified",
        note="@SUM(1+1)",
    )
    rows = list(
        csv.reader(
            io.StringIO(text(client.get(vocabulary.replace("vocabulary", "verified-tags.csv"))))
        )
    )
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][-2] == "'@SUM(1+1)"
    assert (
        client.get(f"/projects/{herbarium.slug}/verified-tags.csv?status=maybe").status_code == 422
    )
