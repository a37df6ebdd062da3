"""Newsletters' foundations: consent is recorded with its wording and never assumed, drafts are
the team's, scheduling refuses what has started, and the audience keeps only the mailable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications import consent, newsletter_segments, newsletters
from notifications.newsletter_models import Newsletter
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from talk.extensions import db
from talk.models import Project, User
from talk.policy import ANONYMOUS


def _get(model, row):
    return db.session.get(model, row.id)


def _verified(person):
    person.email_verified_at = utcnow()


def test_consent_is_recorded_with_source_and_wording_and_withdrawn(app, make):
    project, vol = make.project(title="Nursing registers"), make.user("vol")
    with app.app_context():
        p, v = _get(Project, project), _get(User, vol)
        assert not consent.is_opted_in(v, p)  # never assumed
        assert consent.opt_in(v, p, source="project-page")
        assert not consent.opt_in(v, p, source="settings")  # already in: nothing new
        assert consent.opt_out(v, p, source="unsubscribe")
        events = consent.history(v, p)
        assert [(e.opted_in, e.source) for e in events] == [
            (True, "project-page"),
            (False, "unsubscribe"),
        ]
        assert "Nursing registers" in events[0].wording
        with pytest.raises(InvalidInput):
            consent.opt_in(v, p, source="guess")


def test_audience_is_the_verified_opted_in_people_only(app, make):
    project = make.project()
    people = [make.user(f"vol{n}") for n in range(4)]
    with app.app_context():
        p = _get(Project, project)
        v0, v1, v2, v3 = (_get(User, person) for person in people)
        for person in (v0, v1, v2):
            consent.opt_in(person, p, source="settings")
        for person in (v0, v2, v3):  # v3 never opted in
            _verified(person)
        v1.email_verified_at = None  # opted in, address never confirmed
        v2.disabled_at = utcnow()  # closed account
        segment = newsletter_segments.validate(p, None)
        ids = set(db.session.scalars(newsletter_segments.audience(p, segment, utcnow())))
        assert ids == {v0.id}
        assert newsletter_segments.count(p, segment, utcnow()) == 1


def test_only_the_team_writes_and_drafts_stay_hidden(app, make):
    project = make.project()
    team, vol = make.member(project, "team"), make.user("vol")
    with app.app_context():
        p = _get(Project, project)
        with pytest.raises(PermissionDenied):
            newsletters.create(_get(User, vol), p, subject="News", body="Hello")
        draft = newsletters.create(_get(User, team), p, subject="News", body="Hello")
        assert draft.state == "draft" and draft.segment == {"kind": "everyone"}
        with pytest.raises(NotFound):
            newsletters.get(ANONYMOUS, p, draft.id)
        assert newsletters.listing(_get(User, vol), p) == []
        assert newsletters.listing(_get(User, team), p) == [draft]


def test_scheduling_and_cancelling_refuse_what_started(app, make):
    project = make.project()
    team = make.member(project, "team")
    with app.app_context():
        p, t = _get(Project, project), _get(User, team)
        letter = newsletters.create(t, p, subject="News", body="Hello")
        with pytest.raises(InvalidInput):
            newsletters.schedule(t, letter, utcnow() - timedelta(hours=1))
        newsletters.schedule(t, letter, utcnow() + timedelta(days=1))
        assert letter.state == "scheduled"
        newsletters.cancel(t, letter)
        assert letter.state == "cancelled"
        newsletters.update(t, letter, subject="News, again")
        assert letter.state == "draft"
        letter.state = "sending"
        db.session.flush()
        for change in (
            lambda: newsletters.schedule(t, letter, "now"),
            lambda: newsletters.cancel(t, letter),
            lambda: newsletters.update(t, letter, body="Changed"),
            lambda: newsletters.delete(t, letter),
        ):
            with pytest.raises(Conflict):
                change()
        assert db.session.get(Newsletter, letter.id).body == "Hello"
