"""A hand-made warehouse of one test module on every engine (DuckDB, and PostgreSQL in a database of
its own, so that it never mixes with the `shop` fixture's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from storeops.warehouse.connection import ensure_schema
from storeops.warehouse.schema import TABLES
from tests.commerce.conftest import copy_warehouse

ENGINES = ["duckdb", "postgres"]


def write_rows(path: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """Writes canonical rows into a DuckDB warehouse file (creating its schema)."""
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)
        for name, table_rows in rows.items():
            columns = [c for c, _ in TABLES[name].columns]
            data = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in table_rows])
            con.register("incoming", data)
            con.execute(f"INSERT INTO {name} BY NAME SELECT *, 0 AS import_id FROM incoming")
            con.unregister("incoming")
    return path


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
