"""What `storeops demo` reports at the end, read back from the warehouse."""

from __future__ import annotations

from typing import Any

import duckdb

from storeops.core.money import money_str

SUMMARY_SQL = """
WITH sales AS (SELECT source_id, discounts, refunded FROM orders WHERE source = $source AND is_sale),
gross AS (
    SELECT coalesce(sum(l.price * l.quantity), 0) AS gross, count(*) AS lines
    FROM order_lines l JOIN sales s ON s.source_id = l.order_id WHERE l.source = $source
)
SELECT
    (SELECT count(*) FROM sales) AS orders,
    (SELECT lines FROM gross) AS order_lines,
    (SELECT count(*) FROM customers WHERE source = $source) AS customers,
    (SELECT count(*) FROM products WHERE source = $source) AS skus,
    (SELECT min(local_date) FROM orders WHERE source = $source) AS first_day,
    (SELECT max(local_date) FROM orders WHERE source = $source) AS last_day,
    (SELECT gross FROM gross) AS gross_sales,
    (SELECT coalesce(sum(discounts), 0) FROM sales) AS discounts,
    (SELECT coalesce(sum(r.amount), 0) FROM refunds r JOIN sales s ON s.source_id = r.order_id
        WHERE r.source = $source) AS returns,
    (SELECT count(*) FROM inventory_levels WHERE source = $source AND on_hand = 0) AS stockout_sku_days,
    (SELECT count(DISTINCT sku) FROM inventory_levels WHERE source = $source AND on_hand = 0)
        AS skus_out_of_stock,
    (SELECT count(*) FROM tickets WHERE source = $source) AS tickets
"""


def summarize(con: duckdb.DuckDBPyConnection, *, source: str = "demo") -> dict[str, Any]:
    """Orders, lines, customers, SKUs, date range, net sales (gross - discounts - returns, as
    DESIGN.md defines it), stock-outs and tickets of one source. Money as "1234.50" strings."""
    cursor = con.execute(SUMMARY_SQL, {"source": source})
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    net = row["gross_sales"] - row["discounts"] - row["returns"]
    return {
        "orders": row["orders"],
        "order_lines": row["order_lines"],
        "customers": row["customers"],
        "skus": row["skus"],
        "first_day": row["first_day"].isoformat() if row["first_day"] else None,
        "last_day": row["last_day"].isoformat() if row["last_day"] else None,
        "gross_sales": money_str(row["gross_sales"]),
        "discounts": money_str(row["discounts"]),
        "returns": money_str(row["returns"]),
        "net_sales": money_str(net),
        "stockout_sku_days": row["stockout_sku_days"],
        "skus_out_of_stock": row["skus_out_of_stock"],
        "tickets": row["tickets"],
    }
