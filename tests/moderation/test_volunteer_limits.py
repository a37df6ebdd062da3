"""New volunteers' limits: off until staff set them; first comments held, links counted, no
group mentions or images until trusted; trust earned by approved comments or granted."""

from __future__ import annotations

import pytest

from moderation import prevention
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Comment, Discussion, Project, User
from tests.conftest import Factory
from tests.moderation.prevention_helpers import decide, limit, post


def limited(make: Factory):
    """A project, its moderator, a thread of theirs and a new volunteer."""
    project = make.project()
    moderator = make.member(project, "moderator")
    return project, moderator, make.discussion(project, moderator), make.user()


def test_a_new_project_has_no_limits(app, make: Factory) -> None:
    project = make.project()
    volunteer = make.user()
    thread = make.discussion(project, volunteer)
    body = "http://a.example http://b.example http://c.example @moderators"
    assert not post(make, thread, volunteer, body).held


def test_the_first_comments_wait_until_trust_is_earned(app, make: Factory) -> None:
    project, moderator, thread, volunteer = limited(make)
    limit(make, project, held_comments=2)
    first = post(make, thread, volunteer, "Hello")
    second = post(make, thread, volunteer, "Hello again")
    assert first.held and second.held
    decide(make, moderator, first.id)
    assert post(make, thread, volunteer, "Third").held  # one approved of two
    decide(make, moderator, second.id)
    assert not post(make, thread, volunteer, "Now trusted").held


def test_staff_are_never_limited(app, make: Factory) -> None:
    project = make.project()
    expert = make.member(project, "expert")
    thread = make.discussion(project, expert)
    limit(make, project, held_comments=5, max_links=0, restrict_untrusted=True)
    assert not post(make, thread, expert, "See http://a.example @team").held


def test_links_group_mentions_and_images_are_limited(app, make: Factory) -> None:
    project, _moderator, thread, volunteer = limited(make)
    limit(make, project, max_links=1, restrict_untrusted=True)
    assert not post(make, thread, volunteer, "One: http://a.example").held
    with pytest.raises(InvalidInput, match="at most 1 link"):
        post(make, thread, volunteer, "http://a.example and [b](https://b.example)")
    with pytest.raises(InvalidInput, match="mention a whole group"):
        post(make, thread, volunteer, "Help @moderators")
    with pytest.raises(InvalidInput, match="images"):
        post(make, thread, volunteer, "![sheet](https://images.example.org/s.jpg)")
    # a quotation's own "wrote" link (a path on this site) is not a link to count
    assert not post(make, thread, volunteer, "> **A** [wrote](/comments/1):\n> hi\n\nyes").held


def test_a_moderator_grants_trust(app, make: Factory) -> None:
    project, moderator, thread, volunteer = limited(make)
    limit(make, project, held_comments=3, max_links=0)
    assert post(make, thread, volunteer, "Hi").held
    with make.context():
        prevention.grant_trust(
            db.session.get(User, moderator.id),
            db.session.get(Project, project.id),
            db.session.get(User, volunteer.id),
        )
    assert not post(make, thread, volunteer, "Trusted: http://a.example").held


def test_a_new_volunteers_discussion_waits_in_the_queue_too(app, make: Factory) -> None:
    """Starting a discussion does not skip the queue: it is held with its first comment
    (tests/moderation/test_held_discussions.py follows it through)."""
    project = make.project()
    volunteer = make.user()
    limit(make, project, held_comments=1)
    started = make.discussion(project, volunteer)
    with make.context():
        assert db.session.get(Discussion, started.id).is_held
        assert db.session.get(Comment, started.first_comment_id).is_held


@pytest.mark.parametrize(
    ("values", "field"),
    [({"held_comments": "many"}, "held_comments"), ({"max_links": -1}, "max_links")],
)
def test_bad_limits_are_refused(app, make: Factory, values, field) -> None:
    project = make.project()
    with pytest.raises(InvalidInput) as refused:
        limit(make, project, **values)
    assert field in refused.value.fields
    with make.context():
        assert prevention.limits_of(db.session.get(Project, project.id)) is None
