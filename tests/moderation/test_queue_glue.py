"""What reaches the moderation queue besides reports: a ``flag`` watched word opens a case
(the system's report), held posts and open appeals are counted and linked on the queue page,
and moderators are told of each; the case page suggests the next step for the author."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from moderation import reports, sanctions
from moderation.case_models import Case
from talk.extensions import db
from talk.models import Comment, Project
from talk.services import discussions
from tests.conftest import Factory, login
from tests.moderation.people import project, user
from tests.moderation.prevention_helpers import post, watch


def _case_of(comment_id: int) -> Case:
    query = select(Case).where(Case.target_type == "comment", Case.target_id == comment_id)
    return db.session.scalars(query).one()


def _told(notices: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(n["to"], n["kind"], n["url"]) for n in notices}


def _staff(world: SimpleNamespace, kind: str, url: str) -> set[tuple[str, str, str]]:
    """What each moderator and admin of ``here`` (its owner too) should have been told."""
    return {(who, kind, url) for who in ("mod", "adm", world.here.owner.username)}


def test_a_flag_opens_a_case_once_and_a_report_joins_it(
    app, make: Factory, world: SimpleNamespace, notices: list[dict[str, Any]]
) -> None:
    watch(make, world.here, "cheap*", kind="wildcard", action="flag", category="spam")
    watch(make, world.here, "idiot", action="flag", category="insults")
    flagged = post(make, world.discussion, world.people.volunteer, "Cheap watches, idiot")
    with make.context():
        case = _case_of(flagged.id)
        (system,) = case.reports
        assert (case.state, case.reason, system.reporter_id) == ("open", "spam", None)
        assert system.note == "Watched words: spam, insults"
        assert system.reporter_name == "Flagged by a watched word"
        comment = db.session.get(Comment, flagged.id)
        discussions.edit_comment(user(world.people.volunteer), comment, "Cheaper watches")
        assert len(case.reports) == 1  # flagged again on edit: still one system report
        reports.file_report(user(world.people.expert), "comment", flagged.id, "harassment")
        assert (case.report_count, case.reason) == (2, "harassment")
        case_id = case.id
        db.session.commit()
    path = f"/projects/here/moderation/cases/{case_id}"
    assert _told(notices) == _staff(world, "moderation.new_report", path)
    other = post(make, world.discussion, world.people.volunteer, "You idiot")
    with make.context():
        assert _case_of(other.id).reason == "other"  # a category that is no report reason


def test_the_api_shows_the_system_report_without_a_reporter(
    app, client, make: Factory, world: SimpleNamespace, token: Any
) -> None:
    watch(make, world.here, "idiot", action="flag", category="harassment")
    flagged = post(make, world.discussion, world.people.volunteer, "idiot")
    with make.context():
        case_id = _case_of(flagged.id).id
    found = client.get(f"/api/v1/moderation/cases/{case_id}", headers=token(world.people.moderator))
    assert found.status_code == 200, found.get_json()
    (report,) = found.get_json()["reports"]
    assert (report["reporter"], report["reason"]) == (None, "harassment")


def test_a_decided_flagged_case_is_not_reopened_by_an_edit(
    app, make: Factory, world: SimpleNamespace
) -> None:
    from moderation import case_actions

    watch(make, world.here, "idiot", action="flag")
    flagged = post(make, world.discussion, world.people.volunteer, "idiot")
    with make.context():
        case = _case_of(flagged.id)
        case_actions.perform(user(world.people.moderator), case, "dismiss", reason="", note="")
        comment = db.session.get(Comment, flagged.id)
        discussions.edit_comment(user(world.people.volunteer), comment, "idiot again")
        assert (case.state, len(case.reports)) == ("dismissed", 1)


def test_the_case_page_names_the_flag_and_suggests_the_next_step(
    app, client, make: Factory, world: SimpleNamespace
) -> None:
    watch(make, world.here, "idiot", action="flag")
    flagged = post(make, world.discussion, world.people.volunteer, "idiot")
    with make.context():
        case_id = _case_of(flagged.id).id
    login(client, "mod")
    page = client.get(f"/projects/here/moderation/cases/{case_id}").get_data(as_text=True)
    assert "Flagged by a watched word" in page
    assert "<strong>warn</strong> (No earlier decisions in this project: a warning.)" in page
    with make.context():
        sanctions.warn(
            user(world.people.moderator),
            project(world.here),
            user(world.people.volunteer),
            reason="harassment",
        )
        db.session.commit()
    page = client.get(f"/projects/here/moderation/cases/{case_id}").get_data(as_text=True)
    assert "<strong>mute for 1 day</strong> (1 earlier decision: 1 day.)" in page


def test_held_posts_and_appeals_reach_the_queue_and_the_moderators(
    app, client, make: Factory, world: SimpleNamespace, notices: list[dict[str, Any]]
) -> None:
    watch(make, world.here, "idiot", action="hold")
    held = post(make, world.discussion, world.people.volunteer, "idiot")
    assert held.held
    assert _told(notices) == _staff(world, "moderation.held_post", "/projects/here/moderation/held")
    notices.clear()
    with make.context():
        here = db.session.get(Project, world.here.id)
        suspended = sanctions.suspend(
            user(world.people.moderator), here, user(world.people.suspended), days=7, reason="spam"
        )
        notices.clear()
        from moderation import appeals

        appeals.appeal(user(world.people.suspended), suspended, "I was quoting the register")
        db.session.commit()
    appeals_path = "/projects/here/moderation/appeals"
    assert _told(notices) == _staff(world, "moderation.new_appeal", appeals_path)
    assert "sus appealed the suspend in Asylum Registers." in notices[0]["text"]
    login(client, "mod")
    page = client.get("/projects/here/moderation").get_data(as_text=True)
    assert 'href="/projects/here/moderation/held">Held posts waiting for approval: 1</a>' in page
    assert "Open appeals: 1</a>" in page
    assert 'href="/projects/here/moderation/appeals?state=open"' in page


def test_the_queue_counts_only_what_its_viewer_may_open(
    app, client, make: Factory, world: SimpleNamespace
) -> None:
    login(client, "othermod")
    assert client.get("/projects/here/moderation").status_code in (403, 404)
    login(client, "adm")
    page = client.get("/projects/here/moderation").get_data(as_text=True)
    assert "Held posts waiting for approval: 0" in page and "Open appeals: 0" in page
