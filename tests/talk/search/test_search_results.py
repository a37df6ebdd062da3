"""What a volunteer sees of each result (issue 8): a snippet of the text the comment shows (not
its Markdown), one result per thread, a count, and exclusions that leave out what is about the
excluded word — on the database in use (SQLite FTS5, or PostgreSQL)."""

from __future__ import annotations

import re

import pytest

from talk.extensions import db

TABLE_AND_QUOTE = (
    "| Field | Reading |\n"
    "|---|---|\n"
    "| Date | 1887 |\n"
    "\n"
    "> The ink is quite faded here.\n"
    "\n"
    "See [the label](https://example.org/label-x) and **quite faded** _pencil_."
)


def tags_in(html: str) -> list[str]:
    return re.findall(r"<[^>]*>", html)


@pytest.fixture
def volunteer(make):
    project = make.project("herbarium")
    return project, make.user("vera"), make.user("walt")


def test_a_snippet_is_the_plain_text_of_the_rendered_comment(find, make, volunteer):
    project, vera, _walt = volunteer
    make.discussion(project, vera, title="Reading the label", body=TABLE_AND_QUOTE)
    (row,) = find("faded").rows
    snippet = str(row.snippet_html)
    for syntax in ("|", "---", "&gt;", "**", "](", "https://", "_pencil_"):
        assert syntax not in snippet, (syntax, snippet)
    assert snippet.startswith("Field Reading Date 1887 The ink is quite <mark>faded</mark>")
    assert "See the label and quite <mark>faded</mark> pencil." in snippet
    assert tags_in(snippet) == ["<mark>", "</mark>"] * 2


def test_a_long_comment_is_cut_around_its_best_matches(find, make, volunteer):
    project, vera, _walt = volunteer
    body = " ".join(f"word{i}" for i in range(80)) + " the stamp is quite faded " + "tail " * 40
    make.discussion(project, vera, title="Long", body=body)
    (row,) = find('"quite faded"').rows
    snippet = str(row.snippet_html)
    assert snippet.startswith("… word79 the stamp is <mark>quite</mark> <mark>faded</mark> tail")
    assert snippet.endswith(" …") and len(snippet.split()) < 40


@pytest.mark.parametrize(
    "body",
    [
        '<script>alert("quokka")</script> quokka <img src=x onerror=alert(1)>',
        "`</mark><script>alert(1)</script>` quokka",
        "quokka \x02<b>unbalanced\x03 \x03 <mark>fake</mark> \x02",
        "[quokka](javascript:alert(1)) <a href='x'>quokka</a> &amp; &lt;quokka&gt;",
        "```\n<style>body{}</style> quokka\n```",
    ],
)
def test_markup_typed_in_a_comment_never_becomes_markup_in_its_snippet(find, make, volunteer, body):
    project, vera, _walt = volunteer
    make.discussion(project, vera, title="Odd", body=body)
    (row,) = find("quokka").rows
    snippet = str(row.snippet_html)
    tags = tags_in(snippet)
    assert set(tags) == {"<mark>", "</mark>"}, snippet
    assert tags == ["<mark>", "</mark>"] * (len(tags) // 2), snippet  # balanced, never nested
    assert "\x02" not in snippet and "\x03" not in snippet


def test_a_thread_is_one_result_showing_and_linking_to_its_best_comment(find, make, volunteer):
    project, vera, walt = volunteer
    thread = make.discussion(project, vera, title="Faded ink", body="Is this ink faded?")
    best = make.comment(thread, walt, "Faded, faded, faded: the faded ink of 1887.")
    make.comment(thread, vera, "Nothing to do with it.")
    only_title = make.discussion(project, walt, title="Faded stamps", body="See the sheet.")
    found = find("faded")
    assert sorted(found.pairs) == [("comment", best.id), ("discussion", only_title.id)]
    assert found.total == 2
    by_thread = {
        row.discussion_id: (row, url) for row, url in zip(found.rows, found.urls, strict=True)
    }
    shown, url = by_thread[thread.id]
    assert shown.title == "Faded ink" and shown.author == "walt"
    assert url.endswith(f"/comments/{best.id}")
    assert str(shown.snippet_html).startswith("<mark>Faded</mark>, <mark>faded</mark>")
    title_only, url = by_thread[only_title.id]
    assert url.endswith(f"/discussions/{only_title.id}")
    assert str(title_only.snippet_html) == "<mark>Faded</mark> stamps"


def test_the_count_covers_every_page_and_only_what_the_viewer_may_read(
    app, find, make, volunteer, staff_room
):
    from talk.models import Comment, User
    from talk.services import discussions

    project, vera, walt = volunteer
    team = make.member(project, "team", username="staffer")
    room = staff_room(project, team)
    make.comment(SimpleThread(room.discussion_id), team, "The okapi rota, secret.")
    threads = [
        make.discussion(project, vera, title=f"Sheet {i}", body=f"okapi {i}") for i in range(5)
    ]
    hidden_thread = make.discussion(project, walt, title="Label", body="A plain label.")
    hidden = make.comment(hidden_thread, walt, "okapi okapi okapi: hidden words quisling")
    moderator = make.admin()
    with app.app_context():
        discussions.hide_comment(
            db.session.get(User, moderator.id), db.session.get(Comment, hidden.id), "spam"
        )
        db.session.commit()

    first = find("okapi", limit=2)
    assert first.total == 5 and len(first.rows) == 2
    second = find("okapi", cursor=first.next_cursor, limit=2)
    assert second.total == 5
    assert find("okapi", team).total == 6
    assert find("quisling").total == 0 and find("quisling", moderator).total == 0
    seen = first.rows + second.rows + find("okapi", cursor=second.next_cursor, limit=2).rows
    assert sorted(row.discussion_id for row in seen) == sorted(t.id for t in threads)
    for row in seen:
        assert "secret" not in str(row.snippet_html) and "hidden" not in str(row.snippet_html)


class SimpleThread:
    def __init__(self, discussion_id: int) -> None:
        self.id = discussion_id


def _item(make, project, external_id, title, metadata):
    from talk.models import Project, User
    from talk.services import items
    from tests.conftest import snapshot

    with make.context():
        (item,) = items.register_items(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            [{"external_id": external_id, "title": title, "metadata": metadata}],
        )
        return snapshot(item)


def test_an_excluded_word_leaves_out_what_is_about_it(find, make, volunteer):
    """``-word`` leaves out a result whose own text, whose discussion's title, or whose item's
    title, identifier or metadata contains the word."""
    project, vera, walt = volunteer
    by_title = _item(make, project, "K001", "Ranunculus acris", {"collector": "Hooker"})
    by_metadata = _item(make, project, "K002", "Sheet two", {"genus": "Ranunculus"})
    by_id = _item(make, project, "ranunculus-3", "Sheet three", {"collector": "Hooker"})
    for item in (by_title, by_metadata, by_id):
        make.discussion(project, vera, item=item, title="Label", body="The ink is quite faded.")
    make.discussion(project, vera, title="Ranunculus labels", body="Mine is quite faded too.")
    said = make.discussion(project, vera, title="Buttercups", body="Ranunculus, quite faded.")
    wanted = make.discussion(project, walt, title="Labels", body="Quite faded, this one.")
    other = _item(make, project, "K004", "Bellis perennis", {"collector": "Hooker"})
    about_other = make.discussion(
        project, walt, item=other, title="Label", body="quite faded pencil"
    )
    # A thread whose other comment says the word is still found by the comment that does not.
    later = make.comment(said, walt, "Also quite faded here.")

    assert len(find('"quite faded"').pairs) == 7
    found = find('"quite faded" -Ranunculus')
    assert sorted(found.pairs) == sorted(
        [
            ("comment", wanted.first_comment_id),
            ("comment", about_other.first_comment_id),
            ("comment", later.id),
        ]
    )
    assert found.total == 3
    assert find('"quite faded" -ranunculus -bellis').total == 2
    assert find('"quite faded" -"ranunculus acris"').total == 6
    assert find('"faded quite"').pairs == []  # a phrase is still a phrase


def test_a_word_excluded_by_a_threads_title_leaves_out_its_comments(find, make, volunteer):
    """The context an exclusion looks at is the result's own thread or item, never another."""
    project, vera, _walt = volunteer
    make.discussion(project, vera, title="Zebra notes", body="zebra okapi")
    found = find("okapi -zebra")
    assert found.pairs == [] and found.total == 0
    lone = make.discussion(project, vera, title="Okapi", body="An okapi.")
    assert find("okapi -zebra").pairs == [("comment", lone.first_comment_id)]
