"""A hand-made warehouse of one test module on every engine (DuckDB, and PostgreSQL in a database of
its own, so that it never mixes with the `shop` fixture's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from tests.commerce.conftest import copy_warehouse

ENGINES = ["duckdb", "postgres"]


@contextmanager
def on_engine(request: pytest.FixtureRequest, path: Path, engine: str) -> Iterator[BaseBackend]:
    if engine == "duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"storeops_wh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    backend = ibis.connect(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        copy_warehouse(path, backend)
        yield backend
    finally:
        backend.disconnect()
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
