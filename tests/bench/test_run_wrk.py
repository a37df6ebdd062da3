"""``bench/run_wrk``'s script for uncached cases: under wrk every request is a URL of its own
(so the page cache never answers it), keeping the case's path and query."""

import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run_cases
import run_wrk


class Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        Recorder.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk (Debian package) is not installed")
@pytest.mark.parametrize("vary", [True, False])
def test_an_uncached_case_asks_for_a_new_url_each_request(tmp_path, vary):
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        load = run_wrk.run_wrk(
            shutil.which("wrk") or "wrk",
            [f"http://127.0.0.1:{server.server_address[1]}/search?q=page+see&project=p"],
            connections=2,
            seconds=1,
            headers={},
            script=run_wrk.lua_script(tmp_path, None, vary_url=vary),
        )
    finally:
        server.shutdown()
        server.server_close()
    seen = Recorder.seen
    assert load.requests > 10 and len(seen) > 10
    assert all(urlsplit(path).path == "/search" for path in seen)
    assert all(parse_qs(urlsplit(path).query)["q"] == ["page see"] for path in seen)
    if vary:
        assert len(set(seen)) == len(seen)
        assert all("bench" in parse_qs(urlsplit(path).query) for path in seen)
    else:
        assert set(seen) == {"/search?q=page+see&project=p"}


def test_each_search_case_is_measured_cached_and_uncached():
    manifest = {
        "project": "p",
        "hot_discussion": {"id": 1},
        "item": "i",
        "board": 2,
        "tag": "t",
        "search": {"words": "page see", "phrase": '"major general"', "tag": "rank"},
        "followed_discussion": {"id": 3},
        "moderator": {"username": "mod"},
    }
    searches = [c for c in run_cases.cases_for(manifest, "/last") if c.kind == run_cases.SEARCH]
    cached = {c.name: c.path for c in searches if not c.uncached}
    uncached = {c.name.removesuffix(" (uncached)"): c.path for c in searches if c.uncached}
    assert cached == uncached and len(cached) == 3
    assert all(not c.uncached for c in run_cases.cases_for(manifest, "/last") if c.kind != "search")
