"""sales_cells: kept in step with the facts by every writer, used only while current, and giving
exactly the series the order lines give."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import ibis
import numpy as np

from storeops.commerce.anomaly_series import cells_are_current, load_series
from storeops.core.settings import Settings
from storeops.warehouse.connection import read_connection

FIRST, LAST = date(2024, 10, 1), date(2024, 12, 31)
FIXTURES = Path(__file__).parents[1] / "fixtures"
MAPPINGS = Path(__file__).parents[2] / "docs" / "examples" / "mappings"


def _series(path: Path) -> tuple[bool, dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        return cells_are_current(backend), load_series(backend, first=FIRST, last=LAST).series


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=str(key))


def test_cells_give_the_series_of_the_lines_and_stale_cells_are_ignored(
    cli, workspace: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "demo",
            "--no-monitors",
            "--days",
            "120",
            "--end",
            "2024-12-31",
            "-w",
            workspace.workspace,
        ).code
        == 0
    )
    warehouse = workspace.duckdb_path()
    assert warehouse is not None
    current, with_cells = _series(warehouse)
    assert current and with_cells

    without = tmp_path / "without.duckdb"
    shutil.copy(warehouse, without)
    with duckdb.connect(str(without)) as con:
        con.execute("DROP TABLE sales_cells")
    current, from_lines = _series(without)
    assert not current
    _same(with_cells, from_lines)

    # Cells left behind by an older import (wrong on purpose) are not read.
    stale = tmp_path / "stale.duckdb"
    shutil.copy(warehouse, stale)
    with duckdb.connect(str(stale)) as con:
        con.execute("UPDATE sales_cells SET gross = 0, import_id = import_id - 1")
        con.execute("UPDATE order_cells SET orders = 0, discounts = 0")
        con.execute("UPDATE refund_cells SET amount = 0")
    current, from_stale = _series(stale)
    assert not current
    _same(from_stale, from_lines)


def test_every_import_keeps_the_cells_current(cli, workspace: Settings) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "demo",
            "--no-monitors",
            "--days",
            "30",
            "--end",
            "2024-12-31",
            "-w",
            workspace.workspace,
        ).code
        == 0
    )
    imports = [
        ("shopify-orders", FIXTURES / "shopify_orders" / "orders_export_79.csv"),
        ("shopify-products", FIXTURES / "shopify_products" / "products_export_legacy.csv"),
        # Tickets change no cell: the cells are only stamped with the new import.
        ("csv", FIXTURES / "mapped" / "helpdesk_tickets.csv", "--kind", "tickets",
         "--mapping", MAPPINGS / "helpdesk-tickets.toml"),
    ]  # fmt: skip
    for kind, file, *options in imports:
        assert cli("import", kind, file, *options, "-w", workspace.workspace).code == 0
        with read_connection(workspace) as con:
            assert cells_are_current(ibis.duckdb.from_connection(con)), kind
            lines = con.execute(
                "SELECT sum(l.price * l.quantity) FROM order_lines l JOIN orders o "
                "ON l.source = o.source AND l.order_id = o.source_id WHERE o.is_sale"
            ).fetchone()[0]
            cells = con.execute("SELECT sum(gross) FROM sales_cells").fetchone()[0]
            assert cells == lines
            assert con.execute(
                "SELECT (SELECT sum(orders) FROM order_cells) = "
                "(SELECT count(*) FROM orders WHERE is_sale), "
                "(SELECT sum(amount) FROM refund_cells WHERE dimension = 'channel') "
                "IS NOT DISTINCT FROM (SELECT sum(amount) FROM refunds)"
            ).fetchone() == (True, True)
