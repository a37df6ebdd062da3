"""Reporting and moderating through the pages, without JavaScript: plain forms, CSRF-checked,
a confirmation before destructive actions, and escaped notes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.case_models import Case
from moderation.models import AuditEntry
from talk.extensions import db
from talk.models import Comment
from tests.conftest import Factory, csrf_token, login
from tests.talk.web.pages import squash, submit, text


@pytest.fixture
def scene(make: Factory) -> SimpleNamespace:
    project = make.project("herbarium")
    author = make.user("author", display_name="Arthur")
    thread = make.discussion(project, author, body="Buy cheap watches")
    return SimpleNamespace(
        project=project,
        author=author,
        thread=thread,
        comment=thread.first_comment_id,
        moderator=make.member(project, "moderator", username="mod"),
        volunteer=make.user("vol"),
    )


def file(client: FlaskClient, comment_id: int, **data: Any) -> Any:
    page = f"/report/comment/{comment_id}"
    return submit(client, page, **{"reason": "spam", **data})


def decide(client: FlaskClient, case_page: str, **data: str) -> Any:
    """Post the case page's action form (``action`` is the form's field, not a URL)."""
    return client.post(
        f"{case_page}/act", data={"csrf_token": csrf_token(client, case_page), **data}
    )


def reported_then_moderating(app: Flask, client: FlaskClient, scene: Any) -> str:
    """The volunteer reports the comment, then the client logs in as the moderator; answers
    the case's page."""
    login(client, "vol")
    file(client, scene.comment)
    login(client, "mod")
    return f"/projects/herbarium/moderation/cases/{only_case(app)}"


def settlement(app: Flask) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The only case's (state, resolution, resolver) and the audit log's (action, reason,
    note, case)."""
    with app.app_context():
        case = db.session.get(Case, only_case(app))
        entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
        return (case.state, case.resolution, case.resolved_by_id), [
            (e.action, e.reason, e.note, e.case_id) for e in entries
        ]


def only_case(app: Flask) -> int:
    with app.app_context():
        [case_id] = db.session.scalars(db.select(Case.id)).all()
        return case_id


def test_the_report_control_sits_beside_others_comments(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    page = f"/discussions/{scene.thread.id}"
    link = f'href="/report/comment/{scene.comment}"'
    assert link not in text(client.get(page))  # visitors log in first
    login(client, "vol")
    html = text(client.get(page))
    assert link in html and f'href="/report/discussion/{scene.thread.id}"' in html
    # each Report link names its comment's time, so a screen reader tells several apart
    assert "> the comment by Arthur, 14 Mar 2026, 12:00 UTC</span>" in html
    assert f'href="/report/user/{scene.author.id}"' in text(client.get("/users/author"))
    login(client, "author")
    assert link not in text(client.get(page))


def test_a_volunteer_reports_and_sees_the_outcome(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "vol")
    form = client.get(f"/report/comment/{scene.comment}")
    assert form.status_code == 200 and "Buy cheap watches" in text(form)
    response = file(client, scene.comment, note="Selling watches")
    assert response.status_code == 302 and response.location.endswith("/my/reports")
    assert "Waiting for a moderator" in text(client.get("/my/reports"))
    again = file(client, scene.comment)
    assert again.status_code == 409 and "already reported" in text(again)

    moderator = app.test_client()
    login(moderator, "mod")
    case_id = only_case(app)
    case_page = f"/projects/herbarium/moderation/cases/{case_id}"
    assert decide(moderator, case_page, action="dismiss").status_code == 302
    assert "A moderator found nothing that breaks the rules" in text(client.get("/my/reports"))


def test_posting_a_report_needs_the_csrf_token(app: Flask, client: FlaskClient, scene: Any) -> None:
    login(client, "vol")
    response = client.post(f"/report/comment/{scene.comment}", data={"reason": "spam"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Case).count() == 0


def test_bad_input_is_a_clear_4xx_changing_nothing(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "vol")
    response = file(client, scene.comment, reason="boring")
    assert response.status_code == 422 and "reason must be one of" in text(response)
    assert client.get("/report/poem/1").status_code == 404
    assert client.get("/report/comment/999999").status_code == 404
    assert file(client, scene.comment, note="a\x00b").status_code == 422
    person = f"/report/user/{scene.author.id}"
    assert submit(client, person, reason="spam", project="a\x00b").status_code == 404
    assert submit(client, person, reason="spam", project="x" * 300).status_code == 404
    login(client, "mod")
    for args in ({"author": "a\x00"}, {"reason": "a\x00"}, {"cursor": "a\x00"}):
        queue = client.get("/projects/herbarium/moderation", query_string=args)
        assert queue.status_code == 422, args
    audit = client.get("/projects/herbarium/moderation/audit", query_string={"actor": "a\x00"})
    assert audit.status_code == 422
    with app.app_context():
        assert db.session.query(Case).count() == 0


def test_a_person_is_reported_in_a_project_they_wrote_in(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "vol")
    page = f"/report/user/{scene.author.id}"
    assert '<option value="herbarium"' in text(client.get(page))
    response = submit(client, page, reason="harassment", project="herbarium")
    assert response.status_code == 302


def test_notes_are_escaped_on_the_case_page(app: Flask, client: FlaskClient, scene: Any) -> None:
    login(client, "vol")
    file(client, scene.comment, note='<script>alert("x")</script>')
    moderator = app.test_client()
    login(moderator, "mod")
    html = text(moderator.get(f"/projects/herbarium/moderation/cases/{only_case(app)}"))
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_hiding_asks_first_then_hides_with_the_category(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "vol")
    file(client, scene.comment)
    moderator = app.test_client()
    login(moderator, "mod")
    case_page = f"/projects/herbarium/moderation/cases/{only_case(app)}"
    html = text(moderator.get(case_page))
    assert "Buy cheap watches" in html and 'value="hide"' in html
    assert moderator.get(f"{case_page}/act").status_code == 405

    asked = decide(moderator, case_page, action="hide", reason="spam")
    assert asked.status_code == 200 and 'name="confirm" value="1"' in text(asked)
    with app.app_context():
        assert not db.session.get(Comment, scene.comment).is_hidden

    done = decide(moderator, case_page, action="hide", reason="spam", confirm="1")
    assert done.status_code == 302
    with app.app_context():
        comment = db.session.get(Comment, scene.comment)
        assert comment.is_hidden and comment.hidden_reason == "Spam"
    case_id = only_case(app)
    assert settlement(app) == (
        ("actioned", "hide", scene.moderator.id),
        [("comment.hide", "spam", "", case_id)],
    )

    thread = f"/discussions/{scene.thread.id}"
    other = squash(text(client.get(thread)))
    assert "Hidden by a moderator: Spam." in other and "Buy cheap watches" not in other
    author = app.test_client()
    login(author, "author")
    own = squash(text(author.get(thread)))
    assert "A moderator hid your comment</strong>: Spam" in own and "Buy cheap watches" in own


def test_a_hide_without_a_reason_is_refused_on_the_page(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    case_page = reported_then_moderating(app, client, scene)
    response = decide(client, case_page, action="hide", confirm="1")
    assert response.status_code == 422 and "Choose a reason" in text(response)
    for days in ("٣", "0", "-1", "99999"):
        response = decide(client, case_page, action="dismiss", days=days)
        assert response.status_code == 422 and "days must be" in text(response)
    with app.app_context():
        assert not db.session.get(Comment, scene.comment).is_hidden
        assert db.session.query(AuditEntry).count() == 0


def test_a_claim_shows_who_and_others_may_still_act(
    app: Flask, client: FlaskClient, make: Factory, scene: Any
) -> None:
    make.member(scene.project, "moderator", username="mod2")
    case_page = reported_then_moderating(app, client, scene)
    assert submit(client, case_page, f"{case_page}/claim").status_code == 302
    other = app.test_client()
    login(other, "mod2")
    html = text(other.get(case_page))
    assert "Claim it instead" in html
    assert "mod" in text(other.get("/projects/herbarium/moderation"))
    assert decide(other, case_page, action="watch").status_code == 302
    with app.app_context():
        assert db.session.get(Case, only_case(app)).state == "watched"


def test_the_queue_filters_and_orders(app: Flask, client: FlaskClient, scene: Any) -> None:
    login(client, "vol")
    file(client, scene.comment)
    login(client, "mod")
    queue = text(client.get("/projects/herbarium/moderation"))
    assert "Spam" in queue and "Arthur" in queue
    assert "No cases here" in text(client.get("/projects/herbarium/moderation?reason=harassment"))
    assert "No cases here" in text(client.get("/projects/herbarium/moderation?author=vol"))
    assert "Arthur" in text(client.get("/projects/herbarium/moderation?author=author"))
    bad = client.get("/projects/herbarium/moderation?state=closed")
    assert bad.status_code == 422 and "state must be one of" in text(bad)
    assert client.get("/projects/herbarium/moderation?board=x").status_code == 422


def test_the_queue_and_my_reports_cost_the_same_for_1_case_as_for_6(
    app: Flask, client: FlaskClient, make: Factory, scene: Any, count_queries: Any
) -> None:
    login(client, "vol")
    file(client, scene.comment)
    moderator = app.test_client()
    login(moderator, "mod")
    pages = {moderator: "/projects/herbarium/moderation", client: "/my/reports"}

    def cost() -> list[int]:
        counts = []
        for who, page in pages.items():
            with count_queries() as queries:
                assert who.get(page).status_code == 200
            counts.append(queries.count)
        return counts

    one = cost()
    for i in range(5):
        writer = make.user(f"writer{i}")
        comment = make.comment(scene.thread, writer, f"Spam {i}")
        file(client, comment.id)
    assert cost() == one


def test_moderators_find_the_queue_on_the_project_page(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "vol")
    assert "Moderation queue" not in text(client.get("/projects/herbarium"))
    file(client, scene.comment)
    login(client, "mod")
    html = squash(text(client.get("/projects/herbarium")))
    assert 'href="/projects/herbarium/moderation"' in html and "(1 open" in html


@pytest.mark.parametrize("kind", ["discussion", "user"])
def test_discussions_and_people_have_case_pages_too(
    app: Flask, client: FlaskClient, scene: Any, kind: str
) -> None:
    login(client, "vol")
    target = scene.thread.id if kind == "discussion" else scene.author.id
    page = f"/report/{kind}/{target}"
    assert submit(client, page, reason="harassment", project="herbarium").status_code == 302
    login(client, "mod")
    case_page = f"/projects/herbarium/moderation/cases/{only_case(app)}"
    html = text(client.get(case_page))
    assert "Harassment or abuse" in html and 'value="dismiss"' in html
    assert 'value="hide"' not in html  # hiding is for comments
    refused = decide(client, case_page, action="hide", reason="spam", confirm="1")
    assert refused.status_code == 422 and "action must be one of dismiss, watch" in text(refused)


def test_the_discussion_pages_own_buttons_are_audited_and_settle_the_case(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    """Hiding from the discussion page is moderation too: audited once, the case settled."""
    reported_then_moderating(app, client, scene)
    page = f"/discussions/{scene.thread.id}"
    hidden = submit(client, page, f"/comments/{scene.comment}/hide", reason="Selling watches")
    assert hidden.status_code == 302
    assert settlement(app) == (
        ("actioned", "hide", scene.moderator.id),
        [("comment.hide", "", "Selling watches", only_case(app))],
    )
    submit(client, page, f"/comments/{scene.comment}/unhide")
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["comment.hide", "comment.restore"]


def test_authors_deleting_their_own_comments_is_not_moderation(
    app: Flask, client: FlaskClient, scene: Any
) -> None:
    login(client, "author")
    page = f"/discussions/{scene.thread.id}"
    assert submit(client, page, f"/comments/{scene.comment}/delete").status_code == 302
    with app.app_context():
        assert db.session.query(AuditEntry).count() == 0


def test_the_case_page_lists_every_decision_on_the_case_newest_first(
    app: Flask, client: FlaskClient, scene: Any, clock: Any
) -> None:
    """Hidden, then the author suspended from the same case: both decisions show, with who,
    when, the reason, the note, and the suspension's end (a case's resolution keeps only the
    last)."""
    case_page = reported_then_moderating(app, client, scene)
    hidden = decide(client, case_page, action="hide", reason="spam", note="Ads", confirm="1")
    assert hidden.status_code == 302
    clock.advance(hours=1)
    suspended = decide(
        client, case_page, action="suspend", reason="harassment", days="7", confirm="1"
    )
    assert suspended.status_code == 302
    html = squash(text(client.get(case_page)))
    assert "Decisions, newest first" in html
    suspend_line = (
        "14 Mar 2026, 13:00 UTC</time> · mod · <strong>Suspend the author</strong> "
        "(Harassment or abuse), until <time"
    )
    hide_line = (
        "14 Mar 2026, 12:00 UTC</time> · mod · <strong>Hide the comment</strong> (Spam): “Ads”"
    )
    assert suspend_line in html and hide_line in html
    assert html.index(suspend_line) < html.index(hide_line)
    assert "21 Mar 2026, 13:00 UTC" in html  # the suspension's end
