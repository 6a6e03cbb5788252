"""Derived tables the writers keep in step with the facts, inside the same transaction.

The anomaly detector reads years of daily history; scanning millions of orders, lines and refunds
for it took most of the morning set's time. The cells hold the same sums per store-local day, a
few thousand rows:
- `sales_cells`: sale orders' lines per day × channel × category (gross, line discounts, orders);
- `order_cells`: sale orders per day × channel (orders, order discounts);
- `refund_cells`: refunds per day × channel of their order, and refund lines per day × category.
Each row carries the import that built it, so a reader can tell the cells match the facts (the
last import's id) and use the facts otherwise, e.g. on a warehouse another tool loads.
"""

from __future__ import annotations

import duckdb

CELLS = "sales_cells"
ORDER_CELLS = "order_cells"
REFUND_CELLS = "refund_cells"
# Tables whose rows change the cells; other imports only stamp them with their id.
CELL_SOURCES = frozenset({"orders", "order_lines", "products", "refunds", "refund_lines"})


def refresh_sales_cells(
    con: duckdb.DuckDBPyConnection, *, qualifier: str, import_id: int, tables: set[str]
) -> None:
    """Rebuilds the cells when `tables` can change them, else stamps them with `import_id`."""
    q = qualifier
    builders = {CELLS: _cells_sql, ORDER_CELLS: _order_cells_sql, REFUND_CELLS: _refund_cells_sql}
    for name, build in builders.items():
        if tables & CELL_SOURCES:
            con.execute(f"CREATE OR REPLACE TABLE {q}{name} AS {build(q, import_id)}")
        else:
            con.execute(f"CREATE TABLE IF NOT EXISTS {q}{name} AS {build(q, import_id)}")
            con.execute(f"UPDATE {q}{name} SET import_id = ?", [import_id])


def _order_cells_sql(q: str, import_id: int) -> str:
    return f"""
        SELECT local_date, channel, count(*) AS orders, sum(discounts) AS discounts,
               {int(import_id)}::BIGINT AS import_id
        FROM {q}orders WHERE is_sale GROUP BY ALL
    """


def _refund_cells_sql(q: str, import_id: int) -> str:
    # Refunds by the channel of their order (any order, as commerce.anomaly_series reads them),
    # and refund lines by their SKU's category; `dimension` says which a row is.
    return f"""
        SELECT 'channel' AS dimension, r.local_date, o.channel AS member,
               sum(r.amount) AS amount, {int(import_id)}::BIGINT AS import_id
        FROM {q}refunds r
        LEFT JOIN {q}orders o ON o.source = r.source AND o.source_id = r.order_id
        GROUP BY ALL
        UNION ALL
        SELECT 'category', r.local_date, c.category, sum(l.amount), {int(import_id)}::BIGINT
        FROM {q}refund_lines l
        JOIN {q}refunds r ON r.source = l.source AND r.source_id = l.refund_id
        LEFT JOIN (SELECT sku, max(category) AS category FROM {q}products GROUP BY sku) c
          ON c.sku = l.sku
        GROUP BY ALL
    """


def _cells_sql(q: str, import_id: int) -> str:
    # Same grouping as commerce.anomaly_series: a SKU's category is the largest name any source
    # gives it; channel and category stay NULL where unknown (the reader names them).
    return f"""
        SELECT o.local_date, o.channel, c.category,
               sum(l.price * l.quantity) AS gross,
               sum(l.discount) AS line_discounts,
               count(DISTINCT l.order_id) AS orders,
               {int(import_id)}::BIGINT AS import_id
        FROM {q}order_lines l
        JOIN {q}orders o ON l.source = o.source AND l.order_id = o.source_id
        LEFT JOIN (SELECT sku, max(category) AS category FROM {q}products GROUP BY sku) c
          ON c.sku = l.sku
        WHERE o.is_sale
        GROUP BY ALL
    """
