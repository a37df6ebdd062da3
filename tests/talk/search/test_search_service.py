"""The search service on the database in use (SQLite FTS5, or PostgreSQL when
TALK_TEST_DATABASE_URL is set): what is found, in what order, by whom, and page by page."""

from __future__ import annotations

from datetime import date

import pytest

from talk.errors import InvalidInput, NotFound


@pytest.fixture
def herbarium(make):
    """A project with a volunteer's discussion on Chat, an item thread, and an item."""
    project = make.project("herbarium")
    alice = make.user("alice")
    bob = make.user("bob")
    item = make.item(project, prefix="sheet")
    chat = make.discussion(
        project,
        alice,
        title="Identifying an oak",
        body="The leaves look like an old English oak to me.",
    )
    about = make.discussion(
        project, bob, item=item, title="Collector's handwriting", body="Is that a Q or an O?"
    )
    return project, alice, bob, item, chat, about


def test_finds_comments_discussion_titles_and_items(find, herbarium):
    _project, _alice, _bob, item, chat, about = herbarium
    assert find("english").pairs == [("comment", chat.first_comment_id)]
    assert find("identifying").pairs == [("discussion", chat.id)]
    assert find("handwriting").pairs == [("discussion", about.id)]
    # Items: their title, external id and metadata values.
    assert find("botanist").pairs == [("item", item.id)]
    assert find(item.external_id).pairs == [("item", item.id)]


def test_words_must_all_be_found_in_any_order(find, make, herbarium):
    project, alice, *_ = herbarium
    thread = make.discussion(project, alice, title="Trees", body="An oak that is very old.")
    both = find("old oak")
    assert set(both.pairs) == {
        ("comment", herbarium[4].first_comment_id),
        ("comment", thread.first_comment_id),
    }
    assert find("oak pineapple").pairs == []


def test_a_phrase_must_appear_as_written(find, make, herbarium):
    project, alice, *_ = herbarium
    make.discussion(project, alice, title="Trees", body="An oak that is very old.")
    assert find('"old english oak"').pairs == [("comment", herbarium[4].first_comment_id)]
    assert find('"oak old"').pairs == []


def test_excluded_words_and_phrases(find, make, herbarium):
    project, alice, *_ = herbarium
    other = make.discussion(project, alice, title="Trees", body="An oak that is very old.")
    chat = herbarium[4]
    assert set(find("oak -english").pairs) == {
        ("comment", other.first_comment_id),
        ("discussion", chat.id),  # its title, "Identifying an oak"
    }
    assert find('oak -"english oak"', kind="comment").pairs == [("comment", other.first_comment_id)]
    # Excluding a phrase leaves alone the same words in another order.
    assert len(find('oak -"oak english"', kind="comment").pairs) == 2
    assert find("oak -identifying -english").pairs == [("comment", other.first_comment_id)]


def test_or_finds_either(find, make, herbarium):
    project, alice, *_ = herbarium
    beech = make.discussion(project, alice, title="Trees", body="A copper beech, surely.")
    chat_comment = herbarium[4].first_comment_id
    # The chat's title says "oak" too: one result for the thread, showing its comment.
    assert set(find("oak OR beech").pairs) == {
        ("comment", chat_comment),
        ("comment", beech.first_comment_id),
    }
    # OR binds tighter than the implicit AND: leaves AND (oak OR beech).
    assert find("leaves oak OR beech").pairs == [("comment", chat_comment)]
    # Lower-case "or" is just a word.
    assert find("oak or beech").pairs == []


def test_english_projects_match_word_forms_and_ignore_accents(find, make, herbarium):
    project, alice, *_ = herbarium
    thread = make.discussion(
        project, alice, title="Registers", body="The parish registers of the Église Saint-Pierre."
    )
    first = thread.first_comment_id
    assert ("comment", first) in find("register").pairs
    assert ("comment", first) in find("eglise").pairs
    assert ("comment", first) in find("ÉGLISE").pairs
    assert ("comment", first) in find('"registers of the eglise"').pairs


def test_simple_projects_match_words_exactly_but_still_ignore_accents(
    find, make, project_with_language
):
    project = project_with_language("registres", "simple")
    author = make.user("claire")
    thread = make.discussion(
        project, author, title="Actes", body="Les registres de l'Église Saint-Pierre."
    )
    first = thread.first_comment_id
    assert find("registres", project="registres").pairs == [("comment", first)]
    assert find("registre", project="registres").pairs == []
    assert find("eglise", project="registres").pairs == [("comment", first)]


def test_search_language_is_checked_when_a_project_is_made(app, make):
    from talk.extensions import db
    from talk.models import User
    from talk.services import projects

    owner = make.admin()
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            projects.create_project(
                db.session.get(User, owner.id),
                "klingon",
                "Klingon",
                settings={"search_language": "klingon"},
            )
        assert "settings.search_language" in refused.value.fields
        db.session.rollback()
        french = projects.create_project(
            db.session.get(User, owner.id),
            "french",
            "French",
            settings={"search_language": "french"},
        )
        assert french.settings["search_language"] == "french"


def test_changing_a_projects_language_reindexes_it(app, find, make, project_with_language):
    from talk.extensions import db
    from talk.models import Project

    project = project_with_language("sheets", "simple")
    author = make.user("dora")
    thread = make.discussion(project, author, title="Mounting", body="Two sheets, one label.")
    assert find("sheet", project="sheets").pairs == []
    with app.app_context():
        row = db.session.get(Project, project.id)
        row.settings = {"search_language": "english"}
        db.session.commit()
    assert find("sheet", project="sheets").pairs == [("comment", thread.first_comment_id)]


def test_better_matches_rank_first(find, make, herbarium):
    project, alice, *_ = herbarium
    passing = make.discussion(
        project,
        alice,
        title="Labels",
        body="Many labels mention a lime, a hazel, a willow, an ash, and one acorn among "
        "dozens of other notes about handwriting, ink, paper and mounting.",
    )
    focused = make.discussion(project, alice, title="Acorns", body="Acorn, acorn: an acorn.")
    found = find("acorn")
    assert found.pairs == [
        ("comment", focused.first_comment_id),  # its title "Acorns" is the same thread
        ("comment", passing.first_comment_id),
    ]
    scores = [row.score for row in found.rows]
    assert scores == sorted(scores, reverse=True)


def test_deleted_comments_are_not_found(find, make, delete_comment, herbarium):
    project, alice, bob, *_ = herbarium
    thread = make.discussion(project, alice, title="Trees", body="First words")
    reply = make.comment(thread, bob, "A mistaken xylophone")
    assert find("xylophone").pairs == [("comment", reply.id)]
    delete_comment(reply, bob)
    assert find("xylophone").pairs == []


def test_edited_comments_are_found_by_their_new_words_only(find, make, edit_comment, herbarium):
    project, alice, *_ = herbarium
    thread = make.discussion(project, alice, title="Trees", body="A sycamore, I think.")
    first = thread.first_comment_id
    assert find("sycamore").pairs == [("comment", first)]
    edit_comment(SimpleComment(first), alice, "A field maple, I think.")
    assert find("sycamore").pairs == []
    assert find("maple").pairs == [("comment", first)]


class SimpleComment:
    def __init__(self, comment_id: int) -> None:
        self.id = comment_id


def test_restricted_boards_are_searched_only_by_who_may_read_them(
    find, make, herbarium, staff_room
):
    project, alice, *_ = herbarium
    team = make.member(project, "team", username="staffer")
    admin = make.admin()
    room = staff_room(project, team)
    for viewer in (None, alice):
        assert find("zebra", viewer).pairs == []
        assert find("zebra", viewer, project="herbarium").pairs == []
    for viewer in (team, admin, project.owner):
        assert find("zebra", viewer).pairs == [("comment", room.comment_id)]
        assert len(find("zebra", viewer, project="herbarium").pairs) == 1
    # Naming the board does not reveal it either.
    with pytest.raises(NotFound):
        find("zebra", alice, board=room.id)
    assert len(find("zebra", team, board=room.id).pairs) == 1


def test_filters(find, make, clock, herbarium):
    project, alice, bob, item, _chat, about = herbarium
    other = make.project("archive")
    clock.advance(days=3)
    late = make.discussion(project, bob, title="Walnut", body="A walnut leaf, perhaps.")
    elsewhere = make.discussion(other, bob, title="Walnut too", body="Another walnut.")
    make.comment(about, alice, "Walnut ink on this label.")
    everything = find("walnut")
    assert len(everything.pairs) == 3  # three threads; two of them match by title and comment
    assert {row.project for row in everything.rows} == {"herbarium", "archive"}

    in_project = find("walnut", project="herbarium")
    assert ("discussion", elsewhere.id) not in in_project.pairs
    assert len(in_project.pairs) == 2

    on_chat = find("walnut", project="herbarium", board=project.boards["Chat"].id)
    assert on_chat.pairs == [("comment", late.first_comment_id)]

    about_item = find("walnut", project="herbarium", item=item.external_id)
    assert [row.author for row in about_item.rows] == ["alice"]

    by_bob = find("walnut", author="BOB")
    assert {row.author for row in by_bob.rows} == {"bob"} and len(by_bob.pairs) == 2
    # The author is named as logins name people: NFKC and case folded (full-width letters).
    assert find("walnut", author="\uff22\uff2f\uff22").pairs == by_bob.pairs

    titles = find("walnut", kind="discussion")
    assert {kind for kind, _ in titles.pairs} == {"discussion"} and len(titles.pairs) == 2

    start = clock.now.date()
    assert len(find("walnut", date_from=start).pairs) == 3
    assert len(find("walnut", date_to=date(2026, 3, 14)).pairs) == 0
    assert len(find("walnut", date_from=start, date_to=start).pairs) == 3


def test_date_range_is_inclusive_whole_days(find, make, clock, herbarium):
    project, alice, *_ = herbarium
    clock.advance(days=1, hours=11, minutes=59)  # 15 March, 23:59 UTC
    late = make.discussion(project, alice, title="Late night", body="A quince.")
    assert len(find("quince", date_from=date(2026, 3, 15), date_to=date(2026, 3, 15)).pairs) == 1
    assert find("quince", date_to=date(2026, 3, 14)).pairs == []
    assert find("quince", date_from=date(2026, 3, 16)).pairs == []
    assert find("quince").pairs == [("comment", late.first_comment_id)]


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"project": "nowhere"}, NotFound),
        ({"project": "herbarium", "item": "no-such-item"}, NotFound),
        ({"item": "sheet-1"}, InvalidInput),
        ({"author": "nobody"}, NotFound),
        ({"board": 999999}, NotFound),
        ({"kind": "page"}, InvalidInput),
        ({"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 1)}, InvalidInput),
        ({"project": "herbarium", "tag": "nosuchtag"}, NotFound),
    ],
)
def test_bad_filters_are_refused(find, herbarium, filters, error):
    with pytest.raises(error):
        find("oak", **filters)


def test_a_board_of_another_project_is_refused(find, make, herbarium):
    other = make.project("archive")
    with pytest.raises(NotFound):
        find("oak", project="herbarium", board=other.boards["Chat"].id)


def test_pages_cover_every_result_once(find, make, herbarium):
    project, alice, bob, *_ = herbarium
    thread = make.discussion(project, alice, title="Hornbeams", body="Lots of hornbeam here.")
    make.comment(thread, bob, "Another hornbeam.")  # the same thread: still one result
    expected = {thread.id}
    for i in range(24):
        # Identical bodies tie on score: the tie-break (newest first) must still page exactly.
        body = "Another hornbeam." if i % 2 else f"Hornbeam number {i}, hornbeam again."
        other = make.discussion(project, bob if i % 3 else alice, title=f"Tree {i}", body=body)
        expected.add(other.id)
    seen, cursor, pages = [], None, 0
    while True:
        page = find("hornbeam", cursor=cursor, limit=7)
        seen.extend(row.discussion_id for row in page.rows)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert seen == [row.discussion_id for row in find("hornbeam", limit=100).rows]


def test_a_cursor_belongs_to_its_search(find, make, herbarium):
    project, alice, *_ = herbarium
    make.discussion(project, alice, title="Pines", body="pine")
    for i in range(3):
        make.discussion(project, alice, title=f"Tree {i}", body="pine pine")
    cursor = find("pine", limit=2).next_cursor
    assert cursor
    assert len(find("pine", cursor=cursor, limit=2).pairs) == 2
    for other in ({"q": "pine -cone"}, {"q": "pine", "project": "herbarium"}):
        with pytest.raises(InvalidInput):
            find(other.pop("q"), cursor=cursor, limit=2, **other)
    for garbage in ("nonsense", "W10", "WzEsMiwzXQ", "!!!"):
        with pytest.raises(InvalidInput):
            find("pine", cursor=garbage)


def test_snippets_are_escaped_text_with_only_mark_tags(find, make, herbarium):
    project, alice, *_ = herbarium
    body = (
        '<script>alert("quokka")</script> <img src=x onerror=alert(1)> '
        "**quokka** [click](javascript:alert(1)) & <b>bold</b>"
    )
    thread = make.discussion(project, alice, title="<i>Quokka</i> & co", body=body)
    (comment,) = find("quokka").rows
    (discussion,) = find("quokka", kind="discussion").rows
    by_kind = {"comment": comment, "discussion": discussion}
    snippet = str(by_kind["comment"].snippet_html)
    assert "<script" not in snippet and "<img" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet or "alert" in snippet
    assert "<mark>quokka</mark>" in snippet.lower()
    tags = set(re_tags(snippet))
    assert tags <= {"<mark>", "</mark>"}
    title_snippet = str(by_kind["discussion"].snippet_html)
    assert re_tags(title_snippet) <= {"<mark>", "</mark>"}
    assert "&lt;i&gt;" in title_snippet or "Quokka" in title_snippet
    assert by_kind["discussion"].title == "<i>Quokka</i> & co"  # escaped by the templates
    assert thread.id == by_kind["discussion"].id


def re_tags(html):
    import re

    return set(re.findall(r"<[^>]*>", html))


def test_results_link_to_the_right_pages(find, make, herbarium):
    _project, _alice, _bob, item, chat, about = herbarium
    found = find("handwriting OR english OR botanist")
    urls = dict(zip(found.pairs, found.urls, strict=True))
    assert urls[("comment", chat.first_comment_id)].endswith(f"/comments/{chat.first_comment_id}")
    assert urls[("discussion", about.id)].endswith(f"/discussions/{about.id}")
    assert urls[("item", item.id)].endswith(f"/projects/herbarium/items/{item.external_id}")
    by_pair = dict(zip(found.pairs, found.rows, strict=True))
    comment = by_pair[("comment", chat.first_comment_id)]
    assert comment.title == "Identifying an oak"
    assert comment.board_title == "Chat" and comment.author == "alice"


def test_hashtags_are_found_and_filter(find, make, herbarium):
    _project, alice, bob, _item, chat, about = herbarium
    tagged = make.comment(about, alice, "Looks like #fagaceae to me, a beech.")
    make.comment(chat, bob, "Not a beech at all.")
    found = find("fagaceae", project="herbarium")
    kinds = {kind for kind, _ in found.pairs}
    assert "tag" in kinds and ("comment", tagged.id) in found.pairs
    tag_row = next(row for row in found.rows if row.kind == "tag")
    assert tag_row.title == "fagaceae"
    only_tagged = find("beech", project="herbarium", tag="fagaceae")
    assert only_tagged.pairs == [("comment", tagged.id)]


@pytest.mark.parametrize(
    "q",
    ["", "   ", "-oak", '-"old oak"', "!!! ???", "x" * 501, "a\x00b", " ".join(["w"] * 17)],
)
def test_queries_that_cannot_be_searched_are_refused(find, herbarium, q):
    with pytest.raises(InvalidInput) as refused:
        find(q)
    assert "q" in refused.value.fields


@pytest.mark.parametrize(
    "q",
    ['oak"', "title:oak", "oak*", "NEAR(oak english)", "oak AND", "^oak", "(oak", "oak) OR"],
)
def test_engine_syntax_typed_by_people_is_only_text(find, herbarium, q):
    find(q)  # never an engine syntax error


def test_a_search_across_projects_of_different_languages(find, make, project_with_language):
    english = project_with_language("parish", "english")
    french = project_with_language("paroisse", "french")
    simple = project_with_language("registres", "simple")
    author = make.user("claire")
    ours = make.discussion(english, author, title="Baptisms", body="The église registers.")
    theirs = make.discussion(french, author, title="Baptêmes", body="Les registres de l'église.")
    plain = make.discussion(simple, author, title="Actes", body="Registres de l'Eglise.")
    found = find("eglise")
    assert set(found.pairs) == {
        ("comment", ours.first_comment_id),
        ("comment", theirs.first_comment_id),
        ("comment", plain.first_comment_id),
    }
    assert {row.project for row in found.rows} == {"parish", "paroisse", "registres"}
    for row in found.rows:
        assert "<mark>" in str(row.snippet_html).lower()
    scores = [row.score for row in found.rows]
    assert scores == sorted(scores, reverse=True)
    # Paging across the engines' branches still covers everything once.
    first = find("eglise", limit=2)
    rest = find("eglise", cursor=first.next_cursor, limit=2)
    assert sorted(first.pairs + rest.pairs) == sorted(found.pairs)
