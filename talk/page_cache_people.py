"""Each person's generation, beside the shared private one (docs/page-cache.md, "Invalidation:
the private generation and each person's").

A logged-in page is kept under the shared private generation *and* its person's own. A write
that concerns one person only (a notification for them) moves that person's generation, so the
pages kept for everybody else stay kept; any other write moves the shared one, as before.

Where a person's generation lives is where the shared one does: a slot of a file in the
instance folder (8 bytes at ``person × 8``; a bump writes fresh random bytes there, a read is
one ``pread``), or a field of one Redis hash (``HSET`` of random bytes; read in the same round
trip as the shared generation). Either way a lookup costs what it did plus one read, and no SQL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from flask import Flask

from talk.page_cache_stores import (
    Backend,
    BackendUnavailable,
    FileGeneration,
    Generation,
    LocalBackend,
    RedisBackend,
    RedisGeneration,
)

#: Slots in the people file: a person id past it shares a slot with another (a bump of one
#: then empties the other's pages too: hits lost, never a stale page). 2**24 slots is a
#: sparse file of at most 128 MiB.
SLOTS = 1 << 24
_SLOT = 8


class People(Protocol):
    """Every person's generation: :meth:`read` one, :meth:`bump` some."""

    def read(self, person: int) -> str: ...

    def bump(self, people: Iterable[int]) -> None: ...


class FilePeople:
    """People's generations in one sparse file every process of one machine shares. The file
    is opened once per process and never replaced (removing it while Talk runs needs a
    restart); a slot never written reads as empty."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _file(self) -> int:
        if self._fd is None:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def read(self, person: int) -> str:
        """The slot's bytes; "0" for a slot never written (past the file's end, or zeros once
        the file grew past it: both must read the same)."""
        value = os.pread(self._file(), _SLOT, (person % SLOTS) * _SLOT)
        return value.hex() if value.strip(b"\0") else "0"

    def bump(self, people: Iterable[int]) -> None:
        """Fresh random bytes in each slot: unlike a counter read and written back, two
        processes bumping at once can never leave a slot at a value it had before."""
        fd = self._file()
        value = os.urandom(_SLOT)
        for person in people:
            os.pwrite(fd, value, (person % SLOTS) * _SLOT)


class RedisPeople:
    """People's generations as fields of one Redis hash: a bump sets fresh random bytes in
    each person's field (one ``HSET``; not a counter, for :class:`RedisGeneration`'s reason).
    Read with the shared generation (:meth:`RedisPrivateGeneration.read_for`)."""

    def __init__(self, backend: RedisBackend) -> None:
        self.client = backend.client
        self.key = backend.PREFIX + "people"
        self._errors = backend._errors

    def read(self, person: int) -> str:
        try:
            found: bytes | None = self.client.hget(self.key, str(person))  # type: ignore[assignment]
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error
        return self.settled(person, found)

    def settled(self, person: int, found: bytes | None) -> str:
        """``person``'s generation read as ``found``; none yet: one set now, as
        :meth:`RedisGeneration.settled` does."""
        if found is not None:
            return found.decode()
        try:
            self.client.hsetnx(self.key, str(person), os.urandom(8).hex())
            now: bytes | None = self.client.hget(self.key, str(person))  # type: ignore[assignment]
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error
        if now is None:
            raise BackendUnavailable(f"{self.key} is not kept")
        return now.decode()

    def bump(self, people: Iterable[int]) -> None:
        value = os.urandom(8).hex()
        fields = {str(person): value for person in people}
        if not fields:
            return
        try:
            self.client.hset(self.key, mapping=fields)
        except self._errors as error:
            raise BackendUnavailable(str(error)) from error


class PrivateGeneration:
    """The shared private generation (``read``/``bump``, as any :class:`Generation`) and each
    person's (:meth:`read_for`, :meth:`bump_people`)."""

    def __init__(self, shared: Generation, people: People) -> None:
        self.shared = shared
        self.people = people

    def read(self) -> str:
        return self.shared.read()

    def bump(self) -> None:
        self.shared.bump()

    def read_for(self, person: int | None) -> str:
        """What a page of ``person`` (None: nobody's) is kept under: both generations."""
        shared = self.shared.read()
        return shared if person is None else f"{shared}/{person}:{self.people.read(person)}"

    def bump_people(self, people: Iterable[int]) -> None:
        self.people.bump(people)


class RedisPrivateGeneration(PrivateGeneration):
    """Both generations in Redis, read in one round trip."""

    shared: RedisGeneration
    people: RedisPeople

    def __init__(self, shared: RedisGeneration, people: RedisPeople) -> None:
        super().__init__(shared, people)

    def read_for(self, person: int | None) -> str:
        if person is None:
            return self.shared.read()
        try:
            pipeline = self.shared.client.pipeline(transaction=False)
            pipeline.get(self.shared.key)
            pipeline.hget(self.people.key, str(person))
            shared, own = pipeline.execute()
        except self.shared._errors as error:
            raise BackendUnavailable(str(error)) from error
        return f"{self.shared.settled(shared)}/{person}:{self.people.settled(person, own)}"


class PersonalBackend(LocalBackend):
    """Logged-in pages in this process's memory, under the private generation and each
    person's."""

    generation: PrivateGeneration


def make_personal_backend(app: Flask, pages: Backend) -> PersonalBackend:
    """Logged-in pages (:mod:`talk.page_cache_personal`) are kept in each process's memory, in
    an LRU of their own (``TALK_PAGE_CACHE_PERSONAL_BYTES``), so they never take room from the
    visitors' pages, in Redis or here; their generations are shared like the visitors' one: in
    Redis beside ``pages`` when that is Redis, else files in the instance folder."""
    generation: PrivateGeneration
    if isinstance(pages, RedisBackend):
        shared = RedisGeneration(pages, "private-generation")
        generation = RedisPrivateGeneration(shared, RedisPeople(pages))
    else:
        folder = Path(app.instance_path)
        generation = PrivateGeneration(
            FileGeneration(folder / "page-cache-private-generation"),
            FilePeople(folder / "page-cache-people"),
        )
    return PersonalBackend(generation, app.config["TALK_PAGE_CACHE_PERSONAL_BYTES"])
