"""Workflow flags: configured hashtags put an item on the staff's review list; a later comment
by staff or an expert answers it, or staff mark it answered (issue 10)."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.moderation.conftest import ROLES
from tests.talk.web.pages import submit, text

FLAGS = "/api/v1/projects/asylum/workflow-flags"
REVIEW = "/api/v1/projects/asylum/review-list"


@pytest.fixture
def flagged(client, heritage, token):
    headers = token(heritage.people["team"])
    for tag in ("#help", "correction", "#Tricky-Writing"):
        answer = client.post(
            FLAGS, json={"tag": tag, "description": "Please look"}, headers=headers
        )
        assert answer.status_code == 201, answer.get_json()
    return heritage


def _review(client, headers):
    answer = client.get(REVIEW, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]


def test_configured_flags_are_listed_normalised(client, flagged):
    listed = client.get(FLAGS).get_json()["data"]
    assert [f["tag"] for f in listed] == ["correction", "help", "tricky-writing"]


@pytest.mark.parametrize(
    ("who", "status"),
    [*[(role, 403 if role == "volunteer" else 201) for role in ROLES], ("other", 403)],
)
def test_only_this_projects_staff_configure_flags(client, heritage, token, who, status):
    person = heritage.other_moderator if who == "other" else heritage.people[who]
    answer = client.post(FLAGS, json={"tag": "help"}, headers=token(person))
    assert answer.status_code == status
    review = client.get(REVIEW, headers=token(person))
    assert review.status_code == (403 if status == 403 else 200)


@pytest.mark.parametrize("tag", ["#", "a", "has space", "#bad!", "x" * 101])
def test_a_tag_that_cannot_be_a_hashtag_is_refused(client, heritage, token, tag):
    answer = client.post(FLAGS, json={"tag": tag}, headers=token(heritage.people["admin"]))
    assert answer.status_code == 422, answer.get_json()
    assert client.get(FLAGS).get_json()["data"] == []


def test_a_flag_twice_is_a_conflict_and_removing_is_staff_only(client, flagged, token):
    staff = token(flagged.people["moderator"])
    assert client.post(FLAGS, json={"tag": "HELP"}, headers=staff).status_code == 409
    volunteer = token(flagged.people["volunteer"])
    assert client.delete(f"{FLAGS}/help", headers=volunteer).status_code == 403
    assert client.delete(f"{FLAGS}/help", headers=staff).status_code == 204
    assert client.delete(f"{FLAGS}/help", headers=staff).status_code == 404


def test_a_flag_puts_the_item_on_the_list_and_staff_answer_it(client, make, flagged, token, clock):
    volunteer, expert = flagged.people["volunteer"], flagged.people["expert"]
    staff = token(flagged.people["moderator"])
    make.comment(flagged.thread, volunteer, "Can anyone read the third line? #help")
    clock.advance(hours=3)
    make.comment(flagged.chat, volunteer, "Not a flag: #fern")
    make.comment(flagged.chat, volunteer, "The date is wrong #correction")
    rows = _review(client, staff)
    assert [(r["flag"], r["discussion_title"], r["item_external_id"]) for r in rows] == [
        ("help", "Page 4", flagged.item.external_id),
        ("correction", "Hello all", None),
    ]
    assert rows[0]["asked_by"]["username"] == "a_volunteer"
    # Another volunteer's reply, and the asker's own, do not answer.
    make.comment(flagged.thread, make.member(flagged.project, "volunteer"), "No idea")
    make.comment(flagged.thread, volunteer, "Still stuck #help")
    assert len(_review(client, staff)) == 2
    make.comment(flagged.thread, expert, "It says 'melancholia'.")
    assert [r["flag"] for r in _review(client, staff)] == ["correction"]


def test_a_new_discussion_with_a_flag_asks_too(client, make, flagged, token):
    make.discussion(
        flagged.project,
        flagged.people["volunteer"],
        item=flagged.item,
        board="Item discussions",
        title="Hard hand",
        body="#tricky-writing on the second page",
    )
    rows = _review(client, token(flagged.people["admin"]))
    assert [(r["flag"], r["discussion_title"]) for r in rows] == [("tricky-writing", "Hard hand")]


def test_mark_answered_by_hand_once_and_never_across_projects(client, make, flagged, token):
    make.comment(flagged.thread, flagged.people["volunteer"], "#help please")
    staff = token(flagged.people["team"])
    (row,) = _review(client, staff)
    url = f"{REVIEW}/{row['id']}/answered"
    assert client.post(url, json={}, headers=token(flagged.people["volunteer"])).status_code == 403
    crossed = f"/api/v1/projects/parish/review-list/{row['id']}/answered"
    assert client.post(crossed, json={}, headers=token(flagged.other_moderator)).status_code == 404
    done = client.post(url, json={}, headers=staff)
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["answered_how"], done.get_json()["answered_by"]["username"]) == (
        "marked",
        "a_team",
    )
    assert _review(client, staff) == []
    assert client.post(url, json={}, headers=staff).status_code == 409


def test_the_review_page_shows_time_waiting_oldest_first(client, make, flagged, clock):
    make.comment(flagged.chat, flagged.people["volunteer"], "#correction the year")
    clock.advance(days=1)
    make.comment(flagged.thread, flagged.people["volunteer"], "#help with a word")
    clock.advance(days=2)
    login(client, "a_expert")
    page = text(client.get("/projects/asylum/review-list"))
    assert page.index("#correction") < page.index("#help</td>")
    assert "3 days" in page and "2 days" in page
    assert 'href="/users/a_volunteer"' in page
    review = "/projects/asylum/review-list"
    html = text(client.get(review))
    action = html[html.index("/review-list/") : html.index('"', html.index("/review-list/"))]
    marked = submit(client, review, f"/projects/asylum{action}")
    assert marked.status_code == 302
    assert "#correction</td>" not in text(client.get(review))


@pytest.mark.parametrize("who", ["a_volunteer", "b_moderator"])
def test_the_review_page_is_for_this_projects_staff(client, flagged, who):
    login(client, who)
    assert client.get("/projects/asylum/review-list").status_code == 403
    answer = submit(client, "/", "/projects/asylum/workflow-flags", tag="#mine")
    assert answer.status_code == 403


def test_staff_configure_flags_from_the_page(client, heritage):
    login(client, "a_admin")
    review = "/projects/asylum/review-list"
    added = submit(client, review, "/projects/asylum/workflow-flags", tag="#help", description="")
    assert added.status_code == 302
    assert "<strong>#help</strong>" in text(client.get(review))
    bad = submit(client, review, "/projects/asylum/workflow-flags", tag="#no good")
    assert bad.status_code == 422 and "There is a problem" in text(bad)
    removed = submit(client, review, "/projects/asylum/workflow-flags/help/remove")
    assert removed.status_code == 302
    assert "<strong>#help</strong>" not in text(client.get(review))


@pytest.mark.parametrize("how", ["hide", "delete"])
def test_a_hidden_or_deleted_question_leaves_the_list(app, client, make, flagged, token, how):
    from talk.extensions import db
    from talk.models import Comment, User
    from talk.services import discussions

    asked = make.comment(flagged.thread, flagged.people["volunteer"], "Buy pills #help")
    make.comment(flagged.chat, flagged.people["volunteer"], "A real question #help")
    staff = token(flagged.people["moderator"])
    assert len(_review(client, staff)) == 2
    with make.context():
        moderator = db.session.get(User, flagged.people["moderator"].id)
        comment = db.session.get(Comment, asked.id)
        if how == "hide":
            discussions.hide_comment(moderator, comment, "spam")
        else:
            discussions.delete_comment(moderator, comment)
    assert [r["discussion_title"] for r in _review(client, staff)] == ["Hello all"]


def test_the_review_list_costs_the_same_for_3_rows_as_for_12(
    client, make, flagged, token, count_queries
):
    staff = token(flagged.people["moderator"])
    counts = []
    for rows in (3, 12):
        while len(_review(client, staff)) < rows:
            asker = make.member(flagged.project, "volunteer")
            thread = make.discussion(flagged.project, asker, title="Q", body="#help")
            assert thread.id
        with count_queries() as counted:
            assert len(_review(client, staff)) == rows
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


def test_removing_the_flags_removes_their_requests_so_staff_posts_skip_the_read(
    app, client, make, flagged, token, count_queries
):
    """A staff post reads no open requests in a project without flags (moderation/workflow.py):
    that holds because removing a flag removes its requests, answered or not."""
    from sqlalchemy import func, select

    from moderation.heritage_models import WorkflowRequest
    from talk.extensions import db

    volunteer, staff = flagged.people["volunteer"], token(flagged.people["moderator"])
    make.comment(flagged.thread, volunteer, "Can anyone read the third line? #help")
    assert len(_review(client, staff)) == 1
    for tag in ("help", "correction", "tricky-writing"):
        assert client.delete(f"{FLAGS}/{tag}", headers=staff).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkflowRequest)) == 0
    reply = f"/api/v1/discussions/{flagged.thread.id}/comments"
    with count_queries() as queries:
        answer = client.post(reply, json={"body": "It says 'melancholia'."}, headers=staff)
    assert answer.status_code == 201, answer.get_json()
    assert not [s for s in queries.statements if "workflow_requests" in s]
