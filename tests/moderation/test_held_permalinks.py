"""A comment's permanent link opens the page of the thread the pager shows it on, for each
reader, whatever comments held for approval sit before it (held ones are listed to their
author and the moderators only), and again once a held comment is approved."""

from __future__ import annotations

import html
import re
from itertools import chain

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Factory, login
from tests.moderation.prevention_helpers import decide, post, watch

COMMENT = re.compile(r'<article[^>]* id="comment-(\d+)"')
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')


def _ids(page: str) -> list[int]:
    return [int(found) for found in COMMENT.findall(page)]


def _pager_pages(client: FlaskClient, discussion_id: int) -> list[list[int]]:
    """The comments on each page, following "Later comments" from the first."""
    pages, url = [], f"/discussions/{discussion_id}"
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(_ids(page))
        following = NEXT.search(page)
        url = html.unescape(following.group(1)) if following else ""
    return pages


def _assert_permalinks_open_pager_pages(client: FlaskClient, discussion_id: int) -> None:
    pages = _pager_pages(client, discussion_id)
    for comment_id in chain(*pages):
        link = client.get(f"/comments/{comment_id}")
        assert link.status_code == 302
        opened = _ids(client.get(link.location).get_data(as_text=True))
        assert comment_id in opened and opened in pages, (comment_id, opened, pages)


def test_a_permalink_opens_the_pagers_page_around_held_comments(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    project = make.project("asylum")
    moderator = make.member(project, "moderator", username="mod")
    project.owner = moderator  # the helpers act as the owner: a moderator will do
    writer, reader = make.user("writer"), make.user("reader")
    thread = make.discussion(project, moderator)
    watch(make, project, "scoundrel", action="hold")
    held = post(make, thread, writer, "you scoundrel").id  # second in the thread, held
    for n in range(4):
        post(make, thread, reader, f"entry {n}")
    app.config["TALK_PAGE_SIZE"] = 2

    for who in (None, "reader", "writer", "mod"):
        client = app.test_client()
        if who:
            login(client, who)
        _assert_permalinks_open_pager_pages(client, thread.id)
        assert (held in chain(*_pager_pages(client, thread.id))) is (who in ("writer", "mod"))

    decide(make, moderator, held)  # approved: in its place in the thread, for everyone
    for who in (None, "reader"):
        client = app.test_client()
        if who:
            login(client, who)
        _assert_permalinks_open_pager_pages(client, thread.id)
        assert held in chain(*_pager_pages(client, thread.id))
