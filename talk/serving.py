"""The production server ``talk serve`` runs: granian's command line (docs/deploy.md says why
granian, and what to put in front of it on the internet)."""

from __future__ import annotations

import sys

import click

#: How long a client may take to send a request's headers (milliseconds); then its connection is
#: closed. Reading headers costs no thread (granian reads them asynchronously), so this only
#: bounds how long a slow or silent client keeps a connection open.
HEADER_TIMEOUT_MS = 10_000


def split_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) as host and port; a clear error otherwise."""
    host, sep, port = bind.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(
            f"{bind!r}: give HOST:PORT, e.g. 127.0.0.1:8000", param_hint="--bind"
        )
    return host, int(port)


def server_argv(bind: str, workers: int, threads: int) -> list[str]:
    """The command line ``talk serve`` replaces itself with: granian, serving the WSGI app.

    granian (a Rust HTTP server) parses requests asynchronously and hands a request to one of a
    worker's ``threads`` only once its headers have arrived, so slow clients cannot occupy the
    threads (gunicorn's sync and gthread workers give a thread to a connection as soon as its
    first byte arrives; a few clients trickling headers stalled every worker). Requests then run
    in threads, as with any threaded WSGI server, which SQLite's write queue and PostgreSQL
    both expect; see docs/deploy.md.
    """
    host, port = split_bind(bind)
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        # HTTP/1.1 only: behind a proxy nothing else arrives, and cleartext HTTP/2 is only a
        # larger surface to the internet.
        "--http",
        "1",
        "--http1-header-read-timeout",
        str(HEADER_TIMEOUT_MS),
        "--respawn-failed-workers",
        "--access-log",
        "talk:create_app",
    ]
