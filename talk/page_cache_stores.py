"""Where the page cache keeps its pages and its generation (:mod:`talk.page_cache`): each
process's memory, a bounded LRU, with the generation in a file every worker of one machine
shares; or Redis, shared by several servers."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import Flask

log = logging.getLogger(__name__)


#: How many times its time to live an entry is kept: past the time to live it is served only
#: while a request of the same process renders it again, and only if nothing was written since
#: (``PageCache._serve``). Ten: a page asked for every minute or two still never has every
#: connection render it at once; its "… ago" is at most that much older, for those few requests.
KEPT_FOR = 10


class BackendUnavailable(Exception):
    """The shared store (Redis) did not answer: serve uncached."""


@dataclass(frozen=True)
class Entry:
    """One stored page: the generation it was rendered at, when, and what to answer."""

    generation: str
    created: float
    etag: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    #: A logged-in page's person (their user id; None for a visitor's page, or a logged-in
    #: page rendered for nobody): whose generation it was rendered at, besides the shared one.
    person: int | None = None

    def encode(self) -> bytes:
        meta = {
            "generation": self.generation,
            "created": self.created,
            "etag": self.etag,
            "status": self.status,
            "headers": self.headers,
        }
        return json.dumps(meta).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        """JSON, never pickle: a shared store must not be able to run code here."""
        meta_raw, _, body = raw.partition(b"\n")
        meta = json.loads(meta_raw)
        return cls(
            generation=str(meta["generation"]),
            created=float(meta["created"]),
            etag=str(meta["etag"]),
            status=str(meta["status"]),
            headers=[(str(n), str(v)) for n, v in meta["headers"]],
            body=body,
        )


class Generation(Protocol):
    """A counter every process sharing the cache sees move: :meth:`read` is what a lookup
    costs, :meth:`bump` what a write does."""

    def read(self) -> str: ...

    def bump(self) -> None: ...


class Backend(Protocol):
    def lookup(self, key: str) -> tuple[str, Entry | None]:
        """The current generation and the entry stored under ``key`` (any generation)."""

    def store(self, key: str, entry: Entry, ttl: int) -> None: ...

    def bump(self) -> None:
        """Move the generation: every page stored so far is stale."""


def bump_or_flag(backend: Backend, what: str, was_unsynced: bool) -> bool:
    """Move ``backend``'s generation; whether it failed (the caller then serves and stores
    nothing until a bump succeeds: another process may have pages from before this write).
    A failure is logged once, not at every write."""
    try:
        backend.bump()
    except BackendUnavailable as error:
        if not was_unsynced:
            log.warning("page cache: %s not moved (%s); serving uncached", what, error)
        return True
    return False


class FileGeneration:
    """The generation as a file every process of one machine sees: each bump appends a byte,
    so the file's (inode, size) changes; a stat is all a request costs. Past ``limit`` bytes a
    bump starts a fresh file (a new inode, so still a change)."""

    def __init__(self, path: Path, limit: int = 1 << 20) -> None:
        self.path = path
        self.limit = limit
        if not path.exists():
            self._replace()

    def read(self) -> str:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._replace()
            stat = self.path.stat()
        return f"{stat.st_ino}.{stat.st_size}.{stat.st_mtime_ns}"

    def bump(self) -> None:
        for _ in range(3):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, b".")
                written = os.fstat(fd)
            finally:
                os.close(fd)
            try:
                current = self.path.stat()
            except FileNotFoundError:
                continue
            # Another process replaced the file between our open and write: bump the new one.
            if current.st_ino == written.st_ino:
                if written.st_size >= self.limit:
                    self._replace()
                return
        self._replace()

    def _replace(self) -> None:
        fresh = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        fresh.write_bytes(b".")
        fresh.replace(self.path)


class LocalBackend:
    """Pages in this process's memory, least recently used dropped past ``max_bytes``."""

    def __init__(self, generation: Generation, max_bytes: int) -> None:
        self.generation = generation
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Entry, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def lookup(self, key: str) -> tuple[str, Entry | None]:
        generation = self.generation.read()
        return generation, self.entry(key)

    def entry(self, key: str) -> Entry | None:
        """The entry kept under ``key`` (any generation), unless it was kept too long."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            entry, expires = found
            if expires <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def store(self, key: str, entry: Entry, ttl: int) -> None:
        size = len(entry.body) + len(key)
        if size > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (entry, time.monotonic() + ttl)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def bump(self) -> None:
        self.generation.bump()

    def _drop(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= len(found[0].body) + len(key)


class RedisBackend:
    """Pages and the generation in Redis, shared by every server; each lookup is one MGET."""

    def __init__(self, url: str, prefix: str = "talk:page:") -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.PREFIX = prefix
        self.generation = RedisGeneration(self, "generation")

    def lookup(self, key: str) -> tuple[str, Entry | None]:
        try:
            found: list[bytes | None] = self.client.mget(self.generation.key, self.PREFIX + key)  # type: ignore[assignment]
            generation, raw = found
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error
        entry = None
        if raw is not None:
            try:
                entry = Entry.decode(raw)
            except (ValueError, KeyError, TypeError):
                entry = None
        return self.generation.settled(generation), entry

    def store(self, key: str, entry: Entry, ttl: int) -> None:
        try:
            self.client.set(self.PREFIX + key, entry.encode(), ex=ttl)
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error

    def bump(self) -> None:
        self.generation.bump()


class RedisGeneration:
    """A generation kept in Redis (one ``GET`` a read, one ``SET`` of fresh random bytes a bump:
    a counter would start again from 0 after a restart or an eviction of its key and could come
    back to a value pages are still kept under): the visitors' pages' (:class:`RedisBackend`
    reads it with each page, in one ``MGET``), and the logged-in pages' private one beside
    pages kept in each process (:func:`talk.page_cache_people.make_personal_backend`)."""

    def __init__(self, backend: RedisBackend, key: str) -> None:
        self.client = backend.client
        self.key = backend.PREFIX + key
        self._errors = backend._errors

    def read(self) -> str:
        try:
            found: bytes | None = self.client.get(self.key)  # type: ignore[assignment]
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error
        return self.settled(found)

    def settled(self, found: bytes | None) -> str:
        """The generation read as ``found``; none yet (a new Redis, a restart, an evicted key):
        one set now, fresh random bytes unless another process set one first — never a value
        pages kept under an earlier one could have."""
        if found is not None:
            return found.decode()
        try:
            self.client.set(self.key, os.urandom(8).hex(), nx=True)
            now: bytes | None = self.client.get(self.key)  # type: ignore[assignment]
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error
        if now is None:
            raise BackendUnavailable(f"{self.key} is not kept")
        return now.decode()

    def bump(self) -> None:
        try:
            self.client.set(self.key, os.urandom(8).hex())
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error


def make_backend(app: Flask) -> Backend:
    url = app.config.get("TALK_PAGE_CACHE_URL")
    if url:
        return RedisBackend(url)
    generation = FileGeneration(Path(app.instance_path) / "page-cache-generation")
    return LocalBackend(generation, app.config["TALK_PAGE_CACHE_BYTES"])
