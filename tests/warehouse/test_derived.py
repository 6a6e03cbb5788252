"""The derived cells: kept in step with the facts by every writer, used only while current, and
giving exactly the figures the orders, lines and refunds give (anomaly series, KPIs, sales
series and top products, stock)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import ibis
import numpy as np

from storeops.commerce.anomalies import top_anomalies
from storeops.commerce.anomaly_series import load_series
from storeops.commerce.cells import cells_are_current
from storeops.commerce.kpis import kpi_report
from storeops.commerce.period import Compare, Period, data_period
from storeops.commerce.sales import Dimension, Grain, sales_by, sales_series
from storeops.commerce.stock import stock_health, stock_risks
from storeops.core.settings import Settings
from storeops.warehouse.connection import read_connection
from storeops.warehouse.derived import (
    CELL_SOURCES,
    CELLS,
    ORDER_CELLS,
    REFUND_CELLS,
    SKU_CELLS,
    refresh_sales_cells,
)
from tests.commerce.shop import build_shop

FIRST, LAST = date(2024, 10, 1), date(2024, 12, 31)
FIXTURES = Path(__file__).parents[1] / "fixtures"
MAPPINGS = Path(__file__).parents[2] / "docs" / "examples" / "mappings"


def _series(path: Path) -> tuple[bool, dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        return cells_are_current(backend), load_series(backend, first=FIRST, last=LAST).series


def _morning(path: Path) -> tuple[bool, dict]:
    """Every figure the cells give, for the last 28 days of data (and the 28 before)."""
    with duckdb.connect(str(path), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        span = data_period(backend)
        assert span is not None
        period = Period(max(span.start, span.end - timedelta(days=27)), span.end)
        report = kpi_report(backend, period, Compare.previous)
        channels = [c for (c,) in con.execute("SELECT DISTINCT channel FROM orders").fetchall()]
        figures = {
            "kpis": report.kpis,
            "previous": report.previous,
            "series": sales_series(backend, period=period),
            "weeks": {c: sales_series(backend, period=period, grain=Grain.week, channel=c)
                      for c in channels},
            "products": sales_by(backend, period=period, by=Dimension.product, grain=Grain.day),
            "top": sales_by(backend, period=period, by=Dimension.product, top=5),
            "stock": stock_health(backend, as_of=period.end),
            "risks": stock_risks(backend, as_of=period.end),
            "anomalies": top_anomalies(backend, period),
        }  # fmt: skip
        return cells_are_current(backend), figures


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
    current, morning_cells = _morning(warehouse)
    assert current
    current, morning_facts = _morning(without)
    assert not current
    assert morning_cells == morning_facts
    assert morning_cells["products"].rows and morning_cells["risks"] and morning_cells["anomalies"]

    # Cells left behind by an older import (wrong on purpose) are not read.
    stale = tmp_path / "stale.duckdb"
    shutil.copy(warehouse, stale)
    with duckdb.connect(str(stale)) as con:
        con.execute("UPDATE sales_cells SET gross = 0")
        con.execute("UPDATE cells_built SET import_id = import_id - 1")
        con.execute("UPDATE order_cells SET orders = 0, discounts = 0")
        con.execute("UPDATE refund_cells SET amount = 0")
    current, from_stale = _series(stale)
    assert not current
    _same(from_stale, from_lines)
    with duckdb.connect(str(stale)) as con:
        con.execute("UPDATE sku_cells SET units = 0, gross = 0")
    assert _morning(stale) == (False, morning_facts)


def test_every_import_keeps_the_cells_current(cli, workspace: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
        # Real exports (lines without SKU, other sources, orders that are not sales): the cells
        # give what the facts give.
        warehouse = workspace.duckdb_path()
        assert warehouse is not None
        without = tmp_path / f"{kind}.duckdb"
        shutil.copy(warehouse, without)
        with duckdb.connect(str(without)) as con:
            con.execute("DROP TABLE sku_cells")
        assert _morning(warehouse) == (True, _morning(without)[1]), kind


def _cell_rows(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            for name in (CELLS, SKU_CELLS, ORDER_CELLS, REFUND_CELLS)
        }


def _rebuilt(path: Path, copy: Path) -> dict[str, list[tuple]]:
    """The cells a full rebuild makes from the same facts."""
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        (last,) = con.execute("SELECT max(import_id) FROM imports").fetchone()  # type: ignore[misc]
        con.execute("DROP TABLE cells_built")
        con.execute("BEGIN TRANSACTION")
        refresh_sales_cells(con, qualifier="", import_id=last, tables=set(CELL_SOURCES))
        con.execute("COMMIT")
    return _cell_rows(copy)


def test_an_import_recomputes_the_days_it_touches_as_a_rebuild_would(
    cli, workspace: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Refunds before their orders (their channel arrives later), orders changed and moved to
    another day, other sources, a catalog: after every import the incremental cells equal the
    cells rebuilt from scratch."""
    args = ["--no-monitors", "--days", "30", "--end", "2024-12-31", "-w", workspace.workspace]
    assert cli("demo", *args).code == 0
    moved = tmp_path / "erp_orders_moved.csv"
    text = (FIXTURES / "mapped" / "erp_orders_fr.csv").read_text(encoding="utf-8")
    moved.write_text(text.replace("29/11/2024 09:15", "01/12/2024 10:00").replace(";2;19,90;", ";3;19,90;"),
                     encoding="utf-8")  # fmt: skip
    assert moved.read_text(encoding="utf-8") != text
    mapped = FIXTURES / "mapped"
    woo = FIXTURES / "woocommerce"
    imports = [
        ("csv", mapped / "erp_refunds_fr.csv", "--kind", "refunds",
         "--mapping", MAPPINGS / "erp-refunds-fr.toml"),
        ("csv", mapped / "erp_orders_fr.csv", "--kind", "orders",
         "--mapping", MAPPINGS / "erp-orders-fr.toml"),
        ("csv", moved, "--kind", "orders", "--mapping", MAPPINGS / "erp-orders-fr.toml"),
        # The catalog gives the sold SKUs a category: their days move to it.
        ("csv", mapped / "erp_products.csv", "--kind", "products",
         "--mapping", MAPPINGS / "erp-products.toml"),
        ("woocommerce-orders", woo / "orders_page.json"),
        ("woocommerce-orders", woo / "orders_page_later.json"),
        ("shopify-orders", FIXTURES / "shopify_orders" / "orders_export_79.csv"),
        ("shopify-products", FIXTURES / "shopify_products" / "products_export_legacy.csv"),
        ("shopify-orders", FIXTURES / "shopify_orders" / "orders_export_75.csv"),
    ]  # fmt: skip
    warehouse = workspace.duckdb_path()
    assert warehouse is not None
    for step, (kind, file, *options) in enumerate(imports):
        result = cli("import", kind, file, *options, "-w", workspace.workspace)
        assert result.code == 0, result.err
        incremental = _cell_rows(warehouse)
        assert incremental == _rebuilt(warehouse, tmp_path / f"{step}.duckdb"), file.name
    # The changed order left 29 November for 1 December, with its third T-shirt.
    moved_days = {row[0]: row[4] for row in incremental[SKU_CELLS] if row[1] == "TSH-BLK-M"}
    assert moved_days.get(date(2024, 12, 1)) == 3 and date(2024, 11, 29) not in moved_days


def test_facts_loaded_without_an_import_are_in_the_first_imports_cells(
    cli, workspace: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Rows another tool wrote (no import logged): the first import cannot just add its own
    days to empty cells, it rebuilds them."""
    warehouse = workspace.duckdb_path()
    assert warehouse is not None
    warehouse.unlink(missing_ok=True)
    build_shop(warehouse, as_import=False)
    file = FIXTURES / "shopify_orders" / "orders_export_79.csv"
    assert cli("import", "shopify-orders", file, "-w", workspace.workspace).code == 0
    cells = _cell_rows(warehouse)
    assert cells == _rebuilt(warehouse, tmp_path / "rebuilt.duckdb")
    assert {row[1] for row in cells[SKU_CELLS]} >= {"A", "B", "C"}  # the shop's SKUs


def test_the_first_import_into_an_empty_warehouse_makes_its_cells(
    cli, workspace: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    file = FIXTURES / "shopify_orders" / "orders_export_79.csv"
    assert cli("import", "shopify-orders", file, "-w", workspace.workspace).code == 0
    warehouse = workspace.duckdb_path()
    assert warehouse is not None
    cells = _cell_rows(warehouse)
    assert cells[SKU_CELLS] and cells == _rebuilt(warehouse, tmp_path / "rebuilt.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert cells_are_current(ibis.duckdb.from_connection(con))
