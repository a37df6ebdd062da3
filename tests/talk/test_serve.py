"""``talk serve``: the production server, started as the operator starts it (a real process on
real sockets), stays available while slow clients hold connections open."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from talk.api.errors import MAX_URI_BYTES
from talk.cli import cli
from talk.serving import server_argv

WORKERS = 2
THREADS = 2


@pytest.fixture(autouse=True)
def _restore_flask_cli_flag(monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def served(database_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``talk serve`` with two workers of two threads each, on the test database."""
    port = _free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "TALK_DATABASE_URL": database_uri,
        "TALK_INSTANCE_PATH": str(tmp_path_factory.mktemp("serve")),
        "TALK_SECRET_KEY": "serve-test",
        "TALK_SERVE_THREADS": str(THREADS),
    }
    log = tmp_path_factory.mktemp("serve-log") / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "talk.cli",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # start-up: until the workers answer (a minute at most)
            if process.poll() is not None:
                pytest.fail("talk serve stopped:\n" + log.read_text())
            try:
                _get(base + "/", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("talk serve did not answer:\n" + log.read_text())
        for _ in range(2 * WORKERS):  # warm every worker (templates compiled) before timing one
            _get(base + "/", timeout=30)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class SlowClients:
    """Connections that send a request's headers one byte at a time and never finish them."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        self.stop = threading.Event()
        for s in self.sockets:  # every one has begun a request before the test goes on
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        for _ in range(300):  # bounded: a minute at most
            for s in self.sockets:
                with contextlib.suppress(OSError):  # the server may close a slow one: allowed
                    s.send(b"a")
            if self.stop.wait(0.2):
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for s in self.sockets:
            s.close()


def test_a_normal_request_answers_while_slow_clients_outnumber_the_threads(served):
    port = int(served.rsplit(":", 1)[1])
    slow = SlowClients(port, WORKERS * THREADS + 4)
    try:
        started = time.monotonic()
        status, body = _get(served + "/", timeout=5)  # gunicorn's sync workers: timed out
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert status == 200, body[:500]
    assert elapsed < 5  # a liveness bound, not a speed target


def test_a_long_url_reaches_the_api_which_answers_414_in_its_shape(served):
    status, body = _get(f"{served}/api/v1/projects?cursor=" + "a" * (MAX_URI_BYTES + 100), 30)
    assert status == 414
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    status, _ = _get(f"{served}/api/v1/projects?limit=5&x=" + "a" * (MAX_URI_BYTES - 100), 30)
    assert status == 200


def test_the_server_command_line():
    argv = server_argv("[::1]:9000", 3, 5)
    assert argv[:3] == [sys.executable, "-m", "granian"]
    assert argv[argv.index("--host") + 1] == "::1"
    assert argv[argv.index("--port") + 1] == "9000"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--blocking-threads") + 1] == "5"
    assert int(argv[argv.index("--http1-header-read-timeout") + 1]) <= 30_000
    assert "--factory" in argv
    assert argv[-1] == "talk:create_app"


@pytest.mark.parametrize("bind", ["8000", "localhost", "127.0.0.1:http", "127.0.0.1:70000", ":80"])
def test_serve_refuses_a_bad_bind_address(tmp_path, bind):
    result = CliRunner().invoke(
        cli, ["serve", "--bind", bind], env={"TALK_INSTANCE_PATH": str(tmp_path)}
    )
    assert result.exit_code == 2, result.output
    assert "give HOST:PORT" in result.stderr
    assert "Traceback" not in result.output


def test_serve_refuses_zero_workers_or_threads(tmp_path):
    for option in ("--workers", "--threads"):
        result = CliRunner().invoke(
            cli, ["serve", option, "0"], env={"TALK_INSTANCE_PATH": str(tmp_path)}
        )
        assert result.exit_code == 2
        assert "0 is not in the range x>=1" in result.stderr


def test_serve_refuses_to_start_without_a_database_and_creates_none(tmp_path):
    missing = tmp_path / "missing.sqlite"
    result = CliRunner().invoke(
        cli,
        ["serve"],
        env={"TALK_DATABASE_URL": f"sqlite:///{missing}", "TALK_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.exit_code == 1, result.output
    assert f"No Talk database at {missing}; run `talk demo` or `talk db upgrade`." in (
        result.stderr
    )
    assert not missing.exists()
