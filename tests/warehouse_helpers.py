"""Reading the warehouse back in tests."""

from __future__ import annotations

from typing import Any

import duckdb

from storeops.core.settings import Settings
from storeops.warehouse.derived import CELLS, ORDER_CELLS, REFUND_CELLS, SKU_CELLS, STAMP
from storeops.warehouse.schema import DATA_TABLES


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def snapshot(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every data table (import ids left out), sorted: equal snapshots = same data."""
    result = {}
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as con:
        for table in DATA_TABLES:
            columns = ", ".join(n for n in table.column_names() if n != "import_id")
            result[table.name] = sorted(
                con.execute(f"SELECT {columns} FROM {table.name}").fetchall(), key=repr
            )
    return result


def fingerprint(settings: Settings) -> dict[str, tuple]:
    """A count and an order-independent checksum per table, for large warehouses."""
    result = {}
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as con:
        for table in DATA_TABLES:
            columns = ", ".join(n for n in table.column_names() if n != "import_id")
            result[table.name] = con.execute(
                f"SELECT count(*), sum(hash({columns})::HUGEINT) FROM {table.name}"
            ).fetchone()
        result["imports"] = con.execute("SELECT count(*) FROM imports").fetchone()
        # The derived cells, which a failed import must leave as they were too.
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name IN (?, ?, ?, ?, ?)",
            [CELLS, SKU_CELLS, ORDER_CELLS, REFUND_CELLS, STAMP],
        ).fetchall():
            result[name] = con.execute(
                f"SELECT count(*), sum(hash(COLUMNS(*))::HUGEINT) FROM {name}"
            ).fetchone()
    return result
