"""The commerce suite runs on every engine: DuckDB, and PostgreSQL through Ibis (PySpark for the
KPI and sales tests). Each engine gets the same warehouse content."""

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

from storeops.warehouse.schema import BOOKKEEPING, DATA_TABLES
from tests.commerce.shop import build_shop

ENGINES = ["duckdb", "postgres"]


def copy_warehouse(source: Path, target: BaseBackend, *, extra: tuple[str, ...] = ()) -> None:
    """Copies every canonical table of a DuckDB warehouse (and the `extra` ones, such as its
    derived cells) into another Ibis backend."""
    with duckdb.connect(str(source), read_only=True) as con:
        src = ibis.duckdb.from_connection(con)
        for name in [t.name for t in DATA_TABLES + BOOKKEEPING] + list(extra):
            target.create_table(name, src.table(name).to_pyarrow(), overwrite=True)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[BaseBackend]:
    """A fresh PostgreSQL database as an Ibis backend, dropped afterwards."""
    name = f"storeops_wh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    backend = ibis.connect(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        yield backend
    finally:
        backend.disconnect()
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_copy(
    admin_url: str, source: Path, *, extra: tuple[str, ...] = ()
) -> Iterator[BaseBackend]:
    """A fresh PostgreSQL database holding a copy of a DuckDB warehouse, dropped afterwards."""
    with postgres_database(admin_url) as backend:
        copy_warehouse(source, backend, extra=extra)
        yield backend


@pytest.fixture(scope="session")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def postgres_backend(pg_admin_url: str) -> Iterator[BaseBackend]:
    """A fresh PostgreSQL database for the session's commerce tests, dropped afterwards."""
    with postgres_database(pg_admin_url) as backend:
        yield backend


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
