"""Helpers for page tests: posting real forms like a browser, and reading pages' structure."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import csrf_token


def submit(client: FlaskClient, page: str, action: str | None = None, **data: Any) -> TestResponse:
    """Post a form the way a browser does: with the CSRF token the page (``page``) offers."""
    data.setdefault("csrf_token", csrf_token(client, page))
    return client.post(action or page, data=data)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


class Outline(HTMLParser):
    """The tags, attributes and text of a page, to assert on structure rather than substrings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def outline(response: TestResponse) -> Outline:
    parser = Outline()
    parser.feed(text(response))
    return parser


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def form_values(response: TestResponse) -> dict[str, str]:
    """The values a page's forms would send: inputs with a value, and textareas' text."""
    html = text(response)
    values = {a["name"]: a.get("value", "") for a in outline(response).find("input") if "name" in a}
    for name, content in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', html, re.S
    ):
        values[name] = unescape(content)
    return values
