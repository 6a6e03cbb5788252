"""Warehouse reads cached per (what was asked, warehouse version), for the Overview and its API.

The version of a DuckDB warehouse is the identity of its files: inode, size and modification
time (nanoseconds) of the database file and of its write-ahead log. Every write (an import, the
demo, from this process or any other) changes one of them, so every worker of `storeops serve`
sees a new version on its next request without talking to the others, and checking costs two
stat() calls instead of opening the database: 12–19 µs against 16–22 ms for a bare read-only
DuckDB open and 60–180 ms through Ibis on a 10-million-line warehouse (`python -m bench web`
prints both).

A result is computed after the version was read, so it is never older than its key. A write
that lands within the file system's timestamp granularity of the version could leave the key
unchanged (sizes equal): as git does with "racy" index entries, results are not kept while the
files are younger than RACY_SECONDS. Other engines (PostgreSQL, ...) have no cheap version:
their reads are not cached.

One computation per key at a time: concurrent requests for a cold key wait for the first one
instead of all scanning the warehouse.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import ExitStack
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from ibis.backends import BaseBackend

from storeops.core.settings import Settings
from storeops.warehouse.engine import open_warehouse
from storeops.web.deps import SettingsDep

T = TypeVar("T")
Version = tuple[tuple[int, int, int] | None, ...]

MAX_ENTRIES = 512
RACY_SECONDS = 2.0


def warehouse_version(settings: Settings) -> Version | None:
    """The DuckDB warehouse's file identity, or None when it cannot be known cheaply."""
    path = settings.duckdb_path()
    if path is None:
        return None
    version: list[tuple[int, int, int] | None] = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            stat = os.stat(file)
        except FileNotFoundError:
            version.append(None)
        else:
            version.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(version)


def _settled(version: Version, now_ns: int) -> bool:
    newest = max((part[2] for part in version if part), default=0)
    return now_ns - newest >= RACY_SECONDS * 1e9


class ReadCache:
    """Results of one warehouse version, least recently used dropped beyond `max_entries`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._version: Version | None = None
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = 0

    def get(self, version: Version | None, key: Hashable, compute: Callable[[], T]) -> T:
        if version is None:
            return compute()
        while True:
            with self._lock:
                if version != self._version:  # the warehouse changed: nothing kept is valid
                    self._version = version
                    self._entries.clear()
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return self._entries[key]  # type: ignore[return-value]
                flight = self._computing.get(key)
                if flight is None:
                    flight = self._computing[key] = threading.Lock()
                    flight.acquire()
                    break
            with flight:  # another request computes it: wait, then look again
                pass
        try:
            value = compute()
            with self._lock:
                self.misses += 1
                if version == self._version and _settled(version, time.time_ns()):
                    self._entries[key] = value
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._computing[key]
            flight.release()


class CachedReads:
    """One request's reads: cached results, the warehouse opened only when one is missing."""

    def __init__(self, cache: ReadCache, settings: Settings, stack: ExitStack) -> None:
        self._cache = cache
        self._settings = settings
        self._stack = stack
        self._con: BaseBackend | None = None
        self.version = warehouse_version(settings)

    def get(self, key: Hashable, read: Callable[[BaseBackend], T]) -> T:
        """`read(con)`, or what it gave for `key` on this warehouse version."""
        return self._cache.get(self.version, key, lambda: read(self._warehouse()))

    def _warehouse(self) -> BaseBackend:
        if self._con is None:
            self._con = self._stack.enter_context(open_warehouse(self._settings))
        return self._con


_CREATE = threading.Lock()


def app_cache(request: Request) -> ReadCache:
    """The app's cache (one per app, so per workspace and per worker process)."""
    state = request.app.state
    with _CREATE:
        if not hasattr(state, "read_cache"):
            state.read_cache = ReadCache()
    return state.read_cache


def get_cached_reads(request: Request, settings: SettingsDep) -> Iterator[CachedReads]:
    with ExitStack() as stack:
        yield CachedReads(app_cache(request), settings, stack)


CachedWarehouse = Annotated[CachedReads, Depends(get_cached_reads)]
