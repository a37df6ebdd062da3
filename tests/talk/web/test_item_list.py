"""The item list finds an item among many: by external id or title, ordered, filtered by tag or
by "has discussions", with the same search kept on every next page, on the page and the API."""

import re
from urllib.parse import unquote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.talk.web.pages import outline, text


def item_links(response, slug="herbarium"):
    """The external ids the page's item tiles link to, in order."""
    prefix = f"/projects/{slug}/items/"
    return [
        unquote(attrs["href"].removeprefix(prefix))
        for tag, attrs in outline(response).tags
        if tag == "a" and attrs.get("href", "").startswith(prefix)
    ]


def next_link(response):
    found = re.search(r'<a rel="next" href="([^"]+)"', text(response))
    return found[1].replace("&amp;", "&") if found else None


@pytest.fixture
def herbarium(make):
    project = make.project("herbarium")
    owner = project.owner
    rows = {}
    for external_id, title in [
        ("HB-001", "Quercus robur, oak"),
        ("HB-002", "Fagus sylvatica, beech"),
        ("HB-010", "Quercus petraea, sessile oak"),
        ("HB-0101", "Hedera helix"),
        ("50%_off", "Odd 100% id"),
    ]:
        rows[external_id] = make.item(project, prefix="x")
        from talk.extensions import db
        from talk.models import Item

        with make.context():
            item = db.session.get(Item, rows[external_id].id)
            item.external_id, item.title = external_id, title
            db.session.flush()
    volunteer = make.user("vol")
    once = make.discussion(project, volunteer, item=rows["HB-002"], board="Item discussions")
    make.comment(once, volunteer, "Beech #leaf")
    for i in range(2):
        make.discussion(
            project, volunteer, item=rows["HB-010"], board="Item discussions", title=f"Oak {i}"
        )
    return project, owner, rows


def test_an_exact_external_id_comes_first_then_titles_and_id_prefixes(client, herbarium):
    page = client.get("/projects/herbarium/items?q=HB-010")
    assert page.status_code == 200
    # HB-010 itself first (once), then HB-0101, whose id starts with the text.
    assert item_links(page) == ["HB-010", "HB-0101"]
    assert "Item HB-010" in text(page)


def test_title_search_ignores_letter_case_and_treats_like_signs_as_text(client, herbarium):
    assert item_links(client.get("/projects/herbarium/items?q=OAK")) == ["HB-001", "HB-010"]
    assert item_links(client.get("/projects/herbarium/items?q=100%25")) == ["50%_off"]
    assert item_links(client.get("/projects/herbarium/items?q=_")) == []
    assert "No items match" in text(client.get("/projects/herbarium/items?q=pine"))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("registered", ["HB-001", "HB-002", "HB-010", "HB-0101", "50%_off"]),
        ("newest", ["50%_off", "HB-0101", "HB-010", "HB-002", "HB-001"]),
        ("id", ["50%_off", "HB-001", "HB-002", "HB-010", "HB-0101"]),
        ("discussed", ["HB-010", "HB-002", "50%_off", "HB-0101", "HB-001"]),
        ("active", ["HB-010", "HB-002"]),
    ],
)
def test_each_order(client, herbarium, sort, expected):
    assert item_links(client.get(f"/projects/herbarium/items?sort={sort}")) == expected


def test_filters_by_tag_in_any_spelling_and_by_having_discussions(client, herbarium):
    assert item_links(client.get("/projects/herbarium/items?tag=%23Leaf")) == ["HB-002"]
    discussed = client.get("/projects/herbarium/items?discussed=1&sort=id")
    assert item_links(discussed) == ["HB-002", "HB-010"]


def test_next_pages_keep_the_search_order_and_filters(app, client, herbarium):
    app.config["TALK_PAGE_SIZE"] = 1
    seen = []
    url = "/projects/herbarium/items?q=HB&sort=newest&discussed=1"
    while url:
        page = client.get(url)
        assert page.status_code == 200, url
        seen += item_links(page)
        url = next_link(page)
        if url:
            assert "q=HB" in url
            assert "sort=newest" in url
            assert "discussed=1" in url
    assert seen == ["HB-010", "HB-002"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=price", "sort"),
        ("discussed=maybe", "discussed"),
        ("tag=nosuchtag", "tag"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("sort=id&cursor=WzFd", "cursor"),  # a cursor of another order
        ("q=" + "x" * 501, "q"),
    ],
)
def test_a_search_that_is_not_right_is_a_422_naming_the_problem(client, herbarium, query, field):
    page = client.get(f"/projects/herbarium/items?{query}")
    assert page.status_code == 422
    assert 'role="alert"' in text(page)
    assert 'id="item-q"' in text(page)  # the form is there to correct it
    api = client.get(f"/api/v1/projects/herbarium/items?{query}")
    assert api.status_code == 422
    assert field in str(api.get_json())


def test_discussion_orders_need_access_to_item_discussions(client, make, herbarium):
    project, _owner, _rows = herbarium
    from talk.extensions import db
    from talk.models import Board

    with make.context():
        db.session.get(Board, project.boards["Item discussions"].id).read_level = "team"
        db.session.flush()
    page = client.get("/projects/herbarium/items")
    assert 'value="discussed"' not in text(page)
    assert 'name="discussed"' not in text(page)
    assert client.get("/projects/herbarium/items?sort=discussed").status_code == 422
    assert client.get("/projects/herbarium/items?discussed=1").status_code == 422
    login(client, project.owner.username)
    assert client.get("/projects/herbarium/items?sort=discussed").status_code == 200


def test_the_api_finds_orders_and_filters_the_same_way(client, herbarium):
    body = client.get("/api/v1/projects/herbarium/items?q=HB-010").get_json()
    assert [row["external_id"] for row in body["data"]] == ["HB-010", "HB-0101"]
    body = client.get("/api/v1/projects/herbarium/items?sort=discussed&limit=1").get_json()
    assert [row["external_id"] for row in body["data"]] == ["HB-010"]
    more = client.get(
        f"/api/v1/projects/herbarium/items?sort=discussed&limit=1&cursor={body['next_cursor']}"
    ).get_json()
    assert [row["external_id"] for row in more["data"]] == ["HB-002"]
    tagged = client.get("/api/v1/projects/herbarium/items?tag=leaf").get_json()
    assert [row["external_id"] for row in tagged["data"]] == ["HB-002"]


@pytest.mark.parametrize(
    "query", ["", "?q=HB-001", "?q=oak&sort=discussed", "?tag=leaf&sort=active", "?discussed=1"]
)
def test_a_search_costs_the_same_with_5_items_as_with_45(client, make, count_queries, query):
    counts = []
    for slug, n in (("small", 5), ("large", 45)):
        project = make.project(slug)
        items = make.items(project, n, prefix="HB-001")
        with make.context():
            from talk.extensions import db
            from talk.models import Item

            for row in items:
                db.session.get(Item, row.id).title = "An oak"
            db.session.flush()
        person = make.user(f"{slug}-person")
        for row in items[:n:2]:
            about = make.discussion(project, person, item=row, board="Item discussions")
            make.comment(about, person, "#leaf")
        with count_queries() as queries:
            response = client.get(f"/projects/{slug}/items{query}")
        assert response.status_code == 200, (slug, query)
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6, counts


ARGUMENT = st.one_of(
    st.sampled_from(["", "1", "0", "true", "on", "id", "newest", "#leaf", "HB-010", "%", "_"]),
    st.text(max_size=30),
    st.text(min_size=499, max_size=502, alphabet="xé"),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    arguments=st.dictionaries(
        st.sampled_from(["q", "sort", "tag", "discussed", "cursor", "limit"]), ARGUMENT
    )
)
def test_any_arguments_get_the_list_or_a_422_never_a_500(client, herbarium, arguments):
    query = urlencode(arguments)
    page = client.get(f"/projects/herbarium/items?{query}")
    # (414: the site refuses a request line longer than it reads, before any view.)
    assert page.status_code in (200, 414, 422), (arguments, page.status_code)
    api = client.get(f"/api/v1/projects/herbarium/items?{query}")
    assert api.status_code in (200, 414, 422), (arguments, api.status_code)
    if api.status_code == 422:
        assert api.get_json()["error"]["fields"], arguments
