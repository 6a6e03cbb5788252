"""Derived tables every writer keeps in step with the facts.

The anomaly detector reads years of daily history, and the morning set (KPIs, series, top
products, stock) weeks of it; scanning millions of orders, lines and refunds for them took most
of its time, and grows with the history. The cells hold the same sums per store-local day, at
most days × members rows:
- `sales_cells`: sale orders' lines per day × channel × category (gross, line discounts, units,
  orders);
- `sku_cells`: sale orders' lines per day × SKU (gross, line discounts, units, orders); a SKU's
  cost is joined when read;
- `order_cells`: sale orders per day × channel (orders, order discounts, shipping, taxes);
- `refund_cells`: refunds per day × channel of their order, refund lines per day × category and
  per day × SKU.
`cells_built` holds the import that last brought them in step, so a reader can tell the cells
match the facts (the last import's id) and read the facts otherwise, e.g. on a warehouse another
tool loads.

An import recomputes only the days it touches (the days of the orders and refunds it writes,
before and after, and for a catalog the days of the SKUs whose category changed); cells that
were not in step before the import, or a writer that cannot tell its days, mean a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb

CELLS = "sales_cells"
SKU_CELLS = "sku_cells"
ORDER_CELLS = "order_cells"
REFUND_CELLS = "refund_cells"
STAMP = "cells_built"
# Temp tables of the store-local days an import touches (see TouchedDays).
ORDER_DAYS = "cells_order_days"
REFUND_DAYS = "cells_refund_days"
CATEGORIES = "cells_categories"  # a catalog import's SKU categories before and after
# Orders (or refunds) per rebuild step: a few million keep a step within the demo's 1 GB.
REBUILD_ROWS = 4_000_000
# Tables whose rows change the cells; other imports only stamp them with their id.
CELL_SOURCES = frozenset({"orders", "order_lines", "products", "refunds", "refund_lines"})


@dataclass(frozen=True)
class _Cells:
    name: str
    build: Callable[[str, str], str]  # (qualifier, day filter) -> SELECT
    facts: str  # the table whose local_date is the cells' day
    days: str  # the temp table of its touched days


def refresh_sales_cells(
    con: duckdb.DuckDBPyConnection,
    *,
    qualifier: str,
    import_id: int,
    tables: set[str],
    touched: TouchedDays | None = None,
) -> None:
    """Brings the cells in step with the facts after import `import_id` wrote `tables`.

    With `touched` (the days the import changed) only those days are recomputed, provided the
    cells matched the warehouse before this import, or it had no orders nor refunds (then all
    its facts are this import's); otherwise the cells are rebuilt when `tables` can change them.
    """
    q = qualifier
    changes = bool(tables & CELL_SOURCES)
    if touched is not None and touched.from_empty:
        # Every fact is this import's: its days are all there is, in one pass.
        for cells in _ALL:
            con.execute(f"CREATE OR REPLACE TABLE {q}{cells.name} AS {cells.build(q, 'TRUE')}")
    else:
        in_step = _stamp(con, q) == import_id - 1
        for cells in _ALL:
            if not in_step or (changes and touched is None):
                _rebuild(con, q, cells)
            elif changes:
                # A day of cells is a function of that day's facts: recompute the touched days.
                days = f"(SELECT local_date FROM {cells.days})"
                con.execute(f"DELETE FROM {q}{cells.name} WHERE local_date IN {days}")
                con.execute(
                    f"INSERT INTO {q}{cells.name} {cells.build(q, f'local_date IN {days}')}"
                )
    con.execute(f"CREATE OR REPLACE TABLE {q}{STAMP} AS SELECT ?::BIGINT AS import_id", [import_id])


def _rebuild(con: duckdb.DuckDBPyConnection, q: str, cells: _Cells) -> None:
    """Builds the cells from spans of days holding at most REBUILD_ROWS facts each: a span's
    join and distinct counts then fit in bounded memory (in one pass, 100M order lines took
    14 GB, or failed under the demo's memory limit)."""
    con.execute(f"CREATE OR REPLACE TABLE {q}{cells.name} AS {cells.build(q, 'FALSE')}")
    per_day = con.execute(
        f"SELECT local_date, count(*) FROM {q}{cells.facts} GROUP BY ALL ORDER BY 1 NULLS FIRST"
    ).fetchall()
    spans: list[tuple[date, date]] = []
    held = 0
    for day, rows in per_day:
        if day is None:  # facts without a day (none load so, but a rebuild must not drop them)
            con.execute(f"INSERT INTO {q}{cells.name} {cells.build(q, 'local_date IS NULL')}")
        elif spans and held + rows <= REBUILD_ROWS:
            spans[-1] = (spans[-1][0], day)
            held += rows
        else:
            spans.append((day, day))
            held = rows
    for first, last in spans:
        # Days of the warehouse itself, as literals so that each span's filter prunes.
        span = f"local_date BETWEEN DATE '{first}' AND DATE '{last}'"
        con.execute(f"INSERT INTO {q}{cells.name} {cells.build(q, span)}")


def _stamp(con: duckdb.DuckDBPyConnection, q: str) -> int | None:
    """The import the cells were last brought in step by; None without (all) cells."""
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() "
            "WHERE database_name = coalesce(?, current_database()) AND NOT temporary",
            [q.rstrip(".") or None],
        ).fetchall()
    }
    if not {STAMP, *(cells.name for cells in _ALL)} <= present:
        return None
    row = con.execute(f"SELECT max(import_id) FROM {q}{STAMP}").fetchone()
    return row[0] if row else None


class TouchedDays:
    """The store-local days an import changes, gathered into ORDER_DAYS and REFUND_DAYS.

    `before` runs before the rows are replaced (the old versions' days), `after` once they are
    written (the new ones'): the days of the written orders, of the refunds they own or the
    written refunds are (a refund's channel is its order's, so a new order moves its earlier
    refunds' cells), and for a catalog the days that sold or refunded a SKU whose category
    changed (read from the cells, which hold every day a SKU was sold).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, qualifier: str, entities: list[str]):
        """`entities`: the import's top-level entities, each with its cls_<entity> table."""
        self.con, self.q = con, qualifier
        self.entities = entities
        self.from_empty = False  # whether the warehouse had no orders nor refunds before
        for name in (ORDER_DAYS, REFUND_DAYS):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (local_date DATE)")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {CATEGORIES} (after BOOLEAN, sku VARCHAR, category VARCHAR)"
        )

    def before(self) -> None:
        self.from_empty = not self.con.execute(
            f"SELECT EXISTS (FROM {self.q}orders) OR EXISTS (FROM {self.q}refunds)"
        ).fetchone()[0]  # type: ignore[index]
        self._collect(after=False)

    def after(self) -> None:
        self._collect(after=True)
        if "products" not in self.entities or _stamp(self.con, self.q) is None:
            return
        q = self.q
        moved = (
            f"(SELECT sku FROM (SELECT * FROM {CATEGORIES} WHERE NOT after) b "
            f"FULL JOIN (SELECT * FROM {CATEGORIES} WHERE after) a USING (sku) "
            "WHERE b.category IS DISTINCT FROM a.category)"
        )
        self.con.execute(
            f"INSERT INTO {ORDER_DAYS} SELECT DISTINCT local_date FROM {q}{SKU_CELLS} "
            f"WHERE sku IN {moved}"
        )
        self.con.execute(
            f"INSERT INTO {REFUND_DAYS} SELECT DISTINCT local_date FROM {q}{REFUND_CELLS} "
            f"WHERE dimension = 'sku' AND member IN {moved}"
        )

    def _collect(self, *, after: bool) -> None:
        q, con = self.q, self.con
        written = "(SELECT source, source_id FROM cls_{0} WHERE status <> 'unchanged')"
        refund_match = []
        if "orders" in self.entities:
            orders = written.format("orders")
            con.execute(
                f"INSERT INTO {ORDER_DAYS} SELECT DISTINCT local_date FROM {q}orders "
                f"WHERE (source, source_id) IN {orders}"
            )
            refund_match.append(f"(source, order_id) IN {orders}")
        if "refunds" in self.entities:
            refund_match.append(f"(source, source_id) IN {written.format('refunds')}")
        if refund_match:
            con.execute(
                f"INSERT INTO {REFUND_DAYS} SELECT DISTINCT local_date FROM {q}refunds "
                f"WHERE {' OR '.join(refund_match)}"
            )
        if "products" in self.entities:
            # A SKU's category is the largest any source gives it (as the cells group them).
            con.execute(
                f"INSERT INTO {CATEGORIES} SELECT ?, sku, max(category) FROM {q}products "
                "WHERE sku IN (SELECT sku FROM stage_products) GROUP BY sku",
                [after],
            )


def _order_cells_sql(q: str, days: str) -> str:
    return f"""
        SELECT local_date, channel, count(*) AS orders, sum(discounts) AS discounts,
               sum(shipping) AS shipping, sum(taxes) AS taxes
        FROM {q}orders WHERE is_sale AND {days} GROUP BY ALL
    """


def _refund_cells_sql(q: str, days: str) -> str:
    # Refunds by the channel of their order (any order, as commerce.anomaly_series reads them),
    # refund lines by their SKU's category and by SKU; `dimension` says which a row is.
    return f"""
        WITH r AS (SELECT * FROM {q}refunds WHERE {days}),
        l AS (
            SELECT r.local_date, l.sku, l.amount FROM {q}refund_lines l
            JOIN r ON r.source = l.source AND r.source_id = l.refund_id)
        SELECT 'channel' AS dimension, r.local_date, o.channel AS member,
               sum(r.amount) AS amount
        FROM r LEFT JOIN {q}orders o ON o.source = r.source AND o.source_id = r.order_id
        GROUP BY ALL
        UNION ALL
        SELECT 'category', l.local_date, c.category, sum(l.amount)
        FROM l LEFT JOIN (SELECT sku, max(category) AS category FROM {q}products GROUP BY sku) c
          ON c.sku = l.sku
        GROUP BY ALL
        UNION ALL
        SELECT 'sku', local_date, sku, sum(amount) FROM l GROUP BY ALL
    """


def _cells_sql(q: str, days: str) -> str:
    # Same grouping as commerce.anomaly_series: a SKU's category is the largest name any source
    # gives it; channel and category stay NULL where unknown (the reader names them).
    return f"""
        SELECT o.local_date, o.channel, c.category,
               sum(l.price * l.quantity) AS gross,
               sum(l.discount) AS line_discounts,
               sum(l.quantity)::BIGINT AS units,
               count(DISTINCT l.order_id) AS orders
        FROM {q}order_lines l
        JOIN (SELECT * FROM {q}orders WHERE is_sale AND {days}) o
          ON l.source = o.source AND l.order_id = o.source_id
        LEFT JOIN (SELECT sku, max(category) AS category FROM {q}products GROUP BY sku) c
          ON c.sku = l.sku
        GROUP BY ALL
    """


def _sku_cells_sql(q: str, days: str) -> str:
    # `orders` counts (source, order) pairs, as commerce.sales counts a product's orders; the
    # NULL SKU (lines without one) is a row of its own.
    return f"""
        SELECT o.local_date, l.sku,
               sum(l.price * l.quantity) AS gross,
               sum(l.discount) AS line_discounts,
               sum(l.quantity)::BIGINT AS units,
               count(DISTINCT (l.source, l.order_id)) AS orders
        FROM {q}order_lines l
        JOIN (SELECT * FROM {q}orders WHERE is_sale AND {days}) o
          ON l.source = o.source AND l.order_id = o.source_id
        GROUP BY ALL
    """


_ALL = (
    _Cells(CELLS, _cells_sql, "orders", ORDER_DAYS),
    _Cells(SKU_CELLS, _sku_cells_sql, "orders", ORDER_DAYS),
    _Cells(ORDER_CELLS, _order_cells_sql, "orders", ORDER_DAYS),
    _Cells(REFUND_CELLS, _refund_cells_sql, "refunds", REFUND_DAYS),
)
