"""The warehouse as an Ibis backend, so the same metric code runs on DuckDB and bigger engines.

DuckDB (the default) is opened read-only for one unit of work, with the retry of connection.py;
any other `warehouse.url` (postgres://, pyspark, clickhouse://, bigquery://, snowflake://, ...)
is handed to `ibis.connect`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ibis
from ibis.backends import BaseBackend

from storeops.core.errors import UserError
from storeops.core.redact import redact_urls
from storeops.core.settings import Settings
from storeops.warehouse.connection import read_connection


@contextmanager
def open_warehouse(settings: Settings) -> Iterator[BaseBackend]:
    if settings.duckdb_path() is not None:
        with read_connection(settings) as con:
            yield ibis.duckdb.from_connection(con)
        return
    try:
        backend = ibis.connect(settings.warehouse.url)
    except Exception as exc:  # a driver missing or a server refusing: the user's setting to fix
        raise UserError(
            f"{settings.settings_file}: field 'warehouse.url': cannot connect: "
            f"{redact_urls(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    try:
        yield backend
    finally:
        backend.disconnect()
