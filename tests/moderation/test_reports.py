"""Reports merge into one case per target, weigh by reason and reporter, and are refused when
repeated, self-aimed or aimed at what the reporter cannot read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, url_for

from moderation import case_actions, reports
from moderation.case_models import Case
from talk import signals
from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from talk.extensions import db
from talk.models import Board, User
from tests.conftest import Clock, Factory


def report(
    app: Flask, who: SimpleNamespace, kind: str, target_id: int, reason: str = "spam", **kw: Any
) -> int:
    """File a report through the service and commit; answers its case's id."""
    with app.test_request_context():
        filed = reports.file_report(
            db.session.get(User, who.id),
            kind,
            target_id,
            reason,
            kw.get("note", ""),
            project_slug=kw.get("project"),
        )
        db.session.commit()
        return filed.case_id


def act(app: Flask, who: SimpleNamespace, case_id: int, action: str, **kw: Any) -> None:
    with app.test_request_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        case_actions.perform(db.session.get(User, who.id), case, action, **kw)
        db.session.commit()


def case_of(app: Flask, case_id: int) -> SimpleNamespace:
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        return SimpleNamespace(
            state=case.state,
            count=case.report_count,
            reason=case.reason,
            priority=case.priority,
            due_at=case.due_at,
            opened_at=case.opened_at,
            notes=[r.note for r in case.reports],
        )


@pytest.fixture
def notices() -> Iterator[list[tuple[str, str]]]:
    told: list[tuple[str, str]] = []

    def receive(user: User, **kwargs: Any) -> None:
        told.append((user.username, kwargs["kind"]))

    signals.notice.connect(receive)
    yield told
    signals.notice.disconnect(receive)


@pytest.fixture
def scene(make: Factory) -> SimpleNamespace:
    project = make.project("herbarium")
    author = make.user("author")
    thread = make.discussion(project, author, body="Rude words")
    return SimpleNamespace(
        project=project,
        author=author,
        thread=thread,
        comment=thread.first_comment_id,
        moderator=make.member(project, "moderator", username="mod"),
        a=make.user("alice"),
        b=make.user("bob"),
    )


def test_reports_of_one_target_merge_into_one_case(app: Flask, scene: Any) -> None:
    first = report(app, scene.a, "comment", scene.comment, note="Selling watches")
    second = report(app, scene.b, "comment", scene.comment, "harassment", note="Nasty")
    assert first == second
    case = case_of(app, first)
    assert (case.state, case.count, case.reason) == ("open", 2, "harassment")
    assert case.notes == ["Selling watches", "Nasty"]


def test_the_same_person_cannot_report_twice_while_open(app: Flask, scene: Any) -> None:
    report(app, scene.a, "comment", scene.comment)
    with pytest.raises(Conflict, match="already reported"):
        report(app, scene.a, "comment", scene.comment, "harassment")


def test_nobody_reports_themselves(app: Flask, scene: Any) -> None:
    with pytest.raises(InvalidInput, match="yourself"):
        report(app, scene.author, "comment", scene.comment)
    with pytest.raises(InvalidInput, match="yourself"):
        report(app, scene.author, "user", scene.author.id, project="herbarium")


def test_an_unreadable_comment_cannot_be_reported(app: Flask, make: Factory, scene: Any) -> None:
    """A comment on a moderators-only board is 404 to a volunteer, as if it did not exist."""
    with app.app_context():
        board = db.session.get(Board, scene.project.boards["Chat"].id)
        board.read_level = "moderators"
        db.session.commit()
    with pytest.raises(NotFound):
        report(app, scene.a, "comment", scene.comment)
    with pytest.raises(NotFound):
        report(app, scene.a, "discussion", scene.thread.id)
    with pytest.raises(NotFound):
        report(app, scene.a, "comment", 999_999)


def test_bad_reasons_and_kinds_are_refused(app: Flask, scene: Any) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        report(app, scene.a, "comment", scene.comment, "boring")
    with pytest.raises(InvalidInput, match="target_type"):
        report(app, scene.a, "item", 1)
    with pytest.raises(InvalidInput, match="project"):
        report(app, scene.a, "user", scene.author.id)
    with pytest.raises(InvalidInput, match="too long"):
        report(app, scene.a, "comment", scene.comment, note="x" * 2001)
    with app.app_context():
        assert db.session.query(Case).count() == 0


def test_anonymous_and_operator_cannot_report(app: Flask, scene: Any) -> None:
    from talk import policy

    with app.test_request_context(), pytest.raises(PermissionDenied):
        reports.file_report(policy.OPERATOR, "comment", scene.comment, "spam")


def test_a_dismissed_case_reopens_only_for_a_new_reporter(
    app: Flask, scene: Any, clock: Clock
) -> None:
    case_id = report(app, scene.a, "comment", scene.comment)
    act(app, scene.moderator, case_id, "dismiss", note="Fine")
    assert case_of(app, case_id).state == "dismissed"
    with pytest.raises(Conflict, match="decided"):
        report(app, scene.a, "comment", scene.comment)
    assert case_of(app, case_id).state == "dismissed"
    clock.advance(hours=1)
    report(app, scene.b, "comment", scene.comment, "off_topic")
    case = case_of(app, case_id)
    assert (case.state, case.count, case.reason) == ("open", 1, "off_topic")


def test_personal_information_comes_first_with_a_due_time(
    app: Flask, make: Factory, scene: Any, clock: Clock
) -> None:
    other = make.comment(scene.thread, scene.a, "Mrs Smith of 4 High St is my aunt")
    spam = report(app, scene.a, "comment", scene.comment, "spam")
    report(app, scene.b, "comment", scene.comment, "spam")
    private = report(app, scene.b, "comment", other.id, "personal_information")
    assert case_of(app, private).priority > case_of(app, spam).priority
    due = case_of(app, private).due_at
    assert due is not None and due - case_of(app, private).opened_at == timedelta(hours=72)
    assert case_of(app, spam).due_at is None


def test_a_reporter_with_standing_weighs_more(app: Flask, make: Factory, scene: Any) -> None:
    expert = make.member(scene.project, "expert")
    second = make.comment(scene.thread, scene.author, "More")
    by_volunteer = report(app, scene.a, "comment", scene.comment)
    by_expert = report(app, expert, "comment", second.id)
    assert case_of(app, by_expert).priority > case_of(app, by_volunteer).priority
    act(app, scene.moderator, by_volunteer, "hide", reason="spam")
    third = make.comment(scene.thread, scene.author, "Again")
    accurate = report(app, scene.a, "comment", third.id)
    assert case_of(app, accurate).priority > case_of(app, by_volunteer).priority


def test_moderators_hear_of_new_cases_and_reporters_of_outcomes(
    app: Flask, scene: Any, notices: list[tuple[str, str]]
) -> None:
    case_id = report(app, scene.a, "comment", scene.comment)
    report(app, scene.b, "comment", scene.comment)
    owner = scene.project.owner.username  # owners are staff too
    assert sorted(notices) == sorted(
        [(owner, "moderation.new_report"), ("mod", "moderation.new_report")]
    )
    act(app, scene.moderator, case_id, "hide", reason="harassment")
    assert sorted(notices[2:]) == [
        ("alice", "moderation.report_outcome"),
        ("author", "moderation.hidden"),
        ("bob", "moderation.report_outcome"),
    ]


def test_notice_paths_are_the_pages(app: Flask, scene: Any) -> None:
    case_id = report(app, scene.a, "comment", scene.comment)
    with app.test_request_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        assert reports.case_path(case) == url_for(
            "cases.case_page", slug="herbarium", case_id=case_id
        )
        assert url_for("cases.my_reports") == reports.MY_REPORTS_PATH


def test_a_person_is_reported_in_a_project(app: Flask, scene: Any) -> None:
    case_id = report(app, scene.a, "user", scene.author.id, "harassment", project="herbarium")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        assert (case.target_type, case.subject_user_id, case.board_id) == (
            "user",
            scene.author.id,
            None,
        )
    with pytest.raises(NotFound):
        report(app, scene.b, "user", scene.author.id, project="nowhere")


def test_a_new_report_brings_a_watched_case_back_with_its_reports(app: Flask, scene: Any) -> None:
    case_id = report(app, scene.a, "comment", scene.comment)
    act(app, scene.moderator, case_id, "watch")
    assert case_of(app, case_id).state == "watched"
    with pytest.raises(Conflict, match="already reported"):
        report(app, scene.a, "comment", scene.comment)
    report(app, scene.b, "comment", scene.comment)
    assert (case_of(app, case_id).state, case_of(app, case_id).count) == ("open", 2)


def test_deleting_tells_the_author_why(
    app: Flask, scene: Any, notices: list[tuple[str, str]]
) -> None:
    case_id = report(app, scene.a, "comment", scene.comment)
    notices.clear()
    act(app, scene.moderator, case_id, "delete", reason="spam", note="Watches again")
    assert ("author", "moderation.deleted") in notices
    assert case_of(app, case_id).state == "actioned"


def test_the_case_context_shows_the_authors_history(app: Flask, make: Factory, scene: Any) -> None:
    from moderation import cases

    earlier = make.comment(scene.thread, scene.author, "Earlier spam")
    first = report(app, scene.a, "comment", earlier.id)
    act(app, scene.moderator, first, "hide", reason="spam")
    later = make.comment(scene.thread, scene.author, "Later spam")
    make.comment(scene.thread, scene.b, "After it")
    second = report(app, scene.a, "comment", later.id)
    with app.test_request_context():
        case = db.session.get(Case, second)
        assert case is not None
        found = cases.context(case, around=1)
        assert [c.body for c in found.surrounding] == ["Earlier spam", "Later spam", "After it"]
        assert [c.id for c in found.earlier_cases] == [first]
        assert [c.body for c in found.recent][:2] == ["Later spam", "Earlier spam"]
        assert [(e.action, e.case_id) for e in found.entries] == [("comment.hide", first)]
