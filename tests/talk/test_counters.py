"""The recount of every stored counter that the concurrency and load tests rely on finds each
kind of wrong counter, and none where the services kept them."""

import pytest
from sqlalchemy import update

from talk.extensions import db
from talk.models import (
    Board,
    Comment,
    Discussion,
    DiscussionTag,
    Item,
    Project,
    Tag,
    TagDay,
    User,
)
from talk.services import discussions
from talk.services.counters import counter_mismatches


@pytest.fixture
def written(make):
    """A project with tagged comments, one deleted and one hidden, written by the services."""
    project = make.project()
    moderator = make.member(project, "moderator")
    author = make.user()
    thread = make.discussion(project, author, item=make.item(project), body="#alpha #beta")
    make.discussion(project, author, body="On the chat board #alpha")
    gone = make.comment(thread, make.user(), "#beta #gamma")
    hidden = make.comment(thread, author, "#gamma")
    with make.context():
        discussions.delete_comment(
            db.session.get(User, gone.author_id), db.session.get(Comment, gone.id)
        )
        discussions.hide_comment(
            db.session.get(User, moderator.id), db.session.get(Comment, hidden.id)
        )
    return project


def test_counters_the_services_keep_equal_their_recount(app, written):
    with app.app_context():
        assert counter_mismatches() == []


@pytest.mark.parametrize(
    ("model", "column", "name"),
    [
        (Discussion, "comment_count", "discussions.comment_count"),
        (Board, "discussion_count", "boards.discussion_count"),
        (Item, "comment_count", "items.comment_count"),
        (Project, "item_count", "projects.item_count"),
        (User, "comment_count", "users.comment_count"),
        (Tag, "user_count", "tags.user_count"),
        (DiscussionTag, "use_count", "discussion_tags.use_count"),
        (TagDay, "uses", "tag_daily.uses"),
    ],
)
def test_a_counter_off_by_one_is_found(app, written, model, column, name):
    with app.app_context():
        db.session.execute(update(model).values({column: getattr(model, column) + 1}))
        problems = counter_mismatches()
        assert problems
        assert all(line.startswith(f"{name}[") for line in problems), problems
