"""Each person's generation (docs/page-cache.md, "Invalidation: the private generation and each
person's"): a write that concerns one person empties only their kept pages; anything else, or
a write whose person cannot be told, empties everybody's as before."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, text, update

from notifications import inbox
from notifications.inbox_models import Notification
from notifications.models import MailboxMessage
from notifications.worker import JOBS, run_job
from talk.extensions import db
from talk.page_cache import EXTENSION, PERSONAL_ENDPOINTS
from talk.page_cache_people import SLOTS, FilePeople
from talk.page_cache_writes import UNSHOWN_COLUMNS, UNSHOWN_TABLES, concerned
from tests.conftest import login
from tests.talk.page_cache.test_personal import _in_app, _kept, _user, _view
from tests.talk.web.pages import text as page_text

TEMPLATES = Path(__file__).resolve().parents[3]


@pytest.fixture
def people(make: Any, place: Any, visitor: Any) -> SimpleNamespace:
    """Ann, logged in, reading Bob's thread (which she does not follow); Carol, logged in."""
    bob = make.user("bob", display_name="Bob Builder")
    make.user("carol", display_name="Carol Curator")
    thread = make.discussion(place.project, bob, title="Bob's sheet", body="Bob's words")
    browsers = {}
    for name in ("ann", "carol"):
        browsers[name] = visitor()
        login(browsers[name], name)
    return SimpleNamespace(bob=bob, url=f"/discussions/{thread.id}", thread=thread, **browsers)


def _deliver(app: Flask, clock: Any) -> None:
    _in_app(app, lambda: inbox.deliver_events("test-worker", now=clock()))


def test_a_notification_for_someone_else_keeps_the_viewers_pages(
    count_queries, app, clock, make, place, people
) -> None:
    """The worker's fan-out writes notifications for Bob and Carol: Ann's kept pages stay
    kept (before: every notification for anybody emptied every login's pages)."""
    make.comment(people.thread, place.moderator, "@carol have a look")
    for url in (people.url, "/notifications"):
        _kept(count_queries, people.ann, url)
    _kept(count_queries, people.carol, "/notifications")
    _deliver(app, clock)
    for url in (people.url, "/notifications"):
        assert _view(count_queries, people.ann, url)[0], url
    hit, html = _view(count_queries, people.carol, "/notifications")
    assert not hit and "Mo Derator" in html  # hers: on her very next view


def test_a_notification_for_the_viewer_empties_every_page_of_theirs(
    count_queries, app, clock, make, place, people
) -> None:
    """The header counts unread notifications on every page: a thread page she keeps that the
    notification is not about is rendered again too."""
    other = make.discussion(place.project, place.moderator, title="Elsewhere", body="Words")
    html = _kept(count_queries, people.ann, people.url)
    assert "1 unread" not in html
    make.comment(other, place.moderator, "@ann see this")
    _kept(count_queries, people.ann, people.url)  # the comment moved the shared generation
    _deliver(app, clock)
    hit, html = _view(count_queries, people.ann, people.url)
    assert not hit
    assert _view(count_queries, people.ann, people.url)[0]  # this view wrote nothing: kept


def test_the_email_side_and_the_outbox_empty_no_kept_page(
    count_queries, app, clock, make, place, people
) -> None:
    """After the fan-out the worker emails Carol, queues her message and delivers it (to the
    local mailbox): none of it is on any kept page, so Ann's and Carol's pages stay kept."""
    make.comment(people.thread, place.moderator, "@carol have a look")
    _deliver(app, clock)
    _kept(count_queries, people.ann, people.url)
    _kept(count_queries, people.carol, "/notifications")
    for _ in range(2):  # the second round delivers what the first queued (the local mailbox)
        clock.advance(seconds=4)  # within the kept pages' time to live
        for job in JOBS:
            run_job(app, job, "test-worker")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MailboxMessage))
    assert _view(count_queries, people.ann, people.url)[0]
    assert _view(count_queries, people.carol, "/notifications")[0]


def _generations(app: Flask, *names: str) -> list[str]:
    generation = app.extensions[EXTENSION].personal.backend.generation
    with app.app_context():
        return [generation.read_for(_user(name).id) for name in names]


def test_reading_ones_notifications_moves_only_ones_own_generation(app, clock, make, place, people):
    make.comment(people.thread, place.moderator, "@ann and @carol look")
    _deliver(app, clock)
    before = _generations(app, "ann", "carol")
    _in_app(app, lambda: inbox.mark_read(_user("ann"), _user("ann"), everything=True))
    after = _generations(app, "ann", "carol")
    assert after[0] != before[0] and after[1] == before[1]


def test_a_write_whose_person_cannot_be_told_moves_everybodys(app, clock, make, place, people):
    """An UPDATE by id, raw SQL, an INSERT … SELECT: the shared generation moves."""
    make.comment(people.thread, place.moderator, "@carol have a look")
    _deliver(app, clock)
    with app.app_context():
        carols = db.session.scalar(
            db.select(Notification.id).where(Notification.user_id == _user("carol").id)
        )
    for change in (
        lambda: db.session.execute(
            update(Notification).where(Notification.id == carols).values(read_at=clock())
        ),
        lambda: db.session.execute(
            text("UPDATE notifications SET read_at = NULL WHERE id = :id"), {"id": carols}
        ),
    ):
        before = _generations(app, "ann")
        _in_app(app, change)
        assert _generations(app, "ann") != before


def test_which_writes_concern_whom() -> None:
    class Compiled:
        """Stands for SQLAlchemy's execution context of a statement that is not ORM or Core."""

        compiled = None
        compiled_parameters = [{"user_id": 4}]

    assert concerned("UPDATE comments SET body = ?", None) is None
    assert concerned("DELETE FROM notification_events WHERE id = ?", None) == frozenset()
    assert concerned('UPDATE "outbox_messages" SET state = %(state)s', None) == frozenset()
    assert concerned("UPDATE notifications SET emailed_at=? WHERE id IN (?)", None) == frozenset()
    for unshown in (
        "UPDATE notifications SET waits_for=%(w)s, email_after=%(a)s WHERE id = %(id)s",
        "UPDATE notifications SET emailed_at=%(e)s::TIMESTAMP WITH TIME ZONE WHERE id = 1",
    ):
        assert concerned(unshown, None) == frozenset(), unshown
    for unknown in (
        "UPDATE notifications SET read_at=? WHERE notifications.id = ?",
        "UPDATE notifications SET emailed_at=?, read_at=? WHERE id = ?",
        "UPDATE notifications SET emailed_at=(SELECT 1) WHERE id = ?",
        "INSERT INTO notifications (user_id) VALUES (?)",
    ):
        assert concerned(unknown, Compiled()) is None, unknown


def test_the_people_named_by_orm_and_core_writes(
    app: Flask, clock: Any, make: Any, place: Any
) -> None:
    """What :func:`concerned` reads from the statements the code base really runs."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[frozenset[int] | None] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT INTO NOTIFICATIONS", "UPDATE NOTI")):
            seen.append(concerned(statement, context))

    zed, yan = make.user("zed"), make.user("yan")
    row = {"kind": "notice", "event_id": 1, "project_id": place.project.id, "created_at": clock()}
    event.listen(Engine, "after_cursor_execute", record)
    try:
        with app.app_context():
            db.session.execute(insert(Notification), [{**row, "user_id": zed.id}])
            db.session.execute(
                insert(Notification),
                [{**row, "user_id": p, "event_id": 2} for p in (zed.id, yan.id)],
            )
            db.session.execute(
                insert(Notification).values([{**row, "user_id": zed.id, "event_id": 3}])
            )
            inbox.mark_read(_user("zed"), _user("zed"), everything=True)
            db.session.rollback()
    finally:
        event.remove(Engine, "after_cursor_execute", record)
    assert seen == [
        frozenset({zed.id}),
        frozenset({zed.id, yan.id}),
        None,  # a multi-row VALUES names its values otherwise: not told, everybody's
        frozenset({zed.id}),
    ]


def test_the_person_is_read_from_the_session_cookie_only_if_signed(app, people) -> None:
    pages = app.extensions[EXTENSION].personal
    cookie = people.ann.get_cookie("session", domain="talk.test").value
    with app.app_context():
        ann = _user("ann").id
    assert pages.person({"HTTP_COOKIE": f"session={cookie}"}) == ann
    assert pages.person({"HTTP_COOKIE": f"session={cookie[:-2]}xx"}) is None
    assert pages.person({"HTTP_COOKIE": "other=1"}) is None


def test_a_page_rendered_for_another_than_the_guessed_person_is_not_kept(
    count_queries, app, people
) -> None:
    """The entry's person is the one logged in when it was rendered; a guess that was wrong
    (here: the guess forced to another person) keeps nothing."""
    pages = app.extensions[EXTENSION].personal
    pages.person = lambda environ: people.bob.id  # type: ignore[method-assign]
    try:
        for _ in range(3):
            assert not _view(count_queries, people.ann, people.url)[0]
    finally:
        del pages.person
    _kept(count_queries, people.ann, people.url)


def test_people_in_a_file_every_process_shares(tmp_path: Path) -> None:
    one, other = FilePeople(tmp_path / "people"), FilePeople(tmp_path / "people")
    assert one.read(7) == other.read(7) == one.read(8) == "0"  # never written
    one.bump([7, SLOTS + 9])
    seven = other.read(7)
    assert seven != "0" and other.read(8) == "0"  # the file grew past 8: it reads the same
    assert other.read(9) == seven  # a slot shared past SLOTS: bumped too, never missed
    other.bump([7])
    assert one.read(7) != seven


def test_no_kept_page_reads_an_unshown_table_or_column(
    count_queries, app, clock, make, place, people, visitor
) -> None:
    """What lets writes to :data:`UNSHOWN_TABLES` and :data:`UNSHOWN_COLUMNS` move nothing:
    every kept endpoint, rendered with notifications delivered and emailed, reads none of those
    tables, and no template shows those columns. A new kept endpoint must be added here."""
    make.comment(people.thread, place.moderator, "@ann and @carol look")
    _deliver(app, clock)
    for job in JOBS:
        run_job(app, job, "test-worker")
    mod = visitor()
    login(mod, "mod")
    pages = {
        "inbox.page": (people.ann, "/notifications"),
        "discussions.show": (people.ann, people.url),
        "cases.queue": (mod, f"/projects/{place.project.slug}/moderation"),
    }
    assert set(pages) == PERSONAL_ENDPOINTS
    read: set[str] = set()
    for browser, url in pages.values():
        browser.get(url)  # the flash after logging in
        with count_queries() as queries:
            assert "Log in" not in page_text(browser.get(url))
        assert queries.count
        for statement in queries.statements:
            read |= {t.lower() for t in re.findall(r'(?:FROM|JOIN)\s+"?(\w+)', statement)}
    assert "notifications" in read and not read & UNSHOWN_TABLES
    columns = {column for shown in UNSHOWN_COLUMNS.values() for column in shown}
    for template in TEMPLATES.glob("**/templates/**/*.html"):
        assert not columns & set(re.findall(r"\w+", template.read_text())), template


def test_a_savepoint_rolled_back_leaves_the_bumps_after_the_commit_due(app, clock, make, place):
    """A transaction writes (a project's row, a notification for Zed), rolls back a savepoint
    (a lost race inside it, say), then commits: a page rendered between the savepoint's
    rollback and the commit cannot see those writes, so every generation it was read under
    must move again at the commit (the savepoint's rollback once cancelled that)."""
    zed = make.user("zed")
    cache = app.extensions[EXTENSION]
    private = cache.personal.backend.generation

    def generations() -> tuple[str, str]:
        return cache.backend.generation.read(), private.read_for(zed.id)

    with app.app_context():
        db.session.execute(
            text("UPDATE projects SET title = title WHERE id = :id"), {"id": place.project.id}
        )
        row = {"kind": "notice", "event_id": 1, "project_id": place.project.id}
        db.session.execute(insert(Notification), [row | {"created_at": clock(), "user_id": zed.id}])
        with pytest.raises(RuntimeError), db.session.begin_nested():
            db.session.execute(text("UPDATE projects SET title = title WHERE id = -1"))
            raise RuntimeError
        rendered_at = generations()  # a render starts here, before the commit
        db.session.commit()
        visitors, zeds = generations()
    assert visitors != rendered_at[0]
    assert zeds != rendered_at[1]
