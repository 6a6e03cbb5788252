"""Derived tables the writers keep in step with the facts, inside the same transaction.

`sales_cells` holds sale orders' lines summed per store-local day × channel × category: the
cube the anomaly detector reads over years of history. Scanning ten million lines for it took
most of the morning set's time; the cells are a few thousand rows. Each row carries the import
that built it, so a reader can tell the cells match the facts (the last import's id) and use the
lines otherwise, e.g. on a warehouse another tool loads.
"""

from __future__ import annotations

import duckdb

CELLS = "sales_cells"
# Tables whose rows change the cells; other imports only stamp them with their id.
CELL_SOURCES = frozenset({"orders", "order_lines", "products"})


def refresh_sales_cells(
    con: duckdb.DuckDBPyConnection, *, qualifier: str, import_id: int, tables: set[str]
) -> None:
    """Rebuilds the cells when `tables` can change them, else stamps them with `import_id`."""
    q = qualifier
    if not tables & CELL_SOURCES:
        con.execute(f"CREATE TABLE IF NOT EXISTS {q}{CELLS} AS {_cells_sql(q, import_id)}")
        con.execute(f"UPDATE {q}{CELLS} SET import_id = ?", [import_id])
        return
    con.execute(f"CREATE OR REPLACE TABLE {q}{CELLS} AS {_cells_sql(q, import_id)}")


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
