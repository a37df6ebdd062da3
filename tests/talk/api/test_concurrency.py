"""Several writers at once (threads here, app servers in production) keep counters exact and
get answers, not 'database is locked' errors — on SQLite and on PostgreSQL."""

import pytest

from talk.extensions import db
from talk.models import Discussion, Item, Project
from tests.conftest import post_comments_at_once

WRITERS = 6
COMMENTS_EACH = 5


@pytest.mark.commits  # writer threads, each on its own connection
def test_concurrent_replies_are_all_counted(app, make, token):
    project = make.project()
    item = make.item(project)
    starter = make.user()
    discussion = make.discussion(project, starter, item=item)
    writers = [token(make.user()) for _ in range(WRITERS)]
    url = f"/api/v1/discussions/{discussion.id}/comments"

    bodies = [f"reply {n}" for n in range(COMMENTS_EACH)]
    statuses, _ = post_comments_at_once(app, url, writers, bodies)

    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    expected = 1 + WRITERS * COMMENTS_EACH
    with app.app_context():
        assert db.session.get(Discussion, discussion.id).comment_count == expected
        assert db.session.get(Item, item.id).comment_count == expected
        assert db.session.get(Project, project.id).comment_count == expected
