"""The daily series the anomaly detector models, aggregated in the engine (one small row per
day and member), then laid out per day in Python.

Series, per store-local day, for the total, each channel and each category (products.sku):
- orders: sale orders (a category's: sale orders with a line of it);
- net_sales, in cents: gross − discounts − returns (DESIGN.md). Total and channels use order
  discounts and refunds dated that day (a refund counts in its order's channel); a category uses
  its lines' allocated discounts and the refund lines of its SKUs;
- conversion: orders / sessions (traffic), total and per channel, on days with sessions.
order_lines is scanned once, grouped by (day, channel, category).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from storeops.commerce.cells import cells_are_current, line_cells, order_cells, refund_cells
from storeops.commerce.kpis import sale_orders
from storeops.core.money import to_money

NO_CATEGORY = "(no category)"
NO_CHANNEL = "(no channel)"
METRICS = ("orders", "net_sales", "conversion")


def _rows(expr: ibis.Table) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def _cents(value: Any) -> int:
    return int(value * 100) if value is not None else 0


def cents_to_money(cents: float) -> Decimal:
    return to_money(Decimal(round(float(cents))) / 100)


def as_metric(metric: str, value: float, *, expected: bool = False) -> Any:
    """A series value in its metric's unit: int orders (expected: one decimal), Decimal net
    sales, float conversion rate; None when unknown."""
    if not np.isfinite(value):
        return None
    if metric == "net_sales":
        return cents_to_money(value)
    if metric == "orders":
        return round(float(value), 1) if expected else int(round(value))
    return float(value)


def metric_gap(metric: str, actual: Any, expected: Any) -> Any:
    if actual is None or expected is None:
        return None
    if metric == "orders":
        return round(actual - expected, 1)
    return actual - expected


def categories(con: BaseBackend) -> ibis.Table:
    """One category per SKU (a SKU listed by several sources takes the largest name)."""
    products = con.table("products")
    return products.group_by("sku").aggregate(category=products.category.max())


@dataclass
class DailySeries:
    """series[(metric, dimension, member)] = one value per day of `days` (NaN before data)."""

    days: list[date]
    series: dict[tuple[str, str, str], np.ndarray]
    # net sales in cents per (dimension, member), for the revenue gap of every metric
    net_cents: dict[tuple[str, str], np.ndarray]
    sessions: dict[tuple[str, str], np.ndarray]  # (dimension, member), where traffic exists

    def index(self, day: date) -> int:
        return (day - self.days[0]).days


def load_series(con: BaseBackend, *, first: date, last: date) -> DailySeries:
    """Every series from `first` to `last`, both included."""
    cells = cells_are_current(con)
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(first, last)).mutate(
        channel=orders.channel.fill_null(NO_CHANNEL)
    )
    by_channel = pd.DataFrame(
        _rows(_orders_by_channel(con, orders, first, last, cells=cells)),
        columns=["local_date", "channel", "orders", "discounts"],
    )
    cube = pd.DataFrame(
        _rows(_cube(con, orders, first, last, cells=cells)),
        columns=["local_date", "channel", "category", "gross", "line_discounts", "orders"],
    )
    refunds = _refunds_by_channel(con, first, last, cells=cells)

    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    layout = _Layout(days, first_data=_first_day(by_channel))
    for frame, columns in ((by_channel, ["discounts"]), (cube, ["gross", "line_discounts"])):
        for column in columns:
            frame[column] = [_cents(v) for v in frame[column]]
    refunds["amount"] = [_cents(v) for v in refunds["amount"]]

    series: dict[tuple[str, str, str], np.ndarray] = {}
    net: dict[tuple[str, str], np.ndarray] = {}
    gross_by_channel = cube.groupby(["local_date", "channel"], as_index=False)["gross"].sum()
    for member, keys in _members(by_channel, "channel"):
        o = layout.spread(by_channel, keys, "orders")
        gross = layout.spread(gross_by_channel, keys, "gross")
        net_cents = (
            gross
            - layout.spread(by_channel, keys, "discounts")
            - layout.spread(refunds, keys, "amount")
        )
        dimension, name = ("total", "total") if member is None else ("channel", member)
        net[(dimension, name)] = net_cents
        series[("orders", dimension, name)] = o
        series[("net_sales", dimension, name)] = net_cents

    if len(cube):
        returned = _refunds_by_category(con, first, last, cells=cells)
        returned["amount"] = [_cents(v) for v in returned["amount"]]
        by_category = cube.groupby(["local_date", "category"], as_index=False)[
            ["gross", "line_discounts", "orders"]
        ].sum()
        for member, keys in _members(by_category, "category"):
            net_cents = (
                layout.spread(by_category, keys, "gross")
                - layout.spread(by_category, keys, "line_discounts")
                - layout.spread(returned, keys, "amount")
            )
            net[("category", member)] = net_cents
            series[("orders", "category", member)] = layout.spread(by_category, keys, "orders")
            series[("net_sales", "category", member)] = net_cents

    sessions = _add_conversion(con, first, last, layout, series)
    return DailySeries(days, series, net, sessions)


def _orders_by_channel(
    con: BaseBackend, orders: ibis.Table, first: date, last: date, *, cells: bool
) -> ibis.Table:
    """Sale orders and their discounts per day × channel (from order_cells when current)."""
    if cells:
        t = order_cells(con, first, last)
        return t.select(
            "local_date", channel=t.channel.fill_null(NO_CHANNEL), orders=t.orders,
            discounts=t.discounts,
        )  # fmt: skip
    return orders.group_by(["local_date", "channel"]).aggregate(
        orders=orders.count(), discounts=orders.discounts.sum()
    )


def _refund_cells(con: BaseBackend, dimension: str, first: date, last: date) -> pd.DataFrame:
    t = refund_cells(con, dimension, first, last)
    missing = NO_CHANNEL if dimension == "channel" else NO_CATEGORY
    t = t.select("local_date", t.member.fill_null(missing).name(dimension), "amount")
    t = t.group_by(["local_date", dimension]).aggregate(amount=t.amount.sum())
    return pd.DataFrame(_rows(t), columns=["local_date", dimension, "amount"])


def _cube(
    con: BaseBackend, orders: ibis.Table, first: date, last: date, *, cells: bool
) -> ibis.Table:
    """Sale lines summed per day × channel × category: from the warehouse's sales_cells when
    they match its last import (warehouse/derived.py), else from the lines themselves."""
    if cells:
        t = line_cells(con, first, last)
        return t.select(
            "local_date",
            channel=t.channel.fill_null(NO_CHANNEL),
            category=t.category.fill_null(NO_CATEGORY),
            gross=t.gross,
            line_discounts=t.line_discounts,
            orders=t.orders,
        )
    lines = con.table("order_lines")
    sold = lines.join(
        orders.select("source", "source_id", "local_date", "channel"),
        [lines.source == orders.source, lines.order_id == orders.source_id],
    ).left_join(categories(con), "sku")
    sold = sold.mutate(category=sold.category.fill_null(NO_CATEGORY))
    return sold.group_by(["local_date", "channel", "category"]).aggregate(
        gross=(sold.price * sold.quantity).sum(),
        line_discounts=sold.discount.sum(),
        orders=sold.order_id.nunique(),
    )


def _first_day(frame: pd.DataFrame) -> date | None:
    return min(frame["local_date"]) if len(frame) else None


class _Layout:
    """Spreads (day, value) rows over the calendar: 0 on a day without rows once the shop has
    data, NaN before its first order (no history is not a day of zero sales)."""

    def __init__(self, days: list[date], first_data: date | None):
        self.first = days[0]
        self.n = len(days)
        self.start = (first_data - self.first).days if first_data else self.n

    def spread(self, frame: pd.DataFrame, keys: dict[str, Any], column: str) -> np.ndarray:
        out = np.zeros(self.n)
        out[: self.start] = np.nan
        rows = frame
        for key, value in keys.items():
            rows = rows[rows[key] == value]
        if len(rows):
            sums = rows.groupby("local_date")[column].sum()
            where = np.array([(d - self.first).days for d in sums.index], dtype=int)
            out[where] = sums.to_numpy(dtype=float)
        return out

    def ratio(self, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)


def _members(frame: pd.DataFrame, column: str):  # type: ignore[no-untyped-def]
    """(member, row filter) pairs: None for the total (channels only), then each member."""
    if column == "channel":
        yield None, {}
    for member in sorted(set(frame[column])):
        yield member, {column: member}


def _refunds_by_channel(con: BaseBackend, first: date, last: date, *, cells: bool) -> pd.DataFrame:
    if cells:
        return _refund_cells(con, "channel", first, last)
    refunds = con.table("refunds")
    refunds = refunds.filter(refunds.local_date.between(first, last))
    orders = con.table("orders")
    owners = orders.select(o_source="source", o_id="source_id", channel="channel")
    joined = refunds.left_join(
        owners, [refunds.source == owners.o_source, refunds.order_id == owners.o_id]
    )
    joined = joined.mutate(channel=joined.channel.fill_null(NO_CHANNEL))
    return pd.DataFrame(
        _rows(joined.group_by(["local_date", "channel"]).aggregate(amount=joined.amount.sum())),
        columns=["local_date", "channel", "amount"],
    )


def _refunds_by_category(con: BaseBackend, first: date, last: date, *, cells: bool) -> pd.DataFrame:
    if cells:
        return _refund_cells(con, "category", first, last)
    refunds = con.table("refunds")
    refunds = refunds.filter(refunds.local_date.between(first, last))
    lines = con.table("refund_lines")
    days = refunds.select(r_source="source", r_id="source_id", local_date="local_date")
    joined = lines.join(
        days, [lines.source == days.r_source, lines.refund_id == days.r_id]
    ).left_join(categories(con), "sku")
    joined = joined.mutate(category=joined.category.fill_null(NO_CATEGORY))
    return pd.DataFrame(
        _rows(joined.group_by(["local_date", "category"]).aggregate(amount=joined.amount.sum())),
        columns=["local_date", "category", "amount"],
    )


def _add_conversion(con, first, last, layout, series) -> dict[tuple[str, str], np.ndarray]:  # type: ignore[no-untyped-def]
    """Adds the conversion series; returns the sessions they were computed with."""
    traffic = con.table("traffic")
    traffic = traffic.filter(traffic.date.between(first, last))
    visits = pd.DataFrame(
        _rows(traffic.group_by(["date", "channel"]).aggregate(sessions=traffic.sessions.sum())),
        columns=["date", "channel", "sessions"],
    ).rename(columns={"date": "local_date"})
    found: dict[tuple[str, str], np.ndarray] = {}
    if not len(visits):
        return found
    found[("total", "total")] = layout.spread(visits, {}, "sessions")
    for channel in sorted(set(visits["channel"])):
        if ("orders", "channel", channel) in series:
            found[("channel", channel)] = layout.spread(visits, {"channel": channel}, "sessions")
    for (dimension, member), sessions in found.items():
        orders = series[("orders", dimension, member)]
        series[("conversion", dimension, member)] = layout.ratio(orders, sessions)
    return found
