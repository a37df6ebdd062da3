"""Writers that change the same rows in different ways at once — editing, hiding and posting —
all get their answer (no deadlock, no 500) and leave every counter equal to its recount.

Each writer is a thread making real requests, each on its own connection; on PostgreSQL they
take row locks for real, so a lock order that differs between two paths deadlocks here."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from talk.extensions import db
from talk.models import Tag
from talk.services.counters import counter_mismatches
from tests.conftest import at_once, csrf_token, login

pytestmark = pytest.mark.commits  # writer threads, each on its own connection

ROUNDS = 4


@pytest.fixture(autouse=True)
def no_transaction_ran_twice(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The lock order, not the retry of aborted transactions, is what these tests check."""
    yield
    messages = [record.getMessage() for record in caplog.get_records("call")]
    assert [m for m in messages if "transaction aborted" in m] == []


def check_counters(app: Flask) -> None:
    with app.app_context():
        assert counter_mismatches() == []
        db.session.rollback()


Step = tuple[str, str | None]  # (a statement's start, the tag it is about, if it matters)


@contextmanager
def choreographed(app: Flask, steps: dict[str, list[Step]]) -> Iterator[None]:
    """Make each writer thread (by name) wait before the statements ``steps[thread]`` lists, in
    turn: at its n-th step, until every writer has reached its n-th step (or 2 s have passed).
    So two writers that take the same locks in opposite orders deadlock every time, not once
    in a while; writers that take them in one order just wait for each other. Not on SQLite,
    where a writer holds the whole database: a pause would only make the others wait out
    ``busy_timeout``."""
    with app.app_context():
        tag_ids = {
            name: db.session.scalar(select(Tag.id).where(Tag.name == name))
            for plan in steps.values()
            for _, name in plan
            if name
        }
        engine = db.engine
    if engine.dialect.name == "sqlite":
        yield
        return
    meetings = [threading.Barrier(len(steps), timeout=2) for _ in next(iter(steps.values()))]
    reached = dict.fromkeys(steps, 0)

    def pause(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        thread = threading.current_thread().name
        if thread not in steps or reached[thread] == len(steps[thread]):
            return
        start, name = steps[thread][reached[thread]]
        if statement.startswith(start) and (
            name is None or context.compiled_parameters[0].get("tag_id") == tag_ids[name]
        ):
            reached[thread] += 1
            with suppress(threading.BrokenBarrierError):
                meetings[reached[thread] - 1].wait()

    event.listen(engine, "before_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", pause)


def named(name: str, writer: Callable[[], list[int]]) -> Callable[[], list[int]]:
    def run() -> list[int]:
        threading.current_thread().name = name
        return writer()

    return run


def test_editing_a_comment_from_alpha_to_beta_while_another_posts_both(app, make, token):
    """The edit drops #alpha and adds #beta; the post adds both. #beta is the older tag (lower
    id), so the edit, which worked through what it dropped before what it added, locked #alpha's
    rows before #beta's, while the post (in id order) locked #beta's before #alpha's: they
    deadlocked on PostgreSQL
    (one answered 500)."""
    project = make.project()
    thread = make.discussion(project, make.user(), item=make.item(project), body="#beta first")
    editor = make.user()
    comment = make.comment(thread, editor, "#alpha")
    editor_headers, poster_headers = token(editor), token(make.user())

    def edit() -> list[int]:
        response = app.test_client().patch(
            f"/api/v1/comments/{comment.id}", json={"body": "#beta now"}, headers=editor_headers
        )
        return [response.status_code]

    def post() -> list[int]:
        response = app.test_client().post(
            f"/api/v1/discussions/{thread.id}/comments",
            json={"body": "#alpha #beta"},
            headers=poster_headers,
        )
        return [response.status_code]

    # The post has resolved its names before the edit drops #alpha; each then holds the rows of
    # one tag and asks for the other's.
    steps: dict[str, list[Step]] = {
        "editor": [("DELETE FROM tag_uses", None), ("INSERT INTO tag_uses", "beta")],
        "poster": [("INSERT INTO tag_uses", "beta"), ("INSERT INTO tag_uses", "alpha")],
    }
    with choreographed(app, steps):
        statuses = at_once(named("editor", edit), named("poster", post))

    assert statuses == [[200], [201]]
    check_counters(app)


def moderator_client(app: Flask, moderator: SimpleNamespace, page: str) -> Any:
    """A test client logged in as ``moderator``, and the CSRF form fields of its session."""
    client = app.test_client()
    login(client, moderator.username)
    return client, {"csrf_token": csrf_token(client, page), "reason": "Off topic"}


def moderate(client: Any, form: dict[str, str], comment_id: int) -> list[int]:
    """Hide and show ``comment_id`` again, ROUNDS times, through the moderator's pages."""
    return [
        client.post(
            f"/comments/{comment_id}/{'hide' if r % 2 == 0 else 'unhide'}", data=form
        ).status_code
        for r in range(ROUNDS)
    ]


def test_hiding_comments_while_others_reply_to_them(app, make, token):
    """Moderators hide and show comments while their authors and others reply to them with
    hashtags: hiding locked the comment against the replies' references to it while they held
    the counters it needs next, and deadlocked on PostgreSQL."""
    project = make.project()
    thread = make.discussion(project, make.user(), item=make.item(project), body="#alpha start")
    authors = [make.user() for _ in range(2)]
    targets = [
        make.comment(thread, author, f"#beta target {n}") for n, author in enumerate(authors)
    ]
    moderators = [make.member(project, "moderator") for _ in targets]
    posters = [token(user) for user in (*authors, make.user())]
    page = f"/discussions/{thread.id}"

    def reply(headers: dict[str, str]) -> list[int]:
        client = app.test_client()
        url = f"/api/v1/discussions/{thread.id}/comments"
        return [
            client.post(
                url,
                json={"body": f"#alpha #beta reply {r}", "reply_to": targets[r % 2].id},
                headers=headers,
            ).status_code
            for r in range(ROUNDS)
        ]

    statuses = at_once(
        *(
            partial(moderate, *moderator_client(app, m, page), t.id)
            for m, t in zip(moderators, targets, strict=True)
        ),
        *(partial(reply, headers) for headers in posters),
    )

    assert statuses == [[302] * ROUNDS] * 2 + [[201] * ROUNDS] * 3
    check_counters(app)
