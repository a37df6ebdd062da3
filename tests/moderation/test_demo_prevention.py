"""The demo project sets watched words, historical terms and limits, and holds one post."""

from __future__ import annotations

from sqlalchemy import select

from moderation import prevention
from talk.demo import DEMO_SLUG, build_demo
from talk.extensions import db
from talk.models import Comment, Project, User
from talk.services import held
from tests.conftest import module_data


@module_data
def demo(app):
    return build_demo(app)


def test_the_demo_holds_a_watched_word_but_not_the_quoted_register(app, demo) -> None:
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
        waiting = held.held_comments(project)
        assert [c.body for c in waiting] == ["Whoever catalogued this is a scoundrel."]
        quoted = db.session.scalar(select(Comment).where(Comment.body.like("%says the register%")))
        assert quoted is not None and quoted.is_visible
        limits = prevention.limits_of(project)
        assert limits is not None and limits.held_comments == 1
        assert {t.term for t in prevention.historical_terms(project)} == {"Lunatic", "Imbecility"}
        dave = db.session.scalar(select(User).where(User.username == "downland_dave"))
        assert dave is not None and prevention.is_trusted(dave, project)
