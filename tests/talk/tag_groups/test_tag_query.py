"""The tag query language: what parses to what, and what is refused with which explanation."""

import pytest

from talk.errors import InvalidInput
from talk.services.tag_query import MAX_TERMS, parse_query, show

GOOD = [
    ("#nurse", "#nurse"),
    ("nurse", "#nurse"),
    ("#Nurse AND #smallpox", "(#nurse AND #smallpox)"),
    ("#nurse and #smallpox", "(#nurse AND #smallpox)"),
    ("#nurse Or #smallpox", "(#nurse OR #smallpox)"),
    # NOT binds tighter than AND, AND tighter than OR.
    ("#aa OR #bb AND #cc", "(#aa OR (#bb AND #cc))"),
    ("#aa AND #bb OR #cc", "((#aa AND #bb) OR #cc)"),
    ("#aa AND NOT #bb OR #cc", "((#aa AND NOT #bb) OR #cc)"),
    ("#aa OR NOT #bb AND #cc", "(#aa OR (NOT #bb AND #cc))"),
    # Parentheses override, nest, and may touch their neighbours.
    ("(#aa OR #bb) AND #cc", "((#aa OR #bb) AND #cc)"),
    ("#aa AND NOT (#bb OR #cc)", "(#aa AND NOT (#bb OR #cc))"),
    ("(#aa)AND(#bb)", "(#aa AND #bb)"),
    ("((#aa))", "#aa"),
    ("#aa AND (#bb AND #cc)", "(#aa AND #bb AND #cc)"),
    ("#aa OR (#bb OR #cc) OR #dd", "(#aa OR #bb OR #cc OR #dd)"),
    # Double negation cancels; De Morgan forms that include something are accepted.
    ("NOT NOT #aa", "#aa"),
    ("NOT (NOT #aa OR NOT #bb)", "NOT (NOT #aa OR NOT #bb)"),
    ("#aa AND (#bb OR NOT #cc)", "(#aa AND (#bb OR NOT #cc))"),
    # Tag names: unicode folded like hashtags, operators as tags with '#', digits, dashes.
    ("#Église AND #ÉGLISE", "(#église AND #église)"),
    ("#e\u0301glise", "#église"),
    ("#Straße", "#strasse"),
    ("#and OR #or OR #NOT", "(#and OR #or OR #not)"),
    ("#1914 OR #fff", "(#1914 OR #fff)"),
    ("#nurse- AND #small_pox", "(#nurse AND #small_pox)"),
    ("\t#aa\nAND  #bb ", "(#aa AND #bb)"),
]


@pytest.mark.parametrize(("text", "tree"), GOOD)
def test_good_queries_parse_with_precedence_not_and_or(text, tree):
    assert show(parse_query(text).tree) == tree


def test_a_query_keeps_its_text_tokens_and_distinct_names_in_order():
    query = parse_query("#Église OR (#nurse AND NOT #église)")
    assert query.text == "#Église OR (#nurse AND NOT #église)"
    assert query.names == ("église", "nurse")
    assert [(t.kind, t.text, t.start) for t in query.tokens] == [
        ("tag", "#Église", 0),
        ("or", "OR", 8),
        ("(", "(", 11),
        ("tag", "#nurse", 12),
        ("and", "AND", 19),
        ("not", "NOT", 23),
        ("tag", "#église", 27),
        (")", ")", 34),
    ]


BAD = [
    ("", "Type at least one tag"),
    ("   ", "Type at least one tag"),
    ("#aa AND", "The query ends after 'AND' (character 5): a tag must follow."),
    ("#aa AND NOT", "The query ends after 'NOT' (character 9)"),
    ("AND #aa", "Expected a tag, NOT or '(' at 'AND' (character 1)."),
    ("#aa OR OR #bb", "Expected a tag, NOT or '(' at 'OR' (character 8)."),
    ("#aa #bb", "Put AND or OR between '#aa' and '#bb' (character 5)."),
    ("#aa NOT #bb", "(NOT needs AND before it here: 'AND NOT')"),
    ("#aa (#bb)", "Put AND or OR between '#aa' and '(' (character 5)."),
    ("(#aa OR #bb", "'(' (character 1) is never closed."),
    ("#aa AND ((#bb)", "'(' (character 9) is never closed."),
    ("#aa)", "')' (character 4) has no matching '('."),
    ("()", "Expected a tag, NOT or '(' at ')' (character 2)."),
    ("#a", "'#a' (character 1) is not a tag name"),
    ("#aa && #bb", "'&&' (character 5) is not a tag name"),
    ("#aa AND #❤", "'#❤' (character 9) is not a tag name"),
    ("#nurse,#army", "'#nurse,#army' (character 1) is not a tag name"),
    ("NOT #aa", "needs at least one tag to include"),
    ("NOT (#aa AND #bb)", "needs at least one tag to include"),
    ("#aa OR NOT #bb", "needs at least one tag to include"),
    ("NOT #aa AND NOT #bb", "needs at least one tag to include"),
    (" OR ".join(f"#t{i:02}" for i in range(MAX_TERMS + 1)), "At most 20 tags in a query"),
    ("(" * 11 + "#aa" + ")" * 11, "nested more than 10 deep at '(' (character 11)"),
    ("#aa AND " + "NOT " * 11 + "#bb", "nested more than 10 deep at 'NOT'"),
    ("#" + "a" * 500, "longer than 500 characters"),
    ("#aa\x00", "NUL"),
]


@pytest.mark.parametrize(("text", "problem"), BAD)
def test_bad_queries_are_refused_naming_the_problem_and_where(text, problem):
    with pytest.raises(InvalidInput) as refused:
        parse_query(text)
    assert problem in refused.value.fields["query"][0]
    assert problem in refused.value.message


def test_twenty_tags_and_ten_levels_are_fine():
    twenty = " OR ".join(f"#t{i:02}" for i in range(MAX_TERMS))
    assert len(parse_query(twenty).names) == MAX_TERMS
    assert show(parse_query("(" * 10 + "#aa" + ")" * 10).tree) == "#aa"
