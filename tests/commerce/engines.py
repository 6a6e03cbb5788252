"""A hand-made warehouse of one test module on every engine (DuckDB, and PostgreSQL in a database of
its own, so that it never mixes with the `shop` fixture's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend

from tests.commerce.conftest import postgres_copy

ENGINES = ["duckdb", "postgres"]


@contextmanager
def on_engine(request: pytest.FixtureRequest, path: Path, engine: str) -> Iterator[BaseBackend]:
    if engine == "duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
        return
    with postgres_copy(request.getfixturevalue("pg_admin_url"), path) as backend:
        yield backend
