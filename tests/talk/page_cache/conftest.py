"""Fixtures for the page cache's tests: a thread with a moderator, and fresh visitors."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from talk.page_cache import EXTENSION, PageCache


@pytest.fixture
def cache(app: Flask) -> PageCache:
    cache: PageCache = app.extensions[EXTENSION]
    return cache


@pytest.fixture
def visitor(app: Flask) -> Callable[[], FlaskClient]:
    """A new browser with no cookies at all, each call."""
    return app.test_client


@pytest.fixture
def place(make: Any) -> SimpleNamespace:
    project = make.project("herbarium")
    moderator = make.member(project, "moderator", username="mod", display_name="Mo Derator")
    author = make.user("ann", display_name="Ann Author")
    thread = make.discussion(project, author, title="Sheet question", body="First words")
    reply = make.comment(thread, author, "A secret address, 1 Leaf Lane")
    return SimpleNamespace(
        project=project,
        moderator=moderator,
        author=author,
        thread=thread,
        reply=reply,
        url=f"/discussions/{thread.id}",
    )
