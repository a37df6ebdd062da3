"""The tag group pages as people use them: list, group page, new/edit forms with preview, the
preview page, delete; who may do what; CSRF; escaping."""

import re

import pytest

from tests.conftest import login
from tests.talk.tag_groups.conftest import group_count, ids
from tests.talk.web.pages import form_values, outline, squash, submit, text

BASE = "/projects/herbarium/groups"


def grid(response):
    """External ids in the page's item grid, in order."""
    html = squash(text(response)).split('class="item-grid"')[1].split("</ul>")[0]
    return re.findall(r'href="/projects/herbarium/items/([^"]+)"', html)


def test_the_tags_page_links_to_the_groups_which_list_each_group(client, make, herbarium, group):
    group(herbarium, make.user("alice"), title="Nurses", query="#nurse AND NOT #army")
    tags_page = client.get("/projects/herbarium/tags")
    assert outline(tags_page).find("a", href=BASE)

    page = client.get(BASE)
    assert page.status_code == 200
    html = squash(text(page))
    assert outline(page).find("a", href=f"{BASE}/nurses")
    assert "<code>#nurse AND NOT #army</code>" in html
    assert outline(page).find("a", href=f"/login?next={BASE}/new")
    assert not outline(page).find("a", href=f"{BASE}/new")


def test_a_group_page_shows_its_query_linked_items_and_exports(
    client, make, shelf, herbarium, group, synonym, verdict
):
    synonym(herbarium, "sister", "nurse")
    verdict(herbarium, shelf[4], "nurse", "verified")
    group(
        herbarium,
        make.user("alice", display_name="Alice Archivist"),
        title="Nurses",
        query="#Sister AND NOT #smallpox OR #nobody",
        description="First paragraph.\n\nSecond paragraph.",
    )
    page = client.get(f"{BASE}/nurses")
    assert page.status_code == 200
    html = squash(text(page))
    tree = outline(page)
    assert "<h1>Nurses</h1>" in html
    assert '<p class="group-description">Second paragraph.</p>' in html
    # Each tag of the query links to its (canonical) tag page; an unknown one stays text.
    assert (
        '<code class="tag-query"><a href="/projects/herbarium/tags/nurse" rel="tag">#Sister</a>'
        ' AND NOT <a href="/projects/herbarium/tags/smallpox" rel="tag">#smallpox</a> OR #nobody'
        "</code>" in html
    )
    assert "Not on any item yet: #nobody." in html
    assert "2 items" in html
    assert grid(page) == ids(shelf, 2, 4)
    assert "#nurse (verified)" in html
    assert tree.find("a", href=f"{BASE}/nurses/export.csv")
    assert tree.find("a", href=f"{BASE}/nurses/export.json")
    assert tree.find("a", href=f"http://talk.test{BASE}/nurses")
    assert "Alice Archivist" in html
    assert not tree.find("a", href=f"{BASE}/nurses/edit")
    assert not tree.find("form", action=f"{BASE}/nurses/delete")


def test_a_group_page_pages_through_its_items_newest_first(
    app, client, make, herbarium, tag_items, group
):
    app.config["TALK_PAGE_SIZE"] = 3
    items = make.items(herbarium, 7)
    tag_items(herbarium, [(item, "#orchid") for item in items])
    group(herbarium, make.user(), title="Orchids", query="#orchid")
    seen, url, pages = [], f"{BASE}/orchids", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += grid(response)
        nxt = outline(response).find("a", rel="next")
        url = nxt[0]["href"].replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3
    assert seen == [item.external_id for item in reversed(items)]
    assert client.get(f"{BASE}/orchids?cursor=forged").status_code == 422


def test_unknown_groups_and_projects_are_404(client, make, herbarium):
    assert client.get(f"{BASE}/nothing").status_code == 404
    assert client.get("/projects/nowhere/groups").status_code == 404
    assert client.get(f"{BASE}/nothing/export.csv").status_code == 404


def test_anonymous_visitors_cannot_create_groups(app, client, herbarium):
    form = client.get(f"{BASE}/new?query=%23nurse")
    assert form.status_code == 302
    assert form.headers["Location"].startswith("/login?next=")
    refused = submit(client, BASE, f"{BASE}/new", title="Mine", query="#nurse")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert group_count(app) == 0


def test_a_volunteer_saves_a_group_and_is_told_about_unused_tags(
    app, client, make, shelf, herbarium
):
    login(client, make.user("vol").username)
    form = client.get(f"{BASE}/new?query=%23nurse&verified_only=1")
    assert form.status_code == 200
    values = form_values(form)
    assert values["query"] == "#nurse"
    assert outline(form).find("input", id="verified_only", checked="")

    response = submit(
        client,
        f"{BASE}/new",
        title="Nurses, not smallpox",
        description="For the catalogue.",
        query="#nurse AND NOT #smallpox AND NOT #Nobody",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE}/nurses-not-smallpox"
    page = client.get(response.headers["Location"])
    html = squash(text(page))
    assert "The group is saved." in html
    assert "Not on any item yet: #Nobody." in html
    assert grid(page) == ids(shelf, 2, 4)
    assert outline(page).find("a", href=f"{BASE}/nurses-not-smallpox/edit")


def test_a_bad_query_is_explained_next_to_the_field_and_nothing_is_saved(app, client, make):
    make.project("herbarium")
    login(client, make.user("vol").username)
    response = submit(client, f"{BASE}/new", title="Bad", query="#nurse #smallpox")
    assert response.status_code == 422
    html = squash(text(response))
    assert "Put AND or OR between &#39;#nurse&#39; and &#39;#smallpox&#39; (character 8)." in html
    assert 'id="query-error"' in html
    assert form_values(response)["query"] == "#nurse #smallpox"
    missing_title = submit(client, f"{BASE}/new", title="", query="#nurse")
    assert missing_title.status_code == 422
    assert group_count(app) == 0


def test_preview_in_the_form_shows_matches_without_saving(app, client, make, shelf, herbarium):
    login(client, make.user("vol").username)
    response = submit(client, f"{BASE}/new", title="", query="#nurse AND #measles", preview="1")
    assert response.status_code == 200
    html = squash(text(response))
    assert "Preview: 1 item" in html
    assert grid(response) == ids(shelf, 4)
    assert form_values(response)["query"] == "#nurse AND #measles"
    bad = submit(client, f"{BASE}/new", title="", query="NOT #nurse", preview="1")
    assert bad.status_code == 422
    assert "needs at least one tag to include" in text(bad)
    assert "The tag query is not valid" in text(bad)  # the message, as every form page shows it
    assert group_count(app) == 0


def test_the_preview_page_lets_anyone_try_a_query_and_offers_to_save_it(
    app, client, make, shelf, herbarium
):
    app.config["TALK_PAGE_SIZE"] = 2
    page = client.get(f"{BASE}/preview?query=%23nurse+OR+%23army")
    assert page.status_code == 200
    html = squash(text(page))
    assert "matches 4 items" in html
    assert grid(page) == ids(shelf, 6, 4)
    nxt = outline(page).find("a", rel="next")[0]["href"].replace("&amp;", "&")
    assert "query=%23nurse+OR+%23army" in nxt
    assert grid(client.get(nxt)) == ids(shelf, 2, 1)
    assert outline(page).find(
        "a", href="/login?next=/projects/herbarium/groups/new?query%3D%2523nurse%2BOR%2B%2523army"
    )

    login(client, make.user("vol").username)
    page = client.get(f"{BASE}/preview?query=%23nurse&verified_only=1")
    assert "matches 0 items" in squash(text(page))
    assert outline(page).find("a", href=f"{BASE}/new?query=%23nurse&verified_only=1")
    assert client.get(f"{BASE}/preview").status_code == 200
    bad = client.get(f"{BASE}/preview?query=%23nurse+AND")
    assert bad.status_code == 422
    assert "The query ends after &#39;AND&#39; (character 8)" in text(bad)


@pytest.fixture
def saved(make, herbarium, group):
    creator = make.user("creator")
    group(herbarium, creator, title="Nurses", query="#nurse")
    return creator


def test_only_the_creator_and_moderators_may_edit_or_delete(app, client, make, herbarium, saved):
    login(client, make.user("other").username)
    assert client.get(f"{BASE}/nurses/edit").status_code == 403
    edit = submit(client, f"{BASE}/nurses", f"{BASE}/nurses/edit", title="Mine", query="#x1")
    assert edit.status_code == 403
    assert submit(client, f"{BASE}/nurses", f"{BASE}/nurses/delete").status_code == 403
    assert not outline(client.get(f"{BASE}/nurses")).find("a", href=f"{BASE}/nurses/edit")

    client.post("/logout", data={"csrf_token": form_values(client.get("/"))["csrf_token"]})
    login(client, make.member(herbarium, "moderator", username="moddy").username)
    form = client.get(f"{BASE}/nurses/edit")
    assert form.status_code == 200
    assert form_values(form)["title"] == "Nurses"
    changed = submit(
        client,
        f"{BASE}/nurses/edit",
        title="Nurses (checked)",
        query="#nurse AND NOT #army",
        description="",
    )
    assert changed.status_code == 302
    assert changed.headers["Location"] == f"{BASE}/nurses"
    page = client.get(f"{BASE}/nurses")
    assert "<h1>Nurses (checked)</h1>" in text(page)
    deleted = submit(client, f"{BASE}/nurses", f"{BASE}/nurses/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"] == BASE
    assert client.get(f"{BASE}/nurses").status_code == 404
    assert group_count(app) == 0


def test_the_creator_edits_their_group(client, saved):
    login(client, saved.username)
    page = client.get(f"{BASE}/nurses")
    assert outline(page).find("a", href=f"{BASE}/nurses/edit")
    changed = submit(client, f"{BASE}/nurses/edit", title="Matrons", query="#matron")
    assert changed.status_code == 302
    assert "<h1>Matrons</h1>" in text(client.get(f"{BASE}/nurses"))


def test_writes_without_a_csrf_token_are_refused(app, client, make, herbarium, saved):
    login(client, saved.username)
    created = client.post(f"{BASE}/new", data={"title": "T", "query": "#nurse", "action": "save"})
    edited = client.post(f"{BASE}/nurses/edit", data={"title": "T", "query": "#nurse"})
    deleted = client.post(f"{BASE}/nurses/delete", data={"csrf_token": "forged"})
    assert (created.status_code, edited.status_code, deleted.status_code) == (400, 400, 400)
    assert group_count(app) == 1
    assert "<h1>Nurses</h1>" in text(client.get(f"{BASE}/nurses"))


def test_titles_and_descriptions_are_shown_as_text(client, make, herbarium, group):
    group(
        herbarium,
        make.user(),
        title='<script>alert("t")</script>',
        description='<img src=x onerror="alert(1)"> & more',
        query="#nurse",
    )
    for url in (BASE, f"{BASE}/script-alert-t-script"):
        html = text(client.get(url))
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
        assert "<img src=x" not in html
    html = text(client.get(f"{BASE}/script-alert-t-script"))
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more" in html


def test_query_counts_do_not_grow_with_the_items_shown(
    app, client, make, count_queries, tag_items, group
):
    app.config["TALK_PAGE_SIZE"] = 50
    moderator = make.user("moderator")
    urls = []
    for slug, n in (("small", 3), ("large", 30)):
        project = make.project(slug)
        make.grant(project, moderator, "moderator")
        items = make.items(project, n, prefix=slug)
        tag_items(project, [(item, "#nurse #smallpox") for item in items])
        group(project, make.user(), title="Nurses", query="#nurse AND NOT #army OR #smallpox")
        urls.append(f"/projects/{slug}/groups/nurses")
    for viewer in ("anonymous", "moderator"):
        if viewer == "moderator":
            login(client, "moderator")
        counts = []
        for url in urls:
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(queries.count)
        assert counts[0] == counts[1], (viewer, counts)
        # and one more for a logged-in viewer: the moderation package's sanction veto reads
        # their sanctions in force, once per request
        assert counts[0] <= 14 + (viewer != "anonymous"), (viewer, counts)
