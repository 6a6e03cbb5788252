"""Opening the warehouse without fighting over it.

DuckDB locks its file per process: one read-write process excludes every other, while several
read-only processes may share it. Writers (imports, the demo) wait a bounded time for the file and
then fail with "workspace busy"; readers retry briefly while a write is in progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from storeops.core.errors import UserError, WorkspaceBusy
from storeops.core.settings import Settings
from storeops.warehouse.schema import create_schema_sql

READER_WAIT_SECONDS = 10.0
WRITE_ALIAS = "wh"

T = TypeVar("T")


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _retry_while_locked(open_: Callable[[], T], *, timeout: float, path: Path) -> T:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return open_()
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                holder = str(exc).split("Conflicting lock is held in", 1)[-1].strip()
                raise WorkspaceBusy(
                    f"workspace busy: the warehouse {path} is in use by another storeops process "
                    f"({holder}); try again when it has finished"
                ) from None
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def require_duckdb(settings: Settings) -> Path:
    path = settings.duckdb_path()
    if path is None:
        raise UserError(
            f"{settings.settings_file}: field 'warehouse.url': loading data needs a DuckDB "
            f"warehouse; {settings.warehouse.url.split(':', 1)[0]} is read through Ibis only"
        )
    return path


def ensure_schema(con: duckdb.DuckDBPyConnection, *, qualifier: str = "") -> None:
    for statement in create_schema_sql(qualifier=qualifier):
        con.execute(statement)


@contextmanager
def attached_for_write(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[None]:
    """Attaches the warehouse read-write to `con` as `wh`, waiting while another process has it.

    Connectors stage in the in-memory database first and attach only to write, so the file is
    held for as short a time as possible.
    """
    path = require_duckdb(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    _retry_while_locked(
        lambda: con.execute(f"ATTACH '{_quote(path)}' AS {WRITE_ALIAS}"),
        timeout=settings.warehouse.busy_timeout_seconds,
        path=path,
    )
    try:
        ensure_schema(con, qualifier=f"{WRITE_ALIAS}.")
        yield
    finally:
        con.execute(f"DETACH {WRITE_ALIAS}")


@contextmanager
def write_session(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the warehouse attached read-write as `wh`."""
    con = duckdb.connect()
    try:
        with attached_for_write(con, settings):
            yield con
    finally:
        con.close()


@contextmanager
def read_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse for one unit of work."""
    path = require_duckdb(settings)
    if not path.exists():
        with write_session(settings):
            pass  # creates an empty warehouse with the schema
    con = _retry_while_locked(
        lambda: duckdb.connect(str(path), read_only=True), timeout=READER_WAIT_SECONDS, path=path
    )
    try:
        yield con
    finally:
        con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value an aggregate query returns."""
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, "an aggregate query returns one row"
    return row[0]


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
