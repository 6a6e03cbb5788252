"""Replacing one source's rows in one transaction."""

from __future__ import annotations

import duckdb
import pytest

from storeops.core.settings import Settings
from storeops.warehouse.bulk import replace_source
from storeops.warehouse.connection import read_connection, write_session
from storeops.warehouse.loading import row_hash_sql

CUSTOMERS = """
    SELECT source, source_id, source_id || '@example.com' AS email, 'N' AS name, 'FR' AS country,
        false AS accepts_marketing
    FROM (VALUES ($source, 'a'), ($source, 'b')) v(source, source_id)
"""


def _rows(settings: Settings) -> list[tuple]:
    with read_connection(settings) as con:
        return con.execute(
            "SELECT source, source_id, import_id FROM customers ORDER BY ALL"
        ).fetchall()


def _write(settings: Settings, source: str, *, fail: bool = False) -> None:
    with (
        write_session(settings) as con,
        replace_source(con, source=source, kind="demo", description="t") as writer,
    ):
        writer.append("customers", CUSTOMERS, {"source": source})
        if fail:
            raise RuntimeError("killed half-way")


def test_replaces_only_its_source_and_logs_one_import(workspace: Settings) -> None:
    _write(workspace, "demo")
    _write(workspace, "other")
    _write(workspace, "demo")
    assert _rows(workspace) == [
        ("demo", "a", 3),
        ("demo", "b", 3),
        ("other", "a", 2),
        ("other", "b", 2),
    ]
    with read_connection(workspace) as con:
        log = con.execute(
            "SELECT import_id, kind, source, rows_loaded, records_new FROM imports ORDER BY 1"
        ).fetchall()
        assert log[-1] == (3, "demo", "demo", 2, 2)
        wrong_hash = con.execute(
            f"SELECT count(*) FROM customers c WHERE row_hash <> {row_hash_sql('customers', 'c')}"
        ).fetchone()[0]
        assert wrong_hash == 0


def test_a_failed_run_leaves_the_previous_data(workspace: Settings) -> None:
    _write(workspace, "demo")
    with pytest.raises(RuntimeError):
        _write(workspace, "demo", fail=True)
    assert _rows(workspace) == [("demo", "a", 1), ("demo", "b", 1)]
    with read_connection(workspace) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1


def test_line_tables_get_no_row_hash(workspace: Settings) -> None:
    with (
        write_session(workspace) as con,
        replace_source(con, source="demo", kind="demo", description="t") as writer,
    ):
        count = writer.append(
            "order_lines",
            "SELECT 'demo' AS source, '1' AS order_id, 1 AS line_no, 'S' AS sku, 'P' AS product_name, "
            "2 AS quantity, 1.50 AS price, 0 AS discount, 'V' AS vendor",
        )
    assert count == 1
    with duckdb.connect(str(workspace.duckdb_path()), read_only=True) as con:
        assert con.execute("SELECT quantity, price, import_id FROM order_lines").fetchall()[0][
            :2
        ] == (2, 1.5)
