"""The demo's reports: two cases in the queue, personal information first with a due time."""

from __future__ import annotations

from flask import Flask

from moderation import cases
from moderation.case_demo import add_demo_reports
from talk import policy
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import Factory

PEOPLE = ("downland_dave", "quillpen", "fern_finder", "margaret_moss", "botanybee")


def test_the_demo_reports_fill_the_queue(app: Flask, make: Factory) -> None:
    project = make.project("wessex")
    made = {name: make.user(name) for name in PEOPLE}
    make.discussion(project, made["fern_finder"])
    with app.test_request_context():
        people = {name: db.session.get(User, person.id) for name, person in made.items()}
        here = db.session.get(Project, project.id)
        add_demo_reports(here, people)
        db.session.commit()
        page = cases.queue(policy.OPERATOR, here, cases.QueueFilters(), cursor=None, limit=10)
        assert [(c.reason, c.report_count) for c in page.rows] == [
            ("personal_information", 1),
            ("harassment", 2),
        ]
        assert page.rows[0].due_at is not None
