"""The warehouse's derived daily cells (warehouse/derived.py), read in place of the facts while
they are current: the same sums from days × members rows instead of every order line, so that
the morning set costs the same on two years of history as on two months.

A reader asks `cells_are_current` once per call and takes the cells or the facts; tests check
that both give the same figures. On a warehouse storeops does not load (another tool, another
engine) the cells do not exist and the facts are read.
"""

from __future__ import annotations

from datetime import date

import ibis
from ibis.backends import BaseBackend

from storeops.warehouse.derived import CELLS, ORDER_CELLS, REFUND_CELLS, SKU_CELLS, STAMP

ALL_CELLS = frozenset({CELLS, SKU_CELLS, ORDER_CELLS, REFUND_CELLS, STAMP})


def cells_are_current(con: BaseBackend) -> bool:
    """Whether the derived cells exist and were built by the warehouse's last import."""
    if not ALL_CELLS <= set(con.list_tables()):
        return False
    built = con.table(STAMP).import_id.max().to_pyarrow().as_py()
    last = con.table("imports").import_id.max().to_pyarrow().as_py()
    return built is not None and built == last


def _dated(table: ibis.Table, first: date | None, last: date) -> ibis.Table:
    day = table.local_date
    return table.filter(day <= last if first is None else day.between(first, last))


def order_cells(
    con: BaseBackend, first: date | None, last: date, channel: str | None = None
) -> ibis.Table:
    """Sale orders per day × channel: orders, discounts, shipping, taxes."""
    cells = _dated(con.table(ORDER_CELLS), first, last)
    return cells if channel is None else cells.filter(cells.channel == channel)


def line_cells(
    con: BaseBackend, first: date | None, last: date, channel: str | None = None
) -> ibis.Table:
    """Sale lines per day × channel × category: gross, line_discounts, units, orders."""
    cells = _dated(con.table(CELLS), first, last)
    return cells if channel is None else cells.filter(cells.channel == channel)


def sku_cells(con: BaseBackend, first: date | None, last: date) -> ibis.Table:
    """Sale lines per day × SKU: gross, line_discounts, units, orders (with such a line)."""
    return _dated(con.table(SKU_CELLS), first, last)


def refund_cells(
    con: BaseBackend, dimension: str, first: date | None, last: date, member: str | None = None
) -> ibis.Table:
    """Refunds per refund day × member of `dimension` (channel of the order, category, sku):
    local_date, member, amount."""
    cells = con.table(REFUND_CELLS)
    cells = _dated(cells.filter(cells.dimension == dimension), first, last)
    return cells if member is None else cells.filter(cells.member == member)


def sku_days(
    con: BaseBackend, first: date | None, last: date, *, orders: bool = True
) -> ibis.Table:
    """Sale lines per store-local day × SKU (local_date, sku, gross, line_discounts, units, and
    with `orders` the distinct (source, order) with such a line): the cells when current, else
    the lines (summed per order first only when the orders are counted)."""
    if cells_are_current(con):
        return sku_cells(con, first, last)
    sale = _dated(con.table("orders"), first, last)
    sale = sale.filter(sale.is_sale).select("source", "source_id", "local_date")
    lines = con.table("order_lines")
    sold = lines.join(sale, [lines.source == sale.source, lines.order_id == sale.source_id])
    keys = ["local_date", "sku"] + (["source", "order_id"] if orders else [])
    summed = sold.group_by(keys).aggregate(
        gross=(sold.price * sold.quantity).sum(),
        line_discounts=sold.discount.sum(),
        units=sold.quantity.sum().cast("int64"),
    )
    if not orders:
        return summed
    return summed.group_by(["local_date", "sku"]).aggregate(
        gross=summed.gross.sum(),
        line_discounts=summed.line_discounts.sum(),
        units=summed.units.sum(),
        orders=summed.count(),
    )
