"""The commerce suite runs on every engine: DuckDB, and PostgreSQL through Ibis (PySpark for the
KPI and sales tests). Each engine gets the same warehouse content."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from storeops.warehouse.schema import BOOKKEEPING, DATA_TABLES
from tests.commerce.shop import build_shop

ENGINES = ["duckdb", "postgres"]


def copy_warehouse(source: Path, target: BaseBackend) -> None:
    """Copies every canonical table of a DuckDB warehouse into another Ibis backend."""
    with duckdb.connect(str(source), read_only=True) as con:
        src = ibis.duckdb.from_connection(con)
        for table in DATA_TABLES + BOOKKEEPING:
            target.create_table(table.name, src.table(table.name).to_pyarrow(), overwrite=True)


@pytest.fixture(scope="session")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def postgres_backend(pg_admin_url: str) -> Iterator[BaseBackend]:
    """A fresh PostgreSQL database for the session's commerce tests, dropped afterwards."""
    name = f"storeops_wh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    backend = ibis.connect(f"{pg_admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        yield backend
    finally:
        backend.disconnect()
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def shop(request: pytest.FixtureRequest, shop_file: Path) -> Iterator[BaseBackend]:
    """The hand-made shop on each engine."""
    if request.param == "duckdb":
        with duckdb.connect(str(shop_file), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
        return
    backend = request.getfixturevalue("postgres_backend")
    if "orders" not in backend.list_tables():
        copy_warehouse(shop_file, backend)
    yield backend
