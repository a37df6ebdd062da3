"""The per-process caches of a project's rules (talk.services.project_rules): read once while
unchanged, and a change — here, in another process, or rolled back — seen by the next comment."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import insert, select, update

from moderation import prevention, workflow
from moderation.heritage_models import WorkflowRequest
from moderation.prevention_models import WatchedWord
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User
from talk.services import discussions
from tests.conftest import Factory
from tests.moderation.prevention_helpers import limit, post, watch


def test_the_rules_are_read_once_while_unchanged(app, make: Factory, count_queries) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    watch(make, project, "scoundrel", action="flag")
    cached = ("watched_words", "historical_terms", "volunteer_limits", "workflow_flags")

    def rules_read(statements: list[str]) -> list[str]:
        return [
            s
            for s in statements
            if any(f"FROM {t}" in s.replace("moderation_", "") for t in cached)
        ]

    with count_queries() as first:
        post(make, thread, volunteer, "First, which reads the rules #flagged")
    with count_queries() as second:
        post(make, thread, volunteer, "Second, which does not #flagged")
    assert rules_read(first.statements)
    assert rules_read(second.statements) == []


def test_a_watched_word_added_or_removed_applies_to_the_next_comment(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    post(make, thread, volunteer, "Fills the cache: no words yet")
    watch(make, project, "zanzibarslur", action="block")
    with pytest.raises(InvalidInput, match="abuse"):
        post(make, thread, volunteer, "zanzibarslur")
    with make.context():
        owner = db.session.get(User, project.owner.id)
        place = db.session.get(Project, project.id)
        (word,) = prevention.watched_words(place)
        prevention.remove_watched_word(owner, place, word)
    assert not post(make, thread, volunteer, "zanzibarslur again").held


def test_a_word_added_in_the_same_transaction_applies_before_its_flush(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    post(make, thread, volunteer, "Fills the cache: no words yet")
    with make.context():
        db.session.add(
            WatchedWord(
                project_id=project.id,
                pattern="zanzibarslur",
                kind="word",
                action="block",
                category="abuse",
                url="",
                created_at=utcnow(),
            )
        )  # not flushed yet
        with pytest.raises(InvalidInput):
            discussions.post_comment(
                db.session.get(User, volunteer.id),
                discussions.get_discussion(thread.id),
                "zanzibarslur",
            )
        db.session.rollback()


def test_a_change_made_by_another_process_is_seen(app, make: Factory) -> None:
    """Another server's write leaves a new token on the project row: this process's cached
    rules are then under a key no request asks for."""
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    post(make, thread, volunteer, "Fills the cache: no words yet")
    with make.context():  # what the other process's flush wrote, without this process's ORM
        db.session.execute(
            insert(WatchedWord).values(
                project_id=project.id,
                pattern="zanzibarslur",
                kind="word",
                action="block",
                category="abuse",
                url="",
                created_at=utcnow(),
            )
        )
        db.session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(rules_version=secrets.token_hex(8))
        )
    with pytest.raises(InvalidInput, match="abuse"):
        post(make, thread, volunteer, "zanzibarslur")


def test_a_rolled_back_change_leaves_the_rules_as_they_were(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    with make.context():
        savepoint = db.session.begin_nested()
        prevention.add_watched_word(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            pattern="zanzibarslur",
            action="block",
            category="abuse",
        )
        with pytest.raises(InvalidInput):  # the cache now holds the word, under its token
            discussions.post_comment(
                db.session.get(User, volunteer.id),
                discussions.get_discussion(thread.id),
                "zanzibarslur",
            )
        savepoint.rollback()
    assert not post(make, thread, volunteer, "zanzibarslur").held


def test_new_limits_apply_to_the_next_comment(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    post(make, thread, volunteer, "Fills the cache: see https://example.org/a")
    limit(make, project, max_links=0, held_comments=0)
    with pytest.raises(InvalidInput, match="at most 0 links"):
        post(make, thread, volunteer, "Again: see https://example.org/b")


def test_a_workflow_flag_added_asks_at_the_next_comment(app, make: Factory) -> None:
    """The flag is made with ``project=…`` (its column filled only by the flush): its project's
    token changes all the same."""
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    post(make, thread, volunteer, "Fills the cache: #help before the flag")
    with make.context():
        workflow.add_flag(
            db.session.get(User, project.owner.id), db.session.get(Project, project.id), "help"
        )
    comment = post(make, thread, volunteer, "Now #help is a flag")
    with make.context():
        asked = db.session.scalars(
            select(WorkflowRequest.comment_id).where(WorkflowRequest.discussion_id == thread.id)
        ).all()
    assert asked == [comment.id]
