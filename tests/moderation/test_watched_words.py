"""Watched words: block (naming the category, not the words), hold, flag and link; matching
that ignores case and accents; regular expressions validated and kept from stalling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from moderation import matching, receivers
from moderation.models import AuditEntry
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Comment
from tests.conftest import Factory
from tests.moderation.prevention_helpers import post, shown_count, watch


def test_normalising_ignores_case_accents_and_compatibility_forms() -> None:
    assert matching.normalise("LUNÁTIC") == matching.normalise("ｌｕｎａｔｉｃ") == "lunatic"
    assert matching.normalise("İdiot") == "idiot"


@pytest.mark.parametrize(
    ("pattern", "kind", "text", "hit"),
    [
        ("idiot", "word", "You IDIÓT!", True),
        ("idiot", "word", "idiotic", False),  # whole words only
        ("spam*", "wildcard", "a spammer here", True),
        ("spam*", "wildcard", "despammed", False),
        (r"v[i1]agra", "regex", "cheap V1AGRA", True),
        (r"v[i1]agra", "regex", "viaduct", False),
    ],
)
def test_words_wildcards_and_regular_expressions_match(pattern, kind, text, hit) -> None:
    rule = matching.Rule(1, pattern, kind, "block", "spam")
    assert bool(matching.matching_rules([rule], text, "", [])) is hit


def test_a_bad_regular_expression_is_refused_naming_it(app, make: Factory) -> None:
    project = make.project()
    with pytest.raises(InvalidInput, match=r"'\(unclosed' is not valid"):
        watch(make, project, "(unclosed", kind="regex")


def test_a_catastrophic_regular_expression_is_refused(app, make: Factory) -> None:
    project = make.project()
    with pytest.raises(InvalidInput, match="takes too long"):
        watch(make, project, "(a|aa)+$", kind="regex")


def test_a_search_that_runs_out_of_time_counts_as_a_match(monkeypatch) -> None:
    monkeypatch.setattr(matching, "TIMEOUT", 0.001)
    rule = matching.Rule(1, "(a|aa)+$", "regex", "hold", "spam")
    assert matching.matches(rule, "a" * 40 + "!")


def test_block_refuses_naming_the_category_not_the_word(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    watch(make, project, "zanzibarslur", action="block", category="abuse")
    with pytest.raises(InvalidInput) as refused:
        post(make, thread, volunteer, "You ZANZIBÁRSLUR")
    assert "abuse" in refused.value.message
    assert "zanzibarslur" not in refused.value.message.casefold()
    assert shown_count(make, thread) == 1
    # starting a discussion with it is refused too
    with pytest.raises(InvalidInput):
        make.discussion(project, volunteer, body="zanzibarslur")


def test_hold_keeps_a_comment_out_until_approved(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    watch(make, project, "scoundrel", action="hold", category="insults")
    comment = post(make, thread, volunteer, "What a scoundrel")
    assert comment.held
    assert shown_count(make, thread) == 1
    with make.context():
        row = db.session.get(Comment, comment.id)
        assert row.hidden_at is not None and "insults" in row.hidden_reason


def test_a_moderators_own_words_are_not_held(app, make: Factory) -> None:
    project = make.project()
    moderator = make.member(project, "moderator")
    thread = make.discussion(project, moderator)
    watch(make, project, "scoundrel", action="hold")
    assert not post(make, thread, moderator, "The word scoundrel is held here").held


def test_words_of_another_project_do_not_apply(app, make: Factory) -> None:
    watched, other = make.project(), make.project()
    volunteer = make.user()
    watch(make, watched, "scoundrel", action="block")
    thread = make.discussion(other, volunteer)
    assert not post(make, thread, volunteer, "scoundrel").held


def test_flag_posts_records_and_signals(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    watch(make, project, "cheap*", kind="wildcard", action="flag", category="spam")
    flagged: list[tuple[int, list[str]]] = []

    def remember(comment, *, categories, **_):
        flagged.append((comment.id, categories))

    receivers.watched_word_flagged.connect(remember)
    try:
        comment = post(make, thread, volunteer, "Cheapest watches here")
    finally:
        receivers.watched_word_flagged.disconnect(remember)
    assert not comment.held and flagged == [(comment.id, ["spam"])]
    assert shown_count(make, thread) == 2
    with make.context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "comment.flag")
        ).one()
        assert (entry.target_id, entry.reason) == (comment.id, "spam")


def test_link_turns_a_term_into_a_link_to_its_help_page(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    watch(make, project, "lunatic", action="link", category="history", url="/help/terms")
    comment = post(make, thread, volunteer, "Why does it say Lunátic? See `lunatic` code")
    assert '<a class="watched-link" href="/help/terms">Lunátic</a>' in comment.html
    assert "<code>lunatic</code>" in comment.html  # code is left as written


def test_a_link_rule_needs_a_safe_help_page(app, make: Factory) -> None:
    project = make.project()
    with pytest.raises(InvalidInput, match="help page"):
        watch(make, project, "lunatic", action="link", url="javascript:alert(1)")


def test_link_terms_leaves_markup_and_links_alone() -> None:
    rule = matching.Rule(1, "idiot", "word", "link", "x", "/help")
    html = '<p>an <a href="/u/idiot">idiot</a> &amp; idiot<img alt="idiot"></p>'
    assert receivers.link_terms(html, [rule]) == (
        '<p>an <a href="/u/idiot">idiot</a> &amp; <a class="watched-link" href="/help">idiot</a>'
        '<img alt="idiot"></p>'
    )


def test_only_staff_manage_watched_words(app, make: Factory) -> None:
    from moderation import prevention
    from talk.errors import PermissionDenied
    from talk.models import Project, User

    project, other = make.project(), make.project()
    volunteer = make.user()
    elsewhere = make.member(other, "moderator")
    for person in (volunteer, elsewhere):
        with make.context(), pytest.raises(PermissionDenied):
            prevention.add_watched_word(
                db.session.get(User, person.id),
                db.session.get(Project, project.id),
                pattern="x",
                category="y",
            )
