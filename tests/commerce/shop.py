"""A tiny hand-made shop whose KPIs can be worked out on paper (see test_kpis.py).

Store zone Europe/Paris, EUR. The week under test is 2025-03-01..07; the one before it is
2025-02-22..28.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from storeops.warehouse.connection import ensure_schema
from storeops.warehouse.derived import refresh_sales_cells
from storeops.warehouse.schema import TABLES

SOURCE = "test"


def _order(
    id_,
    day,
    hour,
    customer,
    *,
    status="paid",
    discounts="0",
    shipping="0",
    taxes="0",
    channel="web",
    country="FR",
    codes=None,
):
    created = datetime(day.year, day.month, day.day, hour, 0)
    return {
        "source": SOURCE,
        "source_id": id_,
        "name": f"#{id_}",
        "created_at": created,
        "local_date": day,
        "currency": "EUR",
        "financial_status": status,
        "fulfillment_status": None,
        "is_sale": status != "voided",
        "cancelled_at": None,
        "customer_id": customer,
        "channel": channel,
        "country": country,
        "discount_codes": codes,
        "subtotal": None,
        "discounts": D(discounts),
        "shipping": D(shipping),
        "taxes": D(taxes),
        "total": None,
        "refunded": D("0"),
    }


def _line(order, no, sku, qty, price, discount="0"):
    return {
        "source": SOURCE,
        "order_id": order,
        "line_no": no,
        "sku": sku,
        "product_name": f"Product {sku}",
        "quantity": qty,
        "price": D(price),
        "discount": D(discount),
        "vendor": "Acme",
    }


ORDERS = [
    _order("O0", date(2025, 1, 10), 9, "c1"),
    _order(
        "O1",
        date(2025, 3, 1),
        10,
        "c1",
        discounts="5",
        shipping="4.90",
        taxes="10",
        codes="SPRING5",
    ),
    _order("O2", date(2025, 3, 3), 15, "c2", taxes="20", channel="app", country="DE"),
    _order("O3", date(2025, 3, 5), 11, "c3", status="voided"),
    _order("O4", date(2025, 2, 25), 12, "c4", discounts="10", shipping="5", taxes="12"),
    # 23:30 UTC on 7 March is 00:30 on 8 March in Paris: outside the week.
    {**_order("O5", date(2025, 3, 8), 23, "c5"), "created_at": datetime(2025, 3, 7, 23, 30)},
]
LINES = [
    _line("O0", 1, "A", 1, "10"),
    _line("O1", 1, "A", 2, "10", discount="5"),
    _line("O1", 2, "B", 1, "30"),
    _line("O2", 1, "C", 1, "100"),
    _line("O3", 1, "A", 5, "10"),
    _line("O4", 1, "B", 2, "30"),
    _line("O5", 1, "A", 1, "10"),
]
REFUNDS = [
    {
        "source": SOURCE,
        "source_id": "R1",
        "order_id": "O1",
        "refunded_at": datetime(2025, 3, 4, 9),
        "local_date": date(2025, 3, 4),
        "amount": D("10"),
        "reason": "damaged",
    },
    # refunded this week for an order of the week before: a return of this week
    {
        "source": SOURCE,
        "source_id": "R2",
        "order_id": "O4",
        "refunded_at": datetime(2025, 3, 2, 9),
        "local_date": date(2025, 3, 2),
        "amount": D("60"),
        "reason": "size",
    },
]
PRODUCTS = [
    {
        "source": SOURCE,
        "source_id": sku,
        "sku": sku,
        "handle": sku.lower(),
        "title": f"Product {sku}",
        "variant_title": None,
        "vendor": "Acme",
        "category": category,
        "price": D(price),
        "compare_at_price": None,
        "cost": cost,
        "status": "active",
    }
    for sku, category, price, cost in (
        ("A", "socks", "10", D("4")),
        ("B", "shirts", "30", D("12")),
        ("C", "shoes", "100", None),
    )
]
TRAFFIC = [
    {
        "source": SOURCE,
        "source_id": f"{day}|web",
        "date": day,
        "channel": "web",
        "sessions": sessions,
        "add_to_cart": sessions // 5,
        "checkouts_started": sessions // 10,
        "orders": 1,
    }
    for start, sessions in ((date(2025, 3, 1), 100), (date(2025, 2, 22), 50))
    for day in (date.fromordinal(start.toordinal() + i) for i in range(7))
]
ROWS = {
    "orders": ORDERS,
    "order_lines": LINES,
    "refunds": REFUNDS,
    "products": PRODUCTS,
    "traffic": TRAFFIC,
}


def write_rows(
    path: Path, rows: dict[str, list[dict[str, Any]]], *, as_import: bool = True
) -> Path:
    """Writes canonical rows into a DuckDB warehouse file (created if needed), as one import
    that keeps the derived cells in step, as storeops' writers do: on DuckDB the commerce
    reads then take the cells, on the PostgreSQL copy (canonical tables only) the facts, and
    both must give what the tests expect. Without `as_import`: the rows only, an empty import
    log (the commerce reads take the facts)."""
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)
        (import_id,) = con.execute(  # type: ignore[misc]
            "SELECT coalesce(max(import_id), 0) + 1 FROM imports"
        ).fetchone()
        for name, items in rows.items():
            if not items:
                continue
            columns = [c for c, _ in TABLES[name].columns]
            data = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in items])
            con.register("incoming", data)
            con.execute(f"INSERT INTO {name} BY NAME SELECT *, ? AS import_id FROM incoming",
                        [import_id])  # fmt: skip
            con.unregister("incoming")
        if not as_import:
            return path
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO imports (import_id, kind, source, file) VALUES (?, 'test', 'test', ?)",
            [import_id, str(path)],
        )
        refresh_sales_cells(con, qualifier="", import_id=import_id, tables=set(rows))
        con.execute("COMMIT")
    return path


def build_shop(path: Path, *, as_import: bool = True) -> Path:
    """Writes the shop into a DuckDB warehouse file with the canonical schema."""
    return write_rows(path, ROWS, as_import=as_import)
