"""Follows stay right when a moderator merges or splits discussions (the core's
``discussions_merged`` and ``comments_split`` signals): followers of a discussion merged away
follow the one kept; followers of the discussion split from follow the new one too."""

from __future__ import annotations

from sqlalchemy import select

from notifications import follows
from notifications.follow_models import Follow
from talk.extensions import db
from talk.models import Discussion, User
from talk.services import threads


def _followers(discussion_id: int) -> dict[int, str]:
    rows = db.session.scalars(select(Follow).where(Follow.discussion_id == discussion_id))
    return {row.user_id: row.level for row in rows}


def test_merging_moves_follows_and_splitting_copies_them(app, make):
    project = make.project()
    moderator = make.member(project, "moderator")
    starter, both, muter = make.user(), make.user(), make.user()
    kept = make.discussion(project, starter, title="Kept")
    merged = make.discussion(project, both, title="Merged")  # both follows it by posting
    make.comment(kept, both, "Here too")
    reply = make.comment(kept, make.user(), "A reply")
    with app.app_context():
        follows.follow(
            db.session.get(User, muter.id), db.session.get(Discussion, merged.id), "mute"
        )
        db.session.flush()
        assert set(_followers(merged.id)) == {both.id, muter.id}
        mod = db.session.get(User, moderator.id)
        threads.merge_discussions(
            mod, db.session.get(Discussion, merged.id), db.session.get(Discussion, kept.id)
        )
        assert _followers(merged.id) == {}
        followers = _followers(kept.id)
        assert followers[both.id] == "follow" and followers[muter.id] == "mute"
        split = threads.split_comments(
            mod, db.session.get(Discussion, kept.id), [reply.id], "Apart"
        )
        assert _followers(split.id) == _followers(kept.id)
