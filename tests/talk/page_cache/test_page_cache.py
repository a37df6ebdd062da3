"""The whole-page cache: visitors' pages are answered from it, and nobody ever gets a page that
is someone else's or older than a change (docs/page-cache.md)."""

from __future__ import annotations

from flask import Flask

from talk import page_cache_writes
from tests.conftest import csrf_token, login
from tests.talk.web.pages import submit, text


def _is_hit(count_queries, client, url):
    """Whether ``url`` was answered from the cache: no SQL at all."""
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count == 0, text(response)


# --- hits, conditional requests ----------------------------------------------------------------


def test_a_visitors_second_view_is_answered_from_the_cache(count_queries, visitor, place):
    first = visitor().get(place.url)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    hit, html = _is_hit(count_queries, visitor(), place.url)
    assert hit
    assert html == text(first)
    assert "Content-Security-Policy" in visitor().get(place.url).headers  # added outside


def test_each_public_page_kind_is_cached(count_queries, visitor, place, make):
    item = make.item(place.project)
    pages = [
        "/",
        "/projects/herbarium",
        f"/projects/herbarium/boards/{place.project.boards['Chat'].id}",
        "/projects/herbarium/items",
        f"/projects/herbarium/items/{item.external_id}",
        "/projects/herbarium/comments",
        "/projects/herbarium/tags",
        "/users/ann",
        place.url,
    ]
    for url in pages:
        assert visitor().get(url).status_code == 200, url
        assert _is_hit(count_queries, visitor(), url)[0], url


def test_the_query_string_is_part_of_the_key(count_queries, visitor, place):
    visitor().get(place.url)
    assert not _is_hit(count_queries, visitor(), place.url + "?cursor=")[0]


def test_a_matching_etag_or_date_gets_304_without_a_body(visitor, place):
    first = visitor().get(place.url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = visitor().get(place.url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert visitor().get(place.url, headers={"If-Modified-Since": modified}).status_code == 304
    assert visitor().get(place.url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_head_is_answered_from_the_cache_without_a_body(visitor, place):
    body = visitor().get(place.url).data
    head = visitor().head(place.url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(body))


def test_an_entry_older_than_the_time_to_live_is_rendered_again(
    count_queries, visitor, place, clock, app: Flask
):
    visitor().get(place.url)
    clock.advance(seconds=app.config["TALK_PAGE_CACHE_SECONDS"] - 1)
    assert _is_hit(count_queries, visitor(), place.url)[0]
    clock.advance(seconds=2)
    assert not _is_hit(count_queries, visitor(), place.url)[0]


def test_an_expired_page_is_served_only_while_this_process_renders_it_again(
    count_queries, visitor, place, clock, app: Flask
):
    """Past its time to live, with nothing written since, a page goes to the requests that come
    while another request of the process renders it again (no stampede of renders); never
    once something was written, nor past ten times its time to live."""
    from flask.testing import EnvironBuilder

    from talk.page_cache import ANONYMOUS, Render
    from talk.page_cache_stores import KEPT_FOR
    from talk.page_cache_writes import EXTENSION

    cache = app.extensions[EXTENSION]
    key = cache._key(EnvironBuilder(app, path=place.url).get_environ())  # the client's
    ttl = app.config["TALK_PAGE_CACHE_SECONDS"]

    def rendering() -> None:
        """Another request of this process renders the page at the current generation (over
        already, unkept: a request waiting for it renders at once)."""
        render = Render()
        render.done.set()
        cache._renders[(ANONYMOUS, key, cache.backend.lookup(key)[0])] = render

    visitor().get(place.url)
    clock.advance(seconds=ttl + 1)
    rendering()
    assert _is_hit(count_queries, visitor(), place.url)[0]
    clock.advance(seconds=(KEPT_FOR - 1) * ttl)  # kept no longer: rendered, render or not
    assert not _is_hit(count_queries, visitor(), place.url)[0]
    cache._renders.clear()

    clock.advance(seconds=ttl + 1)  # the page stored just now has expired in turn
    rendering()
    with app.app_context():
        page_cache_writes._bump()  # a write: the expired page is not served, even meanwhile
    assert not _is_hit(count_queries, visitor(), place.url)[0]
    cache._renders.clear()
    clock.advance(seconds=ttl + 1)
    assert not _is_hit(count_queries, visitor(), place.url)[0]  # nobody rendering: this one does
    assert _is_hit(count_queries, visitor(), place.url)[0]
    assert not cache._renders  # the render is given up when over


def test_an_entry_from_a_later_moment_is_not_used(count_queries, visitor, place, clock):
    """Talk's clock is the cache's: one set back (tests inject it) never serves the future."""
    visitor().get(place.url)
    clock.advance(seconds=-1)
    assert not _is_hit(count_queries, visitor(), place.url)[0]


# --- never someone else's page -----------------------------------------------------------------


def test_a_logged_in_page_is_neither_stored_nor_given_to_a_visitor(
    count_queries, visitor, place, make
):
    ann = visitor()
    login(ann, "ann")
    mine = text(ann.get(place.url))
    assert "Ann Author" in mine and 'name="csrf-token"' in mine
    token = csrf_token(ann, place.url)
    html = text(visitor().get(place.url))
    assert "Log in" in html and token not in html and "Settings" not in html
    # The visitor's page is now stored; a logged-in person still gets their own.
    assert _is_hit(count_queries, visitor(), place.url)[0]
    bob = visitor()
    login(bob, make.user("bob", display_name="Bob Builder").username)
    with count_queries() as queries:
        theirs = text(bob.get(place.url))
    assert queries.count > 0
    assert "Bob Builder" in theirs and 'name="csrf-token"' in theirs
    assert "Ann Author" in text(ann.get(place.url)) and "Bob Builder" not in text(ann.get("/"))


def test_a_token_or_a_remember_me_cookie_is_never_answered_from_the_cache(
    count_queries, visitor, place
):
    visitor().get(place.url)
    with count_queries() as queries:
        visitor().get(place.url, headers={"Authorization": "Bearer x"})
    assert queries.count > 0
    browser = visitor()
    browser.set_cookie("remember_token", "1|abc", domain="talk.test")
    with count_queries() as queries:
        browser.get(place.url)
    assert queries.count > 0


def test_a_page_with_a_flash_is_not_stored_and_the_flash_is_not_shared(
    count_queries, visitor, place
):
    flashed = visitor()
    with flashed.session_transaction() as session:
        session["_flashes"] = [("success", "Only for you")]
    assert "Only for you" in text(flashed.get(place.url))
    assert "Only for you" not in text(visitor().get(place.url))
    assert "Only for you" not in _is_hit(count_queries, visitor(), place.url)[1]


def test_a_page_that_sets_a_cookie_is_never_stored(count_queries, visitor, place, app: Flask):
    def set_cookie(response):
        response.set_cookie("chosen", "1")
        return response

    app.after_request_funcs[None].insert(0, set_cookie)
    try:
        assert "Set-Cookie" in visitor().get(place.url).headers
        assert not _is_hit(count_queries, visitor(), place.url)[0]
    finally:
        app.after_request_funcs[None].remove(set_cookie)


def test_a_page_that_offers_a_csrf_token_is_never_stored(visitor, place):
    """The login form's token is the visitor's own: each visitor gets a new one (a stored
    answer would carry neither a cookie nor a new token)."""
    first, second = visitor(), visitor()
    assert csrf_token(first, "/login") != csrf_token(second, "/login")
    assert "Set-Cookie" in visitor().get("/login").headers


def test_a_team_only_board_is_not_cached_for_the_team_nor_shown_to_visitors(
    count_queries, visitor, place, make, make_board
):
    room = make_board(place.project, "Staff room", read_level="team", write_level="team")
    secret = make.discussion(place.project, place.moderator, board="Staff room", title="Plans")
    url = f"/discussions/{secret.id}"
    team = visitor()
    login(team, "mod")
    assert "Plans" in text(team.get(url))
    assert visitor().get(url).status_code == 404
    assert visitor().get(f"/projects/herbarium/boards/{room.id}").status_code == 404
    home = text(visitor().get("/projects/herbarium"))
    assert "Plans" not in home and "Staff room" not in home


def test_a_content_warning_read_by_one_visitor_stays_pending_for_the_next(
    app: Flask, visitor, place
):
    from moderation import content_warnings
    from talk.extensions import db
    from talk.models import Project, User

    with app.app_context():
        moderator = db.session.get(User, place.moderator.id)
        project = db.session.get(Project, place.project.id)
        warning = content_warnings.create_warning(moderator, project, "Historic", "Old terms.")
        target = content_warnings.find_target(moderator, project, "discussion", place.thread.id)
        content_warnings.attach(moderator, warning, target)
        db.session.commit()
        warning_id = warning.id
    reader = visitor()
    assert "content-warning-pending" in text(reader.get(place.url))
    # Its page offers the visitor a form (with their own CSRF token): never stored.
    assert "Set-Cookie" in visitor().get(place.url).headers
    answer = reader.post(
        "/projects/herbarium/content-warnings/acknowledge",
        data={"warning": str(warning_id), "csrf_token": csrf_token(reader, place.url)},
    )
    assert answer.status_code == 302
    assert "content-warning-pending" not in text(reader.get(place.url))
    assert "content-warning-pending" in text(visitor().get(place.url))
    assert "content-warning-pending" in text(visitor().get(place.url))


# --- never older than a change -----------------------------------------------------------------


def _moderator(visitor, place):
    client = visitor()
    login(client, "mod")
    return client


def test_a_hidden_comment_is_gone_from_the_next_visitors_page(count_queries, visitor, place):
    visitor().get(place.url)
    assert "1 Leaf Lane" in _is_hit(count_queries, visitor(), place.url)[1]
    mod = _moderator(visitor, place)
    hidden = submit(mod, place.url, f"/comments/{place.reply.id}/hide", reason="Address")
    assert hidden.status_code == 302
    assert "1 Leaf Lane" not in text(visitor().get(place.url))
    assert "1 Leaf Lane" not in text(visitor().get("/projects/herbarium/comments"))


def test_a_deleted_comment_is_gone_from_the_next_visitors_page(visitor, place):
    assert "1 Leaf Lane" in text(visitor().get(place.url))
    author = visitor()
    login(author, "ann")
    deleted = submit(author, place.url, f"/comments/{place.reply.id}/delete")
    assert deleted.status_code == 302
    assert "1 Leaf Lane" not in text(visitor().get(place.url))


def test_an_edit_shows_on_the_next_visitors_page(visitor, place):
    assert "First words" in text(visitor().get(place.url))
    author = visitor()
    login(author, "ann")
    page = f"/comments/{place.thread.first_comment_id}/edit"
    assert submit(author, page, body="Better words").status_code == 302
    html = text(visitor().get(place.url))
    assert "Better words" in html and "First words" not in html


def test_a_new_comment_shows_on_the_next_visitors_page(visitor, place, make):
    assert "A late reply" not in text(visitor().get(place.url))
    author = visitor()
    login(author, "ann")
    assert submit(author, place.url, body="A late reply").status_code == 302
    assert "A late reply" in text(visitor().get(place.url))


def test_a_change_through_a_service_outside_any_request_shows_too(app: Flask, visitor, place):
    from talk.extensions import db
    from talk.models import Comment, User
    from talk.services import discussions

    assert "1 Leaf Lane" in text(visitor().get(place.url))
    with app.app_context():
        moderator = db.session.get(User, place.moderator.id)
        discussions.hide_comment(moderator, db.session.get(Comment, place.reply.id))
        db.session.commit()
    assert "1 Leaf Lane" not in text(visitor().get(place.url))


def test_a_write_to_a_private_table_keeps_the_pages(count_queries, visitor, place):
    visitor().get(place.url)
    login(visitor(), "ann")  # a login writes only what no page shows
    assert _is_hit(count_queries, visitor(), place.url)[0]


def test_which_statements_move_the_generation():
    from sqlalchemy import delete, insert, select, text, update

    from talk.models import Comment, User

    changes = page_cache_writes._statement_changes_pages
    assert changes(update(Comment).values(body="x"))
    assert changes(insert(User.__table__))
    assert changes(delete(Comment))
    assert changes(text("UPDATE comments SET body = 'x'"))
    assert not changes(select(Comment))
    assert not changes(text("SELECT 1"))
    assert not changes(update(page_cache_table("notifications")))


def page_cache_table(name):
    from talk.extensions import db

    return db.metadata.tables[name]


def test_turned_off_every_page_is_rendered(count_queries, visitor, place, app: Flask):
    app.config["TALK_PAGE_CACHE"] = False
    visitor().get(place.url)
    assert not _is_hit(count_queries, visitor(), place.url)[0]
    assert "ETag" not in visitor().get(place.url).headers
