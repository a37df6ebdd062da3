"""Rate limits and duplicate comments on the pages: 429 (409) with ``Retry-After``, the reason
above the form, and the form as it was sent, so nothing typed is lost. (The API's answers:
tests/talk/api/test_rate_limits_api.py and test_duplicate_comments.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login
from tests.talk.web.pages import form_values, outline, submit
from tests.talk.web.test_pages_auth import registration


@pytest.fixture
def limited(app: Any) -> Any:
    app.config["TALK_RATE_LIMITS"] = True
    return app


def refused(response: Any, *words: str, within: int) -> bool:
    """429, ``Retry-After`` within ``within`` seconds, and the problems above the form name why."""
    summary = " ".join(" ".join(outline(response).text).split())  # spacing aside
    return (
        response.status_code == 429
        and 0 < int(response.headers["Retry-After"]) <= within
        and all(word in summary for word in words)
    )


def replied_once(client: Any, make: Any) -> str:
    """``vol`` logged in, having just replied in a thread; the thread's page."""
    project = make.project("herbarium")
    make.user("vol")
    thread = make.discussion(project, make.user("asker"))
    login(client, "vol")
    page = f"/discussions/{thread.id}"
    assert submit(client, page, body="An oak, I think.").status_code == 302
    return page


def test_a_reply_too_soon_is_refused_and_its_text_kept(limited, client, make):
    page = replied_once(client, make)
    again = submit(client, page, body="Or perhaps a beech?")
    assert refused(again, "Too many comments", "try again in", within=5)
    assert form_values(again)["body"] == "Or perhaps a beech?"


def test_a_second_discussion_too_soon_keeps_its_title_and_text(limited, client, make):
    project = make.project("herbarium")
    make.user("vol")
    limited.config["TALK_RATE_LIMIT_DISCUSSIONS_PER_ACCOUNT"] = "1 per minute"
    limited.config["TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT"] = "100 per minute"
    login(client, "vol")
    page = f"/projects/herbarium/boards/{project.boards['Chat'].id}/new"
    assert submit(client, page, title="Leaves", body="Oak?").status_code == 302
    again = submit(client, page, title="Bark", body="Beech?")
    assert refused(again, "Too many new discussions", within=60)
    assert form_values(again)["title"] == "Bark"
    assert form_values(again)["body"] == "Beech?"


def test_sign_ups_from_one_client_are_limited(limited, client, mailbox):
    limited.config["TALK_RATE_LIMIT_SIGNUPS_PER_CLIENT"] = "1 per hour"
    assert submit(client, "/register", **registration()).status_code == 200
    second = submit(client, "/register", **registration(username="bea", email="bea@example.org"))
    assert refused(second, "Too many sign-ups", "try again in 1 hour", within=3600)
    assert form_values(second)["username"] == "bea"
    assert [address for _, address in mailbox.kinds()] == ["ada@example.org"]


def test_the_same_reply_twice_is_refused_with_a_message_and_kept(app, client, make):
    app.config["TALK_DUPLICATE_COMMENT_MINUTES"] = 5
    page = replied_once(client, make)
    again = submit(client, page, body="An oak, I think.")
    assert again.status_code == 409
    assert "You posted this same comment" in " ".join(outline(again).text)
    assert form_values(again)["body"] == "An oak, I think."
