"""Fixtures for search tests: calling the search service as a given person, and small corpora."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from talk.extensions import db


@pytest.fixture
def find(app: Flask) -> Callable[..., Any]:
    """``find(q, viewer=None, cursor=None, limit=50, **filters)``: the search service's page,
    as ``(kind, id)`` pairs in rank order plus the results, cursor and count (``.pairs``,
    ``.rows``, ``.next_cursor``, ``.total``, ``.narrowed_to``). ``viewer`` is a user snapshot
    (None: anonymous)."""

    def run(
        q: str,
        viewer: SimpleNamespace | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
        **filters: Any,
    ) -> SimpleNamespace:
        from talk import search
        from talk.models import User

        with app.test_request_context():
            user = db.session.get(User, viewer.id) if viewer else AnonymousUserMixin()
            found = search.search(
                user, search.SearchRequest(q=q, **filters), cursor=cursor, limit=limit
            )
            rows = list(found.rows)
            urls = [row.url() for row in rows]
        return SimpleNamespace(
            pairs=[(row.kind, row.id) for row in rows],
            rows=rows,
            urls=urls,
            next_cursor=found.next_cursor,
            total=found.total,
            narrowed_to=found.narrowed_to,
        )

    return run


@pytest.fixture
def edit_comment(make: Any) -> Callable[[SimpleNamespace, SimpleNamespace, str], None]:
    def edit(comment: SimpleNamespace, editor: SimpleNamespace, body: str) -> None:
        from talk.models import Comment, User
        from talk.services import discussions

        with make.context():
            discussions.edit_comment(
                db.session.get(User, editor.id), db.session.get(Comment, comment.id), body
            )

    return edit


@pytest.fixture
def delete_comment(make: Any) -> Callable[[SimpleNamespace, SimpleNamespace], None]:
    def delete(comment: SimpleNamespace, actor: SimpleNamespace) -> None:
        from talk.models import Comment, User
        from talk.services import discussions

        with make.context():
            discussions.delete_comment(
                db.session.get(User, actor.id), db.session.get(Comment, comment.id)
            )

    return delete


@pytest.fixture
def project_with_language(make: Any) -> Callable[..., SimpleNamespace]:
    """``project_with_language(slug, language)``: a project whose search language is set."""

    def build(slug: str, language: str) -> SimpleNamespace:
        from talk.models import User
        from talk.services import projects
        from tests.conftest import snapshot

        owner = make.admin()
        with make.context():
            project = projects.create_project(
                db.session.get(User, owner.id),
                slug,
                slug.title(),
                settings={"search_language": language},
            )
            result = snapshot(project)
            result.boards = {b.title: snapshot(b) for b in project.boards}
            result.owner = owner
            return result

    return build


@pytest.fixture
def staff_room(make: Any) -> Callable[[SimpleNamespace, SimpleNamespace], SimpleNamespace]:
    """``staff_room(project, team_member)``: a board only the team reads, with a discussion
    titled "Rota zebra" whose first comment mentions the zebra rota."""

    def build(project: SimpleNamespace, member: SimpleNamespace) -> SimpleNamespace:
        from talk.models import Project, User
        from talk.services import discussions, projects
        from tests.conftest import discussion_first_comment_id

        with make.context():
            board = projects.create_board(
                db.session.get(User, project.owner.id),
                db.session.get(Project, project.id),
                "Staff room",
                read_level="team",
                write_level="team",
            )
            discussion = discussions.start_discussion(
                db.session.get(User, member.id), board, "Rota zebra", "The zebra rota for Friday."
            )
            db.session.flush()
            return SimpleNamespace(
                id=board.id,
                discussion_id=discussion.id,
                comment_id=discussion_first_comment_id(discussion.id),
            )

    return build
