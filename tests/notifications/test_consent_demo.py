"""The demo's volunteers answered about the demo project's updates through each door: a
newsletter written in the demo reaches exactly those who asked (not the one who never answered,
nor the one who stopped)."""

from __future__ import annotations

from sqlalchemy import select

from notifications import consent, consent_demo, newsletter_segments
from talk.clock import utcnow
from talk.demo import DEMO_DATA, build_demo
from talk.extensions import db
from talk.models import Project, User


def test_some_demo_volunteers_asked_for_updates_one_never_did_one_stopped(app):
    assert consent_demo.add_demo_consents in app.extensions[DEMO_DATA]
    app.config["SERVER_NAME"] = None
    build_demo(app)
    with app.app_context():
        project = db.session.scalars(select(Project)).one()
        people = {u.username: u for u in db.session.scalars(select(User))}
        segment = newsletter_segments.validate(project, None)
        reached = set(db.session.scalars(newsletter_segments.audience(project, segment, utcnow())))
        assert reached == {people[name].id for name in consent_demo.OPTED_IN}
        for name, source in consent_demo.OPTED_IN.items():
            (event,) = consent.history(people[name], project)
            assert (event.opted_in, event.source) == (True, source)
            assert event.wording == consent.wording(project)
        stopped = consent.history(people[consent_demo.OPTED_OUT], project)
        assert [(e.opted_in, e.source) for e in stopped] == [
            (True, "project-page"),
            (False, "unsubscribe"),
        ]
        assert consent.history(people[consent_demo.NEVER_ASKED], project) == []
