"""Tag pages: the project's tags, one tag's items and discussions, and tags on the item page."""

import re

import pytest
from sqlalchemy import select

from talk.extensions import db
from talk.models import Tag
from tests.conftest import login
from tests.talk.web.pages import outline, squash, text


def tag_links(response):
    """(href, text) of every tag link on a page."""
    page = outline(response)
    return [a["href"] for a in page.find("a", rel="tag")]


def test_item_page_shows_its_tags_with_counts_as_links_to_tag_pages(client, make, herbarium):
    item = make.item(herbarium)
    thread = make.discussion(herbarium, make.user(), item=item, body="#orchid on a #fern")
    make.comment(thread, make.user(), "Surely an #Orchid")

    response = client.get(f"/projects/herbarium/items/{item.external_id}")

    assert response.status_code == 200
    html = squash(text(response))
    assert "Tags — none yet" not in html
    tags_section = html.split('id="tags-heading"')[1].split("</section>")[0]
    assert tag_links(response)[:2] == [
        "/projects/herbarium/tags/orchid",
        "/projects/herbarium/tags/fern",
    ]
    # Counts carry a visible label, singular for one.
    assert '#orchid</a> <span class="tag-count">2 uses here</span>' in tags_section
    assert '#fern</a> <span class="tag-count">1 use here</span>' in tags_section
    assert "search" not in tags_section

    tag_page = client.get("/projects/herbarium/tags/orchid")
    assert tag_page.status_code == 200
    assert outline(tag_page).find("a", href=f"/projects/herbarium/items/{item.external_id}")


def test_an_item_without_tags_says_how_to_add_one(client, make, herbarium):
    item = make.item(herbarium)
    response = client.get(f"/projects/herbarium/items/{item.external_id}")
    assert "No tags yet" in text(response)
    assert not tag_links(response)


def test_tag_page_pages_through_its_items_newest_tagged_first(app, client, make, herbarium, clock):
    app.config["TALK_PAGE_SIZE"] = 4
    items = make.items(herbarium, 10)
    author = make.user("alice")
    for item in items:
        clock.advance(minutes=5)
        make.discussion(herbarium, author, item=item, body="A fine #orchid")
    make.discussion(herbarium, author, item=make.item(herbarium), body="Not tagged")

    seen, url, pages = [], "/projects/herbarium/tags/orchid", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = outline(response)
        grid = squash(text(response)).split('id="items-heading"')[1].split("</section>")[0]
        seen += re.findall(r'href="/projects/herbarium/items/([^"]+)"', grid)
        nxt = page.find("a", rel="next")
        url = nxt[0]["href"].replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3
    order = [item.external_id for item in reversed(items)]
    assert seen == order


def test_tag_page_counts_volunteers_and_lists_only_readable_discussions(
    client, make, herbarium, make_logged_in_board
):
    members_only = make_logged_in_board(herbarium)
    alice, bob = make.user("alice"), make.user("bob")
    open_thread = make.discussion(herbarium, alice, board="Chat", title="Open", body="#moss")
    make.comment(open_thread, bob, "#moss too")
    make.discussion(herbarium, bob, board=members_only.title, title="Members", body="#moss")

    anonymous = squash(text(client.get("/projects/herbarium/tags/moss")))
    assert "Used in 3 comments by 2 volunteers" in anonymous
    assert "in 2 discussions" in anonymous
    assert ">Open</a>" in anonymous
    assert ">Members</a>" not in anonymous

    login(client, "alice")
    logged_in = squash(text(client.get("/projects/herbarium/tags/moss")))
    assert ">Open</a>" in logged_in and ">Members</a>" in logged_in


@pytest.fixture
def make_logged_in_board(make):
    def create(project):
        from talk.models import Project, User
        from talk.services import projects
        from tests.conftest import snapshot

        with make.context():
            board = projects.create_board(
                db.session.get(User, project.owner.id),
                db.session.get(Project, project.id),
                "Members",
                read_level="logged-in",
            )
            project.boards["Members"] = snapshot(board)
            return project.boards["Members"]

    return create


def test_related_tags_are_those_on_the_same_items(app, client, make, herbarium, clock):
    a, b, c, d = make.items(herbarium, 4)
    author = make.user()
    for item, body in (
        (a, "#orchid #fern"),
        (b, "#orchid #fern #moss"),
        (c, "#orchid #lichen"),
        (d, "#fern #beetle"),
    ):
        clock.advance(minutes=1)
        make.discussion(herbarium, author, item=item, body=body)

    html = squash(text(client.get("/projects/herbarium/tags/orchid")))
    related = html.split('id="related-heading"')[1].split("</section>")[0]
    names = [part.split("<")[0] for part in related.split('rel="tag">#')[1:]]
    assert names == ["fern", "lichen", "moss"]  # fern on 2 items; then by use, then by name
    assert "beetle" not in related

    from talk.models import Project
    from talk.services import tags

    with app.app_context():
        orchid = tags.get_tag(db.session.get(Project, herbarium.id), "orchid")
        # Bounded: only the most recently tagged items are looked at.
        assert [r.tag.name for r in tags.related_tags(orchid, sample=1)] == ["lichen"]
        assert {r.tag.name: r.count for r in tags.related_tags(orchid)} == {
            "fern": 2,
            "lichen": 1,
            "moss": 1,
        }


def counted_tags(html):
    """(name, count) of each tag in a tag list's HTML."""
    return [
        (part.split("<")[0], int(part.split('class="tag-count">')[1].split()[0]))
        for part in html.split('rel="tag">#')[1:]
    ]


def test_tags_index_shows_popular_and_this_weeks_trending_tags(client, make, herbarium, clock):
    author = make.user()
    thread = make.discussion(herbarium, author, body="#census starts")
    for _ in range(4):
        make.comment(thread, author, "#census")
    clock.advance(days=3)
    make.comment(thread, author, "#walk and #census")
    clock.advance(days=3, hours=11)  # 20 March, 23:00: census's first uses were on the 14th
    make.comment(thread, author, "#walk again")
    make.comment(thread, author, "#walk #new")

    def lists():
        html = squash(text(client.get("/projects/herbarium/tags")))
        trending = html.split('id="trending-heading"')[1].split("</section>")[0]
        popular = html.split('id="popular-heading"')[1].split("</section>")[0]
        return counted_tags(trending), counted_tags(popular)

    trending, popular = lists()
    assert popular == [("census", 6), ("walk", 3), ("new", 1)]
    assert trending == [("census", 6), ("walk", 3), ("new", 1)]
    html = squash(text(client.get("/projects/herbarium/tags")))
    assert '<span class="tag-count">1 use</span>' in html  # not "1 uses"
    assert '<span class="tag-count">6 uses</span>' in html
    assert '<span class="tag-count">1 use in these days</span>' in html

    clock.advance(hours=1)  # 21 March: the 14th is no longer one of the last 7 days
    trending, popular = lists()
    assert trending == [("walk", 3), ("census", 1), ("new", 1)]
    assert popular == [("census", 6), ("walk", 3), ("new", 1)]

    clock.advance(days=7)
    trending, _ = lists()
    assert trending == []
    assert "No tags used in the last 7 days" in text(client.get("/projects/herbarium/tags"))


def test_project_home_links_to_its_tags(client, herbarium):
    page = outline(client.get("/projects/herbarium"))
    assert page.find("a", href="/projects/herbarium/tags")


def test_a_tag_has_one_address_and_unknown_or_unused_tags_are_not_found(
    app, client, make, herbarium, edit
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="#Église")

    response = client.get("/projects/herbarium/tags/%C3%89GLISE")
    assert response.status_code == 301
    assert response.location.endswith("/projects/herbarium/tags/%C3%A9glise")
    assert client.get(response.location).status_code == 200

    assert client.get("/projects/herbarium/tags/nothing").status_code == 404
    assert client.get("/projects/herbarium/tags/%23").status_code == 404
    assert client.get("/projects/elsewhere/tags/église").status_code == 404

    edit(thread.first_comment_id, alice, "No more tags")
    assert client.get("/projects/herbarium/tags/église").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Tag.name)).all() == ["église"]  # kept, unused


def build(make, slug, n):
    """A project whose item 0 has ``n`` tags and ``n`` mentions, and a tag on ``n`` items."""
    project = make.project(slug)
    items = make.items(project, n, prefix=slug)
    people = [make.user(f"{slug}-p{i}") for i in range(n)]
    first = make.discussion(project, people[0], item=items[0], body="#common")
    for i, person in enumerate(people):
        make.comment(first, person, f"#t{i} #common on it")
        make.discussion(project, person, item=items[i], body=f"#common #t{i}")
        make.discussion(
            project, person, board="Chat", body=f"Look at ^{items[0].external_id} #common"
        )
    return {
        "tag": f"/projects/{slug}/tags/common",
        "tag of item": f"/projects/{slug}/tags/t1",
        "index": f"/projects/{slug}/tags",
        "item": f"/projects/{slug}/items/{items[0].external_id}",
    }


@pytest.mark.parametrize("viewer", ["anonymous", "volunteer"])
def test_tag_pages_cost_the_same_with_3_rows_as_with_30(client, make, count_queries, viewer):
    small, large = build(make, "small", 3), build(make, "large", 30)
    if viewer == "volunteer":
        login(client, make.user("viewer").username)
    for page in small:
        counts = []
        for site in (small, large):
            with count_queries() as queries:
                response = client.get(site[page])
            assert response.status_code == 200, site[page]
            counts.append(queries.count)
        assert counts[0] == counts[1], (page, counts)
        # The tag page reads its curation too (synonyms, verdicts on the page's items, history);
        # for a logged-in viewer, three more: whether they follow the tag (the follow button),
        # their unread notifications (the header) and their sanctions in force (the moderation
        # package's veto, once per request).
        assert counts[0] <= 16 + 3 * (viewer != "anonymous"), (page, counts)


def test_tag_pages_have_one_heading_landmarks_and_labelled_images(client, make, herbarium):
    item = make.item(herbarium)
    make.discussion(herbarium, make.user(), item=item, body="#orchid #fern")
    for path in ("/projects/herbarium/tags", "/projects/herbarium/tags/orchid"):
        response = client.get(path)
        assert response.status_code == 200
        page = outline(response)
        assert len(page.find("h1")) == 1, path
        assert page.find("main", id="main") and page.find("nav"), path
        assert all(image.get("alt") for image in page.find("img")), path
        assert len(page.find("h2")) >= 2, path
