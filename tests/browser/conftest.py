"""Real-browser harness: the app served on a loopback port, driven by Playwright in Chromium.

Uses Debian's Chromium (``/usr/bin/chromium``, or ``TALK_CHROMIUM``); Playwright never downloads
a browser here. Without Chromium the browser tests skip with the reason — unless
``TALK_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    candidate = os.environ.get("TALK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        reason = "Chromium not found (install Debian's chromium or set TALK_CHROMIUM)"
        if os.environ.get("TALK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; TALK_REQUIRE_BROWSER=1 makes browser tests required")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the test extras
        if os.environ.get("TALK_REQUIRE_BROWSER") == "1":
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _buffered(app: Flask) -> Any:
    """The app with each response body read whole and closed before it is written.

    Werkzeug's development server leaves a streamed file open when the browser drops the
    connection mid-body (it reads the socket in its ``finally`` before closing the body, and
    the read raises); the unclosed file then fails an unrelated test as a ResourceWarning.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app on an ephemeral loopback port; its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
