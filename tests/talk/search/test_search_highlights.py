"""Which words a snippet highlights, on the database in use: every word of the text the reader
sees whose form the engine matches with a word of the query (stems, accents, a phrase's words,
an address or a number typed whole), in the language of the result's project. On PostgreSQL
Talk marks them by stemming the page's distinct words (``PostgresSearch.matched``), not by
``ts_headline()``; the cases below hold on both engines (docs/search.md, "Seventh round")."""

from __future__ import annotations

import re

import pytest


def highlighted(row) -> set[str]:
    return set(re.findall(r"<mark>(.*?)</mark>", str(row.snippet_html)))


@pytest.mark.parametrize(
    ("body", "q", "words"),
    [
        ("The pages, and the page itself.", "page", {"pages", "page"}),
        ("Les registres de l'Église Saint-Pierre.", "eglise", {"Église"}),
        (
            "A major point, a general one: the major general signed.",
            '"major general"',
            {"major", "general"},
        ),
        # ts_headline() read "work/pages" as one file-path token and left "pages" unmarked.
        ("See work/pages for the page.", "page", {"pages", "page"}),
        ("Found on www.wikihow.com today.", "www.wikihow.com", {"www", "wikihow", "com"}),
        ("Scale 3.5, then 3 and 5.", "3.5", {"3", "5"}),
        ("An e-mail from the mailroom.", "mail", {"mail"}),
        ("Seen by G.J.Cox in 1887.", "g.j.cox", {"G", "J", "Cox"}),
    ],
)
def test_a_snippet_highlights_each_word_the_query_matches(find, make, body, q, words):
    project = make.project("herbarium")
    make.discussion(project, make.user("vera"), title="Notes", body=body)
    (row,) = find(q).rows
    assert highlighted(row) == words


def test_each_result_is_highlighted_in_its_projects_language(find, make, project_with_language):
    english = project_with_language("parish", "english")
    simple = project_with_language("registres", "simple")
    author = make.user("claire")
    make.discussion(english, author, title="Baptisms", body="The register and its registers.")
    make.discussion(simple, author, title="Actes", body="Un register, deux registers.")
    found = {row.project: highlighted(row) for row in find("register").rows}
    assert found == {"parish": {"register", "registers"}, "registres": {"register"}}


def test_a_long_comments_best_window_is_found_past_its_start(find, make):
    project = make.project("herbarium")
    body = "page " + "filler " * 200 + "pages see seeing " + "tail " * 50
    make.discussion(project, make.user("vera"), title="Long", body=body)
    (row,) = find("page see").rows
    snippet = str(row.snippet_html)
    assert snippet.startswith("… filler filler filler filler <mark>pages</mark>")
    assert highlighted(row) == {"pages", "see", "seeing"}
