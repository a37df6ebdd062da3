"""What a tag query matches, evaluated in SQL on real tagged items: AND/OR/NOT, synonyms folded
in live, unknown tags, verified-only, pages and counts."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project
from talk.services import tag_groups, tag_matching
from talk.services.tag_query import parse_query
from tests.talk.tag_groups.conftest import SHELF, ids

CASES = [
    ("#nurse", (1, 2, 4)),
    ("#NURSE", (1, 2, 4)),
    ("nurse", (1, 2, 4)),
    ("#nurse AND #smallpox", (1,)),
    ("#nurse OR #smallpox", (1, 2, 3, 4)),
    ("#nurse AND NOT #smallpox", (2, 4)),
    ("#nurse AND NOT (#smallpox OR #army)", (2,)),
    ("#smallpox OR #measles AND #nurse", (1, 3, 4)),
    ("(#smallpox OR #measles) AND #nurse", (1, 4)),
    ("NOT (NOT #nurse OR NOT #measles)", (4,)),
    ("#army AND NOT (#nurse AND NOT #measles)", (4, 6)),
    ("#nurse AND (#army OR NOT #smallpox)", (2, 4)),
    ("(#nurse OR #army) AND NOT #measles", (1, 2, 6)),
    ("#unknown", ()),
    ("#nurse OR #unknown", (1, 2, 4)),
    ("#nurse AND #unknown", ()),
    ("#nurse AND NOT #unknown", (1, 2, 4)),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_queries_match_the_items_carrying_their_tags(shelf, herbarium, matched, query, expected):
    assert matched(herbarium, query) == ids(shelf, *expected)


TAGS = ["nurse", "smallpox", "measles", "army", "unknown"]


def _queries():
    leaf = st.sampled_from(TAGS).map(lambda name: f"#{name}")
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(lambda q: f"NOT ({q})"),
            st.tuples(inner, st.sampled_from([" AND ", " OR ", " and ", " OR NOT "]), inner).map(
                lambda parts: f"({parts[0]}){parts[1]}({parts[2]})"
            ),
        ),
        max_leaves=6,
    )


def _reference(node, carried):
    """The query's meaning on one item, in plain Python."""
    kind = type(node).__name__
    if kind == "Term":
        return node.name in carried
    if kind == "Not":
        return not _reference(node.operand, carried)
    results = [_reference(o, carried) for o in node.operands]
    return all(results) if kind == "And" else any(results)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=_queries())
def test_sql_evaluation_agrees_with_the_queries_meaning(app, shelf, herbarium, text):
    try:
        query = parse_query(text)
    except InvalidInput:  # refused queries are the parser tests' business
        return
    carried = {n: {t.lstrip("#") for t in body.split()} for n, body in SHELF.items()}
    expected = [n for n in carried if _reference(query.tree, carried[n])]
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.match(project, query)
        found = [item.external_id for item, _ in tag_matching.each_item(matches)]
        assert found == ids(shelf, *expected), text
        assert tag_matching.count_items(matches) == len(expected)
        page = tag_matching.matching_items(matches, cursor=None, limit=2)
        assert [item.external_id for item in page.rows] == found[:2]


def test_a_synonym_resolves_to_its_canonical_tag_at_query_time(shelf, herbarium, matched, synonym):
    assert matched(herbarium, "#sister") == []
    synonym(herbarium, "sister", "nurse")
    assert matched(herbarium, "#Sister") == ids(shelf, 1, 2, 4)
    assert matched(herbarium, "#sister AND #smallpox") == ids(shelf, 1)
    assert matched(herbarium, "#nurse AND NOT #sister") == []


def test_a_saved_group_follows_tags_first_used_and_synonyms_made_after_it(
    app, make, shelf, herbarium, group, synonym, tag_items
):
    saved = group(herbarium, make.user(), title="Nursing", query="#nursing OR #matron")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.group_matches(tag_groups.get_group(project, saved.slug))
        assert matches.not_on_items == ["#nursing", "#matron"]
        assert tag_matching.count_items(matches) == 0

    synonym(herbarium, "nursing", "nurse")
    tag_items(herbarium, [(shelf[5], "#Matron")])
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.group_matches(tag_groups.get_group(project, saved.slug))
        assert matches.not_on_items == []
        found = [item.external_id for item, _ in tag_matching.each_item(matches)]
        assert found == ids(shelf, 1, 2, 4, 5)
        assert [tag.name for tag in matches.found_tags] == ["nurse", "matron"]


def test_verified_only_counts_an_including_tag_only_where_an_expert_verified_it(
    shelf, herbarium, matched, verdict
):
    verdict(herbarium, shelf[1], "nurse", "verified")
    verdict(herbarium, shelf[2], "nurse", "rejected")
    verdict(herbarium, shelf[4], "nurse", "verified")
    verdict(herbarium, shelf[1], "smallpox", "verified")

    assert matched(herbarium, "#nurse", verified_only=True) == ids(shelf, 1, 4)
    assert matched(herbarium, "#nurse") == ids(shelf, 1, 2, 4)
    assert matched(herbarium, "#nurse AND #smallpox", verified_only=True) == ids(shelf, 1)
    assert matched(herbarium, "#smallpox", verified_only=True) == ids(shelf, 1)
    # A tag that leaves items out leaves out every item carrying it, verified or not.
    assert matched(herbarium, "#nurse AND NOT #measles", verified_only=True) == ids(shelf, 1)
    assert matched(herbarium, "#nurse AND NOT #smallpox", verified_only=True) == ids(shelf, 4)
    # Under two NOTs a tag includes again, so it must be verified.
    assert matched(
        herbarium, "#nurse AND NOT (#army AND NOT #smallpox)", verified_only=True
    ) == ids(shelf, 1)
    assert matched(herbarium, "#measles", verified_only=True) == []


def test_an_expert_may_put_a_tag_on_an_item_by_verifying_it_there(
    shelf, herbarium, matched, verdict
):
    verdict(herbarium, shelf[5], "nurse", "verified")  # no comment tags item 5
    verdict(herbarium, shelf[6], "nurse", "rejected")
    verdict(herbarium, shelf[1], "nurse", "verified")  # used and verified: listed once
    assert matched(herbarium, "#nurse", verified_only=True) == ids(shelf, 1, 5)
    assert matched(herbarium, "#nurse") == ids(shelf, 1, 2, 4, 5)
    assert matched(herbarium, "#army AND NOT #nurse") == ids(shelf, 6)
    assert matched(herbarium, "#smallpox OR #nurse AND NOT #measles") == ids(shelf, 1, 2, 3, 5)
    # Carried through a verdict only, a tag is found, and left out, like any other.
    verdict(herbarium, shelf[6], "smallpox", "verified")
    assert matched(herbarium, "#army AND #smallpox") == ids(shelf, 6)
    assert matched(herbarium, "#army AND NOT #smallpox") == ids(shelf, 4)
    assert matched(herbarium, "#army AND NOT (#smallpox OR #measles)") == []
    assert matched(herbarium, "#army AND NOT (#smallpox AND NOT #nurse)") == ids(shelf, 4)


def test_a_tag_only_an_expert_put_on_an_item_is_not_reported_missing(
    app, shelf, herbarium, matched, verdict, synonym
):
    synonym(herbarium, "matron", None)
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        assert tag_matching.match(project, "#Matron OR #nobody").not_on_items == [
            "#Matron",
            "#nobody",
        ]
    verdict(herbarium, shelf[5], "matron", "verified")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.match(project, "#Matron OR #nobody")
        assert matches.not_on_items == ["#nobody"]
    assert matched(herbarium, "#matron") == ids(shelf, 5)


def test_tags_on_items_names_the_groups_tags_each_item_carries_with_verified_status(
    app, shelf, herbarium, verdict, synonym
):
    verdict(herbarium, shelf[1], "smallpox", "verified")
    verdict(herbarium, shelf[2], "nurse", "rejected")
    synonym(herbarium, "sister", "nurse")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.match(project, "#sister OR #smallpox OR #nurse AND NOT #army")
        found = {
            item.external_id: [(t.tag.name, t.verified) for t in tags]
            for item, tags in tag_matching.each_item(matches, batch=2)
        }
    assert found == {
        shelf[1].external_id: [("nurse", False), ("smallpox", True)],
        shelf[2].external_id: [("nurse", False)],
        shelf[3].external_id: [("smallpox", False)],
        shelf[4].external_id: [("nurse", False), ("army", False)],
    }


def test_items_come_newest_first_in_keyset_pages(app, make, herbarium, tag_items):
    items = make.items(herbarium, 7)
    tag_items(herbarium, [(item, "#orchid") for item in items])
    other = make.project("other")
    tag_items(other, [(make.item(other), "#orchid")])
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.match(project, "#orchid")
        seen, cursor, pages = [], None, 0
        while True:
            page = tag_matching.matching_items(matches, cursor=cursor, limit=3)
            seen += [item.external_id for item in page.rows]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert pages == 3
    assert seen == [item.external_id for item in reversed(items)]


def test_a_query_matching_nothing_runs_no_item_query_and_still_checks_the_cursor(
    app, herbarium, count_queries
):
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.match(project, "#nobody AND #uses")
        with count_queries() as queries:
            page = tag_matching.matching_items(matches, cursor=None, limit=10)
            assert tag_matching.count_items(matches) == 0
        assert page.rows == [] and page.next_cursor is None
        assert queries.count == 0
        with pytest.raises(InvalidInput):
            tag_matching.matching_items(matches, cursor="not-a-cursor", limit=10)


def test_a_merge_and_a_verdict_made_by_curators_fold_into_saved_groups(
    app, make, shelf, herbarium, tag_items, group
):
    """The same through the curation service: a group saved for #nursing follows the merge of
    #nursing into #nurse, and an expert's verdict on an item."""
    from talk.models import Item, User
    from talk.services import curation, tags

    expert = make.member(herbarium, "expert")
    tag_items(herbarium, [(shelf[5], "#Nursing")])
    saved = group(herbarium, make.user(), title="Nursing", query="#nursing AND NOT #army")
    with make.context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.group_matches(tag_groups.get_group(project, saved.slug))
        assert [i.external_id for i, _ in tag_matching.each_item(matches)] == ids(shelf, 5)
        curator = db.session.get(User, expert.id)
        curation.merge(curator, tags.find_tag(project, "nursing"), tags.find_tag(project, "nurse"))
        curation.set_verdict(
            curator, db.session.get(Item, shelf[6].id), tags.find_tag(project, "nurse"), "verified"
        )
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        matches = tag_matching.group_matches(tag_groups.get_group(project, saved.slug))
        assert [tag.name for tag in matches.found_tags] == ["nurse", "army"]
        assert [i.external_id for i, _ in tag_matching.each_item(matches)] == ids(shelf, 5, 2, 1)
