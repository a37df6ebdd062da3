"""Logged-in pages kept per login (docs/page-cache.md, "Logged-in pages"): only ever served to a
request presenting the very credentials that produced them, never after anything was written,
never from a request that wrote, flashed or set a cookie."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from talk.extensions import db
from talk.models import Project, User
from talk.page_cache import EXTENSION
from talk.page_cache_personal import PERSONAL_ENDPOINTS, is_write
from talk.policy import OPERATOR
from tests.conftest import csrf_token, login
from tests.talk.web.pages import submit, text

HOST = "talk.test"


def _view(count_queries: Any, client: FlaskClient, url: str, **kwargs: Any) -> tuple[bool, str]:
    """(answered from the cache: no SQL at all, the page's text)."""
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return queries.count == 0, text(response)


def _kept(count_queries: Any, client: FlaskClient, url: str) -> str:
    """View ``url`` until the view must come from the cache: the first after a login shows (and
    so takes out of the session) its "logged in" flash, a page not kept."""
    client.get(url)
    client.get(url)
    hit, html = _view(count_queries, client, url)
    assert hit, f"{url} was not kept"
    return html


def _same_credentials(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser sending exactly ``client``'s login cookies (a copied cookie)."""
    other = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name, domain=HOST)
        if cookie is not None:
            other.set_cookie(name, cookie.value, domain=HOST)
    return other


@pytest.fixture
def ann(visitor: Any, place: Any) -> FlaskClient:
    client: FlaskClient = visitor()
    login(client, "ann")
    return client


@pytest.fixture
def mod(visitor: Any, place: Any) -> FlaskClient:
    client: FlaskClient = visitor()
    login(client, "mod")
    return client


def _queue(place: Any) -> str:
    return f"/projects/{place.project.slug}/moderation"


def test_every_personal_endpoint_exists(app: Flask) -> None:
    """A misspelt name would silently never be kept."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert endpoints >= PERSONAL_ENDPOINTS


def test_the_three_pages_are_kept_for_the_same_login(count_queries, ann, mod, place) -> None:
    for client, url in ((ann, "/notifications"), (ann, place.url), (mod, _queue(place))):
        client.get(url)  # the first shows the "Logged in" flash: not kept
        rendered = text(client.get(url))
        assert _kept(count_queries, client, url) == rendered
    assert "Ann Author" in _kept(count_queries, ann, place.url)


def test_a_page_off_the_list_is_never_kept(count_queries, ann, place) -> None:
    home = f"/projects/{place.project.slug}"
    _kept(count_queries, ann, place.url)
    ann.get(home)
    assert not _view(count_queries, ann, home)[0]


def test_head_is_answered_from_a_kept_page_and_post_never(count_queries, app, ann, place) -> None:
    _kept(count_queries, ann, place.url)
    head = ann.head(place.url)
    assert head.status_code == 200 and head.data == b""
    assert submit(ann, place.url, body="Posted after a kept view").status_code == 302
    assert "Posted after a kept view" in text(ann.get(place.url))


# --- never someone else's page -----------------------------------------------------------------


def test_one_persons_page_is_never_served_to_another_nor_to_a_visitor(
    count_queries, visitor, ann, place, make
) -> None:
    mine = _kept(count_queries, ann, place.url)
    assert "Ann Author" in mine and 'name="csrf-token"' in mine
    bob = visitor()
    login(bob, make.user("bob", display_name="Bob Builder").username)
    _kept(count_queries, ann, place.url)  # nothing written since: still kept for ann
    hit, theirs = _view(count_queries, bob, place.url)
    assert not hit and "Bob Builder" in theirs and "Ann Author" not in theirs.split("</header>")[0]
    html = text(visitor().get(place.url))
    assert "Log in" in html and 'name="csrf-token"' not in html
    assert _view(count_queries, ann, place.url)[0]  # bob's view wrote nothing either


def test_a_moderators_queue_is_never_served_to_a_volunteer(count_queries, ann, mod, place) -> None:
    _kept(count_queries, mod, _queue(place))
    assert ann.get(_queue(place)).status_code == 403
    assert _view(count_queries, mod, _queue(place))[0]


def test_the_same_persons_other_session_gets_its_own_page(
    count_queries, app, visitor, ann, place
) -> None:
    other = visitor()
    login(other, "ann")
    _kept(count_queries, ann, "/notifications")
    assert not _view(count_queries, other, "/notifications")[0]
    assert _view(count_queries, ann, "/notifications")[0]
    # The very same cookies are the same credentials: the kept page is theirs.
    assert _view(count_queries, _same_credentials(app, ann), "/notifications")[0]


def test_another_address_or_browser_with_the_same_cookie_is_not_served(
    count_queries, app, ann, place
) -> None:
    """What Flask-Login's session protection compares is part of the key."""
    _kept(count_queries, ann, place.url)
    copied = _same_credentials(app, ann)
    for headers in (
        {"User-Agent": "Another browser"},
        {"X-Forwarded-For": "203.0.113.9"},
    ):
        assert not _view(count_queries, copied, place.url, headers=headers)[0], headers
    other_address = {"REMOTE_ADDR": "203.0.113.9"}
    with count_queries() as queries:
        copied.get(place.url, environ_base=other_address)
    assert queries.count > 0


def test_after_logout_the_old_cookie_gets_nothing_kept(count_queries, app, ann, place) -> None:
    before = _kept(count_queries, ann, "/notifications")
    stolen = _same_credentials(app, ann)
    assert "Ann Author" in before
    assert submit(ann, "/notifications", "/logout").status_code == 302
    assert ann.get("/notifications").status_code == 302  # to the login page
    answer = stolen.get("/notifications")
    assert answer.status_code == 302 and "Ann Author" not in text(answer)


def test_a_request_with_a_token_too_is_never_answered_from_the_cache(
    count_queries, ann, place
) -> None:
    _kept(count_queries, ann, place.url)
    with count_queries() as queries:
        ann.get(place.url, headers={"Authorization": "Bearer not-a-token"})
    assert queries.count > 0


def test_a_login_cookie_sent_twice_is_never_answered_from_the_cache(
    count_queries, app, ann, place
) -> None:
    _kept(count_queries, ann, place.url)
    value = ann.get_cookie("session", domain=HOST).value
    for cookies in (f"session={value}", f"session={value}; session={value}"):
        browser = app.test_client(use_cookies=False)
        hit, html = _view(count_queries, browser, place.url, headers={"Cookie": cookies})
        assert 'name="csrf-token"' in html  # logged in: the cookie was read
        assert hit == (cookies == f"session={value}"), cookies


# --- never older than a change -----------------------------------------------------------------


def _in_app(app: Flask, change: Any) -> None:
    """``change`` made outside any request (a command, the worker), so the person's cookie
    stays exactly what it was: only the private generation can tell their page is stale."""
    with app.app_context():
        change()
        db.session.commit()


def _user(name: str) -> User:
    return db.session.query(User).filter_by(username=name).one()


def test_a_new_notification_shows_on_the_next_view(count_queries, app, ann, place, make, clock):
    from notifications import inbox

    assert "Mo Derator" not in _kept(count_queries, ann, "/notifications")
    make.comment(place.thread, place.moderator, "@ann have a look at this")
    _in_app(app, lambda: inbox.deliver_events("test-worker", now=clock()))
    hit, html = _view(count_queries, ann, "/notifications")
    assert not hit and "Mo Derator" in html


def test_a_hidden_or_deleted_comment_is_gone_from_the_next_view(
    count_queries, ann, mod, place, make
) -> None:
    bobs = make.comment(place.thread, make.user("bob"), "Call me on 0123 456")
    mods = make.comment(place.thread, place.moderator, "Meet at 9 Root Road")
    html = _kept(count_queries, ann, place.url)
    assert "0123 456" in html and "9 Root Road" in html
    assert submit(mod, place.url, f"/comments/{bobs.id}/hide").status_code == 302
    assert "0123 456" not in text(ann.get(place.url))
    assert "9 Root Road" in _kept(count_queries, ann, place.url)
    assert submit(mod, place.url, f"/comments/{mods.id}/delete").status_code == 302
    assert "9 Root Road" not in text(ann.get(place.url))


def test_a_role_taken_away_shows_on_the_next_view(count_queries, app, mod, place) -> None:
    from talk.services import projects

    assert "Moderation" in _kept(count_queries, mod, _queue(place))

    def demote() -> None:
        project = db.session.get(Project, place.project.id)
        projects.set_role(OPERATOR, project, _user("mod"), "volunteer")

    _in_app(app, demote)
    assert mod.get(_queue(place)).status_code == 403


def test_a_ban_or_a_disabled_account_shows_on_the_next_view(count_queries, app, ann, place):
    from moderation import sanctions
    from talk.services import accounts

    assert 'name="body"' in _kept(count_queries, ann, place.url)  # the reply form

    def suspend() -> None:
        project = db.session.get(Project, place.project.id)
        sanctions.suspend(_user("mod"), project, _user("ann"), days=3, reason="spam")

    _in_app(app, suspend)
    assert 'name="body"' not in text(ann.get(place.url))
    _kept(count_queries, ann, place.url)
    _in_app(app, lambda: accounts.disable_user(OPERATOR, _user("ann")))
    assert "Ann Author" not in text(ann.get(place.url)).split("</header>")[0]


def test_a_changed_setting_or_a_block_shows_on_the_next_view(
    count_queries, app, ann, place, make
) -> None:
    from talk.services import accounts, blocks

    make.comment(place.thread, make.user("bob", display_name="Bob Builder"), "Bob was here")
    assert "Ann Author" in _kept(count_queries, ann, place.url)

    def rename() -> None:
        user = _user("ann")
        accounts.update_profile(user, user, "Ann Renamed", user.time_zone)

    _in_app(app, rename)
    assert "Ann Renamed" in text(ann.get(place.url))
    assert "You blocked" not in _kept(count_queries, ann, place.url)
    _in_app(app, lambda: blocks.block_user(_user("ann"), _user("bob")))
    assert "You blocked Bob Builder" in text(ann.get(place.url))


def test_a_kept_page_lives_at_most_its_time_to_live(count_queries, app, ann, place, clock):
    _kept(count_queries, ann, place.url)
    clock.advance(seconds=app.config["TALK_PAGE_CACHE_PERSONAL_SECONDS"] - 1)
    assert _view(count_queries, ann, place.url)[0]
    clock.advance(seconds=2)
    assert not _view(count_queries, ann, place.url)[0]


# --- never kept from a request that changed something ------------------------------------------


def test_a_view_that_marks_notifications_read_is_not_kept(count_queries, app, ann, place, make):
    from notifications import inbox

    def unread() -> int:
        with app.app_context():
            return inbox.unread_count(_user("ann"))

    make.comment(place.thread, place.moderator, "@ann this thread again")
    _in_app(app, lambda: inbox.deliver_events("test-worker", now=app.config["TALK_CLOCK"]()))
    assert unread() == 1
    ann.get(place.url)  # reads the notification: a write
    assert unread() == 0
    hit, _ = _view(count_queries, ann, place.url)
    assert not hit  # the writing view was not kept
    assert _view(count_queries, ann, place.url)[0]  # this one wrote nothing: kept


def test_a_page_that_showed_a_flash_is_not_kept(count_queries, app, ann, place) -> None:
    with ann.session_transaction() as session:
        session["_flashes"] = [("success", "Only this once")]
    replay = _same_credentials(app, ann)
    assert "Only this once" in text(ann.get(place.url))
    hit, html = _view(count_queries, replay, place.url)
    assert not hit and "Only this once" in html  # the signed cookie still holds it: rendered


def test_a_page_that_made_a_csrf_secret_is_not_kept(count_queries, app, ann, place) -> None:
    with ann.session_transaction() as session:
        session.pop("csrf_token")
    replay = _same_credentials(app, ann)
    first = ann.get(place.url)
    assert "Set-Cookie" in first.headers  # the new secret
    assert not _view(count_queries, replay, place.url)[0]
    assert csrf_token(ann, place.url)


def test_a_page_that_sets_a_cookie_is_not_kept(count_queries, app, ann, place) -> None:
    def set_cookie(response: Any) -> Any:
        response.set_cookie("chosen", "1")
        return response

    app.after_request_funcs[None].insert(0, set_cookie)
    try:
        assert "Set-Cookie" in ann.get(place.url).headers
        assert not _view(count_queries, ann, place.url)[0]
    finally:
        app.after_request_funcs[None].remove(set_cookie)


def test_a_kept_pages_token_is_still_accepted(count_queries, ann, place) -> None:
    """The CSRF token in a page served from the cache was made from the session's secret."""
    html = _kept(count_queries, ann, place.url)
    assert 'name="csrf-token"' in html
    assert submit(ann, place.url, body="Sent with a kept token").status_code == 302


def test_a_statement_that_writes_marks_its_request(app: Flask, make: Any) -> None:
    """Whatever the table (a private one here): the page of such a request is never kept; one
    that changed no row leaves it as it was."""
    from flask import request
    from sqlalchemy import update

    from notifications.inbox_models import Notification
    from talk.page_cache_personal import WROTE_HERE

    zed = make.user("zed")
    with app.test_request_context("/notifications"):
        db.session.execute(update(Notification).where(Notification.id == -1).values(read_at=None))
        assert not request.environ.get(WROTE_HERE)
        db.session.execute(update(User).where(User.id == zed.id).values(display_name="Zed"))
        assert request.environ.get(WROTE_HERE)
        db.session.rollback()


def _generations(app: Flask) -> tuple[str, str]:
    cache = app.extensions[EXTENSION]
    return cache.backend.generation.read(), cache.personal.backend.generation.read()


def test_a_write_that_changed_no_row_moves_no_generation(app: Flask, place: Any) -> None:
    from sqlalchemy import text, update

    from notifications.inbox_models import Notification

    before = _generations(app)
    _in_app(
        app, lambda: db.session.execute(update(User).where(User.id == -1).values(display_name="x"))
    )
    _in_app(app, lambda: db.session.execute(text("DELETE FROM comments WHERE id = -1")))
    _in_app(
        app,
        lambda: db.session.execute(
            update(Notification).where(Notification.id == -1).values(read_at=None)
        ),
    )
    assert _generations(app) == before
    _in_app(
        app,
        lambda: db.session.execute(
            update(User).where(User.username == "ann").values(display_name="Ann the Botanist")
        ),
    )
    public, private = _generations(app)
    assert public != before[0] and private != before[1]


def test_an_idle_workers_ticks_move_no_generation(app: Flask, place: Any) -> None:
    """Each job of an idle ``talk worker`` polls (conditional UPDATEs matching nothing) and
    renews its lease: none of it is a change any page shows, so kept pages stay kept."""
    from notifications.worker import JOBS, run_job

    for job in JOBS:  # the first round makes the lease rows
        run_job(app, job, "idle-worker")
    before = _generations(app)
    for job in JOBS:
        run_job(app, job, "idle-worker")
    assert _generations(app) == before


def test_turned_off_every_logged_in_page_is_rendered(count_queries, app, ann, place) -> None:
    app.config["TALK_PAGE_CACHE_PERSONAL"] = False
    ann.get(place.url)
    assert not _view(count_queries, ann, place.url)[0]


def test_which_statements_count_as_writes() -> None:
    for statement in (
        "INSERT INTO comments VALUES (1)",
        "  update notifications SET read_at = 1",
        "DELETE FROM user_blocks",
        "REPLACE INTO x VALUES (1)",
        "WITH gone AS (SELECT 1) DELETE FROM comments",
        "CREATE TABLE x (id int)",
        "TRUNCATE comments",
    ):
        assert is_write(statement), statement
    for statement in ("SELECT 1", "  select * from comments", "SAVEPOINT sa_1", "BEGIN"):
        assert not is_write(statement), statement
    assert not is_write("WITH RECURSIVE up AS (SELECT 1) SELECT * FROM up")


def test_a_raw_write_moves_the_visitors_generation_unless_its_table_is_private() -> None:
    """The newsletter's batch statements are raw SQL on private tables: a batch must not empty
    the visitors' cache; a raw write to a table pages show must."""
    from sqlalchemy import text

    from talk.page_cache_writes import _statement_changes_pages

    for private in (
        "UPDATE newsletter_deliveries SET state = 'sending' FROM unnest(x) AS handed (id)",
        "INSERT INTO outbox_messages (to_address) SELECT 1",
        'delete from "worker_leases"',
    ):
        assert not _statement_changes_pages(text(private)), private
    for shown in (
        "UPDATE comments SET hidden_at = NULL",
        'DELETE FROM "discussions" WHERE id = 1',
        "REPLACE INTO tags VALUES (1)",
        "WITH gone AS (SELECT 1) UPDATE comments SET body = ''",
    ):
        assert _statement_changes_pages(text(shown)), shown
    assert not _statement_changes_pages(text("SELECT 1"))
