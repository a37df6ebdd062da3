"""Reports, cases and the audit log in the JSON API: the existing error shape, cursor pages,
filters, and the action registry."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from talk.extensions import db
from talk.models import Comment
from tests.conftest import Factory


@pytest.fixture
def scene(make: Factory, token: Any) -> SimpleNamespace:
    project = make.project("herbarium")
    author = make.user("author")
    thread = make.discussion(project, author, body="Buy watches")
    moderator = make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    return SimpleNamespace(
        thread=thread,
        comment=thread.first_comment_id,
        author=author,
        make=make,
        mod=token(moderator),
        vol=token(volunteer),
        other=token(make.user("other")),
    )


def post_report(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/reports", json={"reason": "spam", **body}, headers=headers)


def test_report_then_a_second_time_is_409(client: FlaskClient, scene: Any) -> None:
    first = post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["target_type"] == "comment"
    again = post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    assert again.status_code == 409 and again.get_json()["error"]["code"]
    mine = client.get("/api/v1/reports", headers=scene.vol).get_json()
    assert [r["outcome"] for r in mine["data"]] == ["pending"]
    case_id = mine["data"][0]["case_id"]
    client.post(
        f"/api/v1/moderation/cases/{case_id}/actions", json={"action": "dismiss"}, headers=scene.mod
    )
    mine = client.get("/api/v1/reports", headers=scene.vol).get_json()
    assert [r["outcome"] for r in mine["data"]] == ["dismissed"]
    assert client.get("/api/v1/reports", headers=scene.other).get_json()["data"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"target_type": "item", "target_id": 1},
        {"target_type": "comment", "target_id": "one"},
        {"target_type": "comment", "target_id": 1, "reason": "boring"},
        {"target_type": "comment", "target_id": 1, "note": "x" * 2001},
        {"target_type": "comment", "target_id": 1, "surprise": True},
        {"target_type": "user", "target_id": 1},
    ],
)
def test_bad_reports_are_422(client: FlaskClient, scene: Any, body: dict[str, Any]) -> None:
    body = {**body, "target_id": scene.comment if body["target_id"] == 1 else body["target_id"]}
    if body["target_type"] == "user":
        body["target_id"] = scene.author.id
    response = post_report(client, scene.vol, **body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]


def test_cases_list_in_cursor_pages_with_filters(client: FlaskClient, scene: Any) -> None:
    comments = [scene.make.comment(scene.thread, scene.author, f"c{i}").id for i in range(3)]
    for i, comment_id in enumerate(comments):
        reason = "personal_information" if i == 1 else "spam"
        post_report(client, scene.vol, target_type="comment", target_id=comment_id, reason=reason)
    url = "/api/v1/projects/herbarium/moderation/cases"
    first = client.get(url, query_string={"limit": 2}, headers=scene.mod).get_json()
    assert [c["target_id"] for c in first["data"]] == [comments[1], comments[0]]
    assert first["data"][0]["due_at"] is not None
    rest = client.get(
        url, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=scene.mod
    ).get_json()
    assert [c["target_id"] for c in rest["data"]] == [comments[2]] and rest["next_cursor"] is None
    only = client.get(url, query_string={"reason": "spam"}, headers=scene.mod).get_json()
    assert len(only["data"]) == 2
    assert (
        client.get(url, query_string={"cursor": "nonsense"}, headers=scene.mod).status_code == 422
    )
    assert client.get(url, query_string={"state": "closed"}, headers=scene.mod).status_code == 422


def test_actions_through_the_registry(app: Flask, client: FlaskClient, scene: Any) -> None:
    post_report(client, scene.vol, target_type="comment", target_id=scene.comment, note="<b>x</b>")
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    detail = client.get(f"/api/v1/moderation/cases/{case['id']}", headers=scene.mod).get_json()
    assert detail["actions"] == ["dismiss", "watch", "hide", "delete", "warn", "mute", "suspend"]
    assert detail["reports"][0]["note"] == "<b>x</b>"
    act = f"/api/v1/moderation/cases/{case['id']}/actions"
    unknown = client.post(act, json={"action": "explode"}, headers=scene.mod)
    assert unknown.status_code == 422 and "action" in unknown.get_json()["error"]["fields"]
    no_reason = client.post(act, json={"action": "hide"}, headers=scene.mod)
    assert no_reason.status_code == 422
    hidden = client.post(act, json={"action": "hide", "reason": "spam"}, headers=scene.mod)
    assert hidden.status_code == 200 and hidden.get_json()["state"] == "actioned"
    assert hidden.get_json()["actions"] == ["restore", "delete", "warn", "mute", "suspend"]
    twice = client.post(act, json={"action": "hide", "reason": "spam"}, headers=scene.mod)
    assert twice.status_code == 409
    restored = client.post(act, json={"action": "restore"}, headers=scene.mod)
    assert restored.get_json()["state"] == "dismissed"
    with app.app_context():
        assert not db.session.get(Comment, scene.comment).is_hidden
    audit = client.get("/api/v1/projects/herbarium/moderation/audit", headers=scene.mod)
    actions = [e["action"] for e in audit.get_json()["data"]]
    assert actions == ["comment.restore", "comment.hide"]
    one = client.get(
        "/api/v1/projects/herbarium/moderation/audit",
        query_string={"action": "comment.hide", "limit": 1},
        headers=scene.mod,
    ).get_json()
    assert len(one["data"]) == 1 and one["next_cursor"] is None


def test_others_get_404_for_a_case_and_403_for_the_queue(client: FlaskClient, scene: Any) -> None:
    post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    assert (
        client.get(f"/api/v1/moderation/cases/{case['id']}", headers=scene.vol).status_code == 404
    )
    assert client.get("/api/v1/moderation/cases/999999", headers=scene.mod).status_code == 404
    queue = client.get("/api/v1/projects/herbarium/moderation/cases", headers=scene.other)
    assert queue.status_code == 403


def test_claims_show_who(client: FlaskClient, scene: Any) -> None:
    post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    claim = f"/api/v1/moderation/cases/{case['id']}/claim"
    claimed = client.put(claim, json={}, headers=scene.mod).get_json()
    assert claimed["claimed_by"]["username"] == "mod"
    released = client.delete(claim, headers=scene.mod).get_json()
    assert released["claimed_by"] is None


def test_a_token_limited_to_another_project_has_no_power_here(
    app: Flask, client: FlaskClient, make: Factory, scene: Any
) -> None:
    """A site admin's token scoped to another project reads this project's cases as a visitor
    would (404) and acts on nothing, though the admin could with an unscoped token."""
    from talk import policy
    from talk.models import Project, User
    from talk.services import tokens

    admin = make.user("rootish", site_admin=True)
    elsewhere = make.project("whaling")
    post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    with app.app_context():
        secret = tokens.issue_token(
            policy.OPERATOR,
            db.session.get(User, admin.id),
            project=db.session.get(Project, elsewhere.id),
        ).secret
        db.session.commit()
    scoped = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/moderation/cases/{case['id']}", headers=scoped).status_code == 404
    act = client.post(
        f"/api/v1/moderation/cases/{case['id']}/actions", json={"action": "dismiss"}, headers=scoped
    )
    assert act.status_code == 404
    queue = client.get("/api/v1/projects/herbarium/moderation/cases", headers=scoped)
    assert queue.status_code == 403, queue.get_json()


@pytest.mark.commits
def test_first_reports_at_once_join_one_case(app: Flask, make: Factory, token: Any) -> None:
    """Several people report a new comment at the same moment: one case, every report in it
    (the loser of the race to create the case joins the winner's)."""
    from tests.conftest import at_once

    project = make.project("herbarium")
    author = make.user("author")
    thread = make.discussion(project, author)
    reporters = [token(make.user(f"reporter{i}")) for i in range(4)]
    body = {"target_type": "comment", "target_id": thread.first_comment_id, "reason": "spam"}

    def reporter(headers: dict[str, str]) -> Any:
        return lambda: [
            app.test_client().post("/api/v1/reports", json=body, headers=headers).status_code
        ]

    statuses = at_once(*(reporter(h) for h in reporters))
    assert statuses == [[201]] * 4
    with app.app_context():
        from moderation.case_models import Case

        [case] = db.session.scalars(db.select(Case)).all()
        assert (case.report_count, len(case.reports)) == (4, 4)


def test_a_sanction_joins_the_registry_with_one_line(
    app: Flask, client: FlaskClient, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge adds the sanctions' services as actions: here a stand-in suspension, which
    records its own audit entry, is offered, takes days, and resolves the case."""
    from moderation import audit, case_actions
    from moderation.case_actions import ALL_TARGETS, CaseAction, is_open, on_author
    from moderation.models import AuditEntry

    calls: list[tuple[str, str, int | None, int | None]] = []

    def suspend(actor: Any, project: Any, person: Any, **kw: Any) -> None:
        calls.append((person.username, kw["reason"], kw["days"], kw["case_id"]))
        audit.record(
            actor, "user.suspend", project=project, target_type="user", target_id=person.id
        )

    action = CaseAction(
        "suspend",
        "Suspend the author",
        ALL_TARGETS,
        on_author(suspend, takes_days=True),
        is_open,
        needs_reason=True,
        records_itself=True,
        takes_days=True,
    )
    monkeypatch.setitem(case_actions.ACTIONS, "suspend", action)
    post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    act = f"/api/v1/moderation/cases/{case['id']}/actions"
    assert (
        "suspend"
        in client.get(act.removesuffix("/actions"), headers=scene.mod).get_json()["actions"]
    )
    too_long = {"action": "suspend", "reason": "harassment", "days": 99999}
    assert client.post(act, json=too_long, headers=scene.mod).status_code == 422
    done = client.post(
        act, json={"action": "suspend", "reason": "harassment", "days": 7}, headers=scene.mod
    )
    assert done.status_code == 200 and done.get_json()["state"] == "actioned"
    assert calls == [("author", "harassment", 7, case["id"])]
    with app.app_context():
        assert db.session.scalars(db.select(AuditEntry.action)).all() == ["user.suspend"]


def test_reporting_is_rate_limited_with_429_and_retry_after(
    app: Flask, client: FlaskClient, scene: Any, make: Factory
) -> None:
    """Reports count against the ``report`` limit (talk.rate_limits); a refused one is not
    recorded."""
    from moderation.case_models import Report

    app.config["TALK_RATE_LIMITS"] = True
    app.config["TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT"] = "1 per day"
    first = post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    assert first.status_code == 201
    other = make.discussion(make.project("ferns"), scene.author, body="More watches")
    second = post_report(client, scene.vol, target_type="comment", target_id=other.first_comment_id)
    assert second.status_code == 429 and second.get_json()["error"]["code"] == "rate_limited"
    assert int(second.headers["Retry-After"]) > 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 1


def test_hide_then_suspend_from_one_case_holds_the_author_and_is_audited(
    app: Flask, client: FlaskClient, scene: Any, token: Any
) -> None:
    """The issue's "done when" through the API: a report, the comment hidden with a reason,
    the author suspended for 7 days from the same case; the author cannot post in the project
    and is told why; the reporter hears the outcome once; the audit log holds both."""
    from notifications.inbox_models import NotificationEvent

    post_report(client, scene.vol, target_type="comment", target_id=scene.comment)
    [case] = client.get(
        "/api/v1/projects/herbarium/moderation/cases", headers=scene.mod
    ).get_json()["data"]
    url = f"/api/v1/moderation/cases/{case['id']}/actions"
    hidden = client.post(url, json={"action": "hide", "reason": "spam"}, headers=scene.mod)
    assert hidden.status_code == 200, hidden.get_json()
    suspended = client.post(
        url, json={"action": "suspend", "reason": "spam", "days": 7}, headers=scene.mod
    )
    assert suspended.status_code == 200, suspended.get_json()
    reply = client.post(
        f"/api/v1/discussions/{scene.thread.id}/comments",
        json={"body": "Cheap watches again"},
        headers=token(scene.author),
    )
    assert reply.status_code == 403
    assert "suspended from" in reply.get_json()["error"]["message"]
    assert ": spam" in reply.get_json()["error"]["message"]
    audit_rows = client.get(
        "/api/v1/projects/herbarium/moderation/audit", headers=scene.mod
    ).get_json()["data"]
    assert {"comment.hide", "user.suspend"} <= {row["action"] for row in audit_rows}
    with app.app_context():
        told = db.session.scalars(
            db.select(NotificationEvent).where(NotificationEvent.kind == "notice")
        ).all()
        kinds = [e.payload.get("notice") for e in told]
    assert kinds.count("moderation.report_outcome") == 1
    assert "moderation.suspended" in kinds and "moderation.hidden" in kinds
