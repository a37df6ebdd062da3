"""Parsing what people type into the search box (no database)."""

import pytest

from talk.errors import InvalidInput
from talk.search.query import SearchQuery, Term, parse


def words(*texts: str) -> tuple[tuple[Term, ...], ...]:
    return tuple((Term(t),) for t in texts)


def test_plain_words_are_all_required():
    assert parse("  old   oak ") == SearchQuery(words("old", "oak"))


def test_quotes_make_a_phrase_and_an_unclosed_quote_runs_to_the_end():
    assert parse('"old  oak" tree') == SearchQuery(((Term("old oak", True),), (Term("tree"),)))
    assert parse('tree "old oak') == SearchQuery(((Term("tree"),), (Term("old oak", True),)))
    assert parse('"oak"') == SearchQuery(words("oak"))


def test_minus_excludes_a_word_or_phrase_but_not_inside_a_word():
    query = parse('oak -beech -"copper beech" well-known')
    assert query.groups == words("oak", "well-known")
    assert query.excluded == (Term("beech"), Term("copper beech", True))


def test_or_joins_its_neighbours_and_binds_tighter_than_and():
    query = parse("acorn oak OR beech OR ash leaf")
    assert query.groups == (
        (Term("acorn"),),
        (Term("oak"), Term("beech"), Term("ash")),
        (Term("leaf"),),
    )
    assert parse("OR oak OR").groups == words("oak")
    assert parse("oak or beech").groups == words("oak", "or", "beech")
    assert parse("oak OR -beech").groups == words("oak")


def test_terms_without_letters_or_digits_are_ignored():
    assert parse("oak !!! - ?").groups == words("oak")


def test_fts5_rendering_quotes_every_term():
    query = parse('oak OR "old beech" -ash NEAR title:x')
    assert query.fts5() == ('(("oak" OR "old beech") AND ("NEAR") AND ("title:x")) NOT "ash"')
    assert parse('say "a""b"').fts5() == '(("say") AND ("a") AND ("b"))'


def test_canonical_form_and_fingerprint_ignore_spacing_only():
    assert parse("oak   OR beech -ash").canonical() == "oak OR beech -ash"
    assert parse("oak OR beech").fingerprint() == parse(" oak  OR  beech ").fingerprint()
    assert parse("oak OR beech").fingerprint() != parse("oak beech").fingerprint()
    assert parse("oak").fingerprint(1) != parse("oak").fingerprint(2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type something"),
        ("   ", "Type something"),
        ("-oak -beech", "not only what to leave out"),
        ("?? !!", "nothing to search for"),
        ("x" * 501, "too long"),
        ("a\x00b", "NUL"),
        (" ".join(f"w{i}" for i in range(17)), "too many"),
    ],
)
def test_unsearchable_queries_are_refused_naming_q(text, message):
    with pytest.raises(InvalidInput) as refused:
        parse(text)
    assert message.lower() in refused.value.message.lower()
    assert list(refused.value.fields) == ["q"]
