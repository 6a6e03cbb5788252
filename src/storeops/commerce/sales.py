"""Sales over time (day, ISO week, month of the store-local calendar) and by dimension.

The definitions are kpis.py's: orders = sale orders, gross sales = Σ line price × quantity,
discounts = Σ order discounts, returns = Σ refunds dated by the refund's `local_date`, net sales =
gross − discounts − returns, units = Σ quantity, average order value = (gross − discounts) / orders.
A series has one row per day, week (Monday to Sunday) or month of the period, with zeros where
nothing was sold.

By dimension:
- channel, country, discount code are order attributes: every amount has its key, returns
  included (through the refund's order). An order with several codes counts under each of them,
  so discount-code rows may add up to more than the totals. NULL key: attribute unknown / no code.
- product (sku) and category (products.category by sku) are line attributes: `orders` counts the
  orders with such a line, discounts are those allocated to the lines (order_lines.discount) and
  returns those of refund_lines (by the refund's day). What cannot be attributed (order-level
  discounts, refunds without refund lines) stays at order level: `unattributed` says how much,
  `returns_attributed` is false when some of the period's returns are not in the rows, and the
  average order value is not defined per line key (None). NULL key: no sku / no category.

Filters (every read takes them; None = all):
- channel keeps the orders of that channel, and the refunds of orders of that channel;
- category keeps the lines of SKUs of that category (products.category): the figures become
  line figures, as for a category key above (orders with such a line, line discounts, refund
  lines; no average order value). Order-level discounts and refunds without refund lines cannot
  be split by category: the breakdown's `unattributed` says how much of them the (channel's)
  period has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.cells import (
    cells_are_current,
    line_cells,
    order_cells,
    refund_cells,
    sku_cells,
)
from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period
from storeops.core.money import to_money

MONEY = ibis.dtype("decimal(18,2)")
COUNT = ibis.dtype("int64")
# The additive facts every query sums; the metrics are derived from them.
FACTS = {"orders": COUNT, "gross": MONEY, "units": COUNT, "discounts": MONEY, "returns": MONEY}


class Grain(StrEnum):
    day = "day"
    week = "week"  # ISO: Monday to Sunday
    month = "month"


class Dimension(StrEnum):
    channel = "channel"
    category = "category"
    product = "product"
    country = "country"
    discount_code = "discount-code"


LINE_DIMENSIONS = (Dimension.product, Dimension.category)


@dataclass
class Breakdown:
    by: Dimension
    rows: list[dict[str, Any]]  # key (+ name for products), metrics, series when a grain is given
    keys: int  # keys with sales or returns in the period, before --top
    returns_attributed: bool = True
    unattributed: dict[str, Decimal] = field(default_factory=dict)  # line dimensions only


@dataclass
class SalesReport:
    period: Period
    grain: Grain
    totals: dict[str, Any]
    series: list[dict[str, Any]]
    breakdown: Breakdown | None = None
    channel: str | None = None  # the filters the report was computed with
    category: str | None = None


# -- the store-local calendar -------------------------------------------------------------------


def bucket_start(day: date, grain: Grain) -> date:
    if grain is Grain.week:
        return day - timedelta(days=day.weekday())
    if grain is Grain.month:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, grain: Grain) -> date:
    if grain is Grain.week:
        return start + timedelta(days=7)
    if grain is Grain.month:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def calendar(period: Period, grain: Grain) -> list[date]:
    """The first day of every bucket that has days in the period, in order."""
    starts = []
    start = bucket_start(period.start, grain)
    while start <= period.end:
        starts.append(start)
        start = _next_bucket(start, grain)
    return starts


def bucket_label(start: date, grain: Grain) -> str:
    if grain is Grain.week:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain is Grain.month:
        return f"{start:%Y-%m}"
    return start.isoformat()


def _bucket(day: ibis.Value, grain: Grain) -> ibis.Value:
    if grain is Grain.day:
        return day
    # date_trunc's week starts on Monday on DuckDB, PostgreSQL and Spark alike.
    return day.truncate("W" if grain is Grain.week else "M").cast("date")


# -- facts: one union of order, line and refund amounts, summed in the engine -------------------


def _summed(
    table: ibis.Table, *, day: ibis.Value, key: ibis.Value | None = None, **sums: ibis.Value
) -> ibis.Table:
    """`table` summed per day (and key) as fact rows: day, key and every fact, zero where not
    given. Summing each part before the union keeps the union small (the lines are summed
    where they are joined, as hand-written SQL would)."""
    groups = {"day": day} | ({"key": key.cast("string")} if key is not None else {})
    summed = table.group_by(**groups).aggregate(**sums)
    zero = ibis.literal(0)
    return summed.select(
        *groups, **{name: summed[name] if name in sums else zero for name in FACTS}
    ).cast(FACTS)


def _orders_in(con: BaseBackend, period: Period, channel: str | None = None) -> ibis.Table:
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(period.start, period.end))
    return orders if channel is None else orders.filter(orders.channel == channel)


def _refunds_in(con: BaseBackend, period: Period, channel: str | None = None) -> ibis.Table:
    """Refunds dated in the period; with a channel, those of that channel's orders."""
    refunds = con.table("refunds")
    refunds = refunds.filter(refunds.local_date.between(period.start, period.end))
    if channel is None:
        return refunds
    orders = con.table("orders")
    owners = orders.filter(orders.channel == channel).select(
        owner_source="source", owner_id="source_id"
    )
    return refunds.semi_join(
        owners, [refunds.source == owners.owner_source, refunds.order_id == owners.owner_id]
    )


def _in_category(con: BaseBackend, table: ibis.Table, category: str) -> ibis.Table:
    """The rows of `table` (with a sku column) whose SKU is in `category`."""
    products = con.table("products")
    skus = products.filter(products.category == category).select(cat_sku="sku").distinct()
    return table.semi_join(skus, table.sku == skus.cat_sku)


def _sold(con: BaseBackend, orders: ibis.Table) -> ibis.Table:
    """The order lines of `orders`, with the order's columns (local_date, key...)."""
    lines = con.table("order_lines")
    return lines.join(
        orders, [lines.source == orders.source, lines.order_id == orders.source_id]
    ).select(lines, *(c for c in orders.columns if c not in lines.columns))


def _keyed_orders(orders: ibis.Table, by: Dimension) -> ibis.Table:
    """Orders with a `key` column; one row per applied code for discount codes."""
    if by is not Dimension.discount_code:
        return orders.mutate(key=orders[by.value])
    # Upper-case before strip(): Ibis compiles strip() on Spark to TRIM(' \t\n\r\v\f' FROM x),
    # and Spark reads '\v' and '\f' as the letters v and f ("vip" would become "ip").
    codes = orders.discount_codes.upper()
    has_code = codes.notnull() & (codes.strip() != "")
    with_codes = orders.filter(has_code).mutate(key=codes.split(",").unnest())
    with_codes = with_codes.mutate(key=with_codes.key.strip())
    with_codes = with_codes.filter(with_codes.key != "")
    return with_codes.union(orders.filter(~has_code).mutate(key=ibis.null("string")))


def _order_dimension_facts(
    con: BaseBackend, period: Period, by: Dimension, channel: str | None
) -> ibis.Table:
    orders = _keyed_orders(_orders_in(con, period, channel), by)
    sold = _sold(con, orders.select("source", "source_id", "local_date", "key"))
    refunds = _refunds_in(con, period, channel)
    owners = _keyed_orders(con.table("orders"), by).select(
        owner_source="source", owner_id="source_id", key="key"
    )
    # A refund whose order is not in the warehouse keeps a NULL key rather than being dropped.
    refunds = refunds.left_join(
        owners, [refunds.source == owners.owner_source, refunds.order_id == owners.owner_id]
    )
    return ibis.union(
        _summed(orders, day=orders.local_date, key=orders.key, orders=orders.count(),
                discounts=orders.discounts.sum()),
        _summed(sold, day=sold.local_date, key=sold.key,
                gross=(sold.price * sold.quantity).sum(), units=sold.quantity.sum()),
        _summed(refunds, day=refunds.local_date, key=refunds.key, returns=refunds.amount.sum()),
    )  # fmt: skip


def _line_keys(con: BaseBackend, table: ibis.Table, by: Dimension) -> ibis.Table:
    """`table` (with a sku column) with a `key` column: the sku, or its category."""
    if by is Dimension.product:
        return table.mutate(key=table.sku)
    products = con.table("products")
    # One category per sku even when several sources list it.
    categories = products.group_by(cat_sku=products.sku).aggregate(key=products.category.max())
    return table.left_join(categories, table.sku == categories.cat_sku).drop("cat_sku")


def _line_facts(
    con: BaseBackend,
    period: Period,
    by: Dimension | None,
    channel: str | None,
    category: str | None,
) -> ibis.Table:
    """Facts of order lines and refund lines, keyed by `by` (a line or an order attribute; no
    key without one), only the lines of `category`'s SKUs when given."""
    order_key = by is not None and by not in LINE_DIMENSIONS
    orders = _orders_in(con, period, channel)
    if order_key:
        assert by is not None
        orders = _keyed_orders(orders, by)
    sold = _sold(con, orders.select("source", "source_id", "local_date", *(["key"] * order_key)))
    refunds = _refunds_in(con, period, channel).select(
        refund_source="source", refund_id="source_id", day="local_date", owner_id="order_id"
    )
    refund_lines = con.table("refund_lines")
    returned = refund_lines.join(
        refunds,
        [
            refund_lines.source == refunds.refund_source,
            refund_lines.refund_id == refunds.refund_id,
        ],
    )
    if by in LINE_DIMENSIONS:
        assert by is not None
        sold, returned = _line_keys(con, sold, by), _line_keys(con, returned, by)
    elif order_key:
        assert by is not None
        owners = _keyed_orders(con.table("orders"), by).select(
            key_source="source", key_order="source_id", key="key"
        )
        returned = returned.left_join(
            owners,
            [returned.source == owners.key_source, returned.owner_id == owners.key_order],
        )
    if category is not None:
        sold, returned = _in_category(con, sold, category), _in_category(con, returned, category)
    keyed = by is not None
    # Per order first, so that `orders` counts each order once per key.
    per_order = sold.group_by(
        day=sold.local_date,
        source=sold.source,
        order_id=sold.order_id,
        **({"key": sold.key} if keyed else {}),
    ).aggregate(
        gross=(sold.price * sold.quantity).sum(),
        units=sold.quantity.sum(),
        discounts=sold.discount.sum(),
    )
    return ibis.union(
        _summed(per_order, day=per_order.day, key=per_order.key if keyed else None,
                orders=per_order.count(), gross=per_order.gross.sum(),
                units=per_order.units.sum(), discounts=per_order.discounts.sum()),
        _summed(returned, day=returned.day, key=returned.key if keyed else None,
                returns=returned.amount.sum()),
    )  # fmt: skip


def _total_facts(con: BaseBackend, period: Period, channel: str | None) -> ibis.Table:
    orders = _orders_in(con, period, channel)
    sold = _sold(con, orders.select("source", "source_id", "local_date"))
    refunds = _refunds_in(con, period, channel)
    return ibis.union(
        _summed(orders, day=orders.local_date, orders=orders.count(),
                discounts=orders.discounts.sum()),
        _summed(sold, day=sold.local_date, gross=(sold.price * sold.quantity).sum(),
                units=sold.quantity.sum()),
        _summed(refunds, day=refunds.local_date, returns=refunds.amount.sum()),
    )  # fmt: skip


def _total_cells(con: BaseBackend, period: Period, channel: str | None) -> ibis.Table:
    """_total_facts from the daily cells (commerce/cells.py)."""
    first, last = period.start, period.end
    orders = order_cells(con, first, last, channel)
    lines = line_cells(con, first, last, channel)
    refunds = refund_cells(con, "channel", first, last, channel)
    return ibis.union(
        _summed(orders, day=orders.local_date, orders=orders.orders.sum(),
                discounts=orders.discounts.sum()),
        _summed(lines, day=lines.local_date, gross=lines.gross.sum(), units=lines.units.sum()),
        _summed(refunds, day=refunds.local_date, returns=refunds.amount.sum()),
    )  # fmt: skip


def _product_cells(con: BaseBackend, period: Period) -> ibis.Table:
    """_line_facts by product, without filters, from the daily cells (commerce/cells.py)."""
    skus = sku_cells(con, period.start, period.end)
    refunds = refund_cells(con, "sku", period.start, period.end)
    return ibis.union(
        _summed(skus, day=skus.local_date, key=skus.sku, orders=skus.orders.sum(),
                gross=skus.gross.sum(), units=skus.units.sum(),
                discounts=skus.line_discounts.sum()),
        _summed(refunds, day=refunds.local_date, key=refunds.member,
                returns=refunds.amount.sum()),
    )  # fmt: skip


def _facts(
    con: BaseBackend,
    period: Period,
    by: Dimension | None,
    channel: str | None,
    category: str | None,
) -> ibis.Table:
    if category is None and (by is None or (by is Dimension.product and channel is None)):
        if cells_are_current(con):
            return _total_cells(con, period, channel) if by is None else _product_cells(con, period)
    if category is not None or by in LINE_DIMENSIONS:
        return _line_facts(con, period, by, channel, category)
    if by is None:
        return _total_facts(con, period, channel)
    return _order_dimension_facts(con, period, by, channel)


def _sums(facts: ibis.Table) -> dict[str, ibis.Value]:
    return {name: facts[name].sum() for name in FACTS}


def _metrics(row: dict[str, Any], *, per_order: bool = True) -> dict[str, Any]:
    """The sales metrics from summed facts (missing = nothing sold)."""
    orders = int(row.get("orders") or 0)
    gross = to_money(row.get("gross") or 0)
    discounts = to_money(row.get("discounts") or 0)
    returns = to_money(row.get("returns") or 0)
    aov = to_money((gross - discounts) / orders) if orders and per_order else None
    return {
        "orders": orders,
        "gross_sales": gross,
        "discounts": discounts,
        "returns": returns,
        "net_sales": gross - discounts - returns,
        "units_sold": int(row.get("units") or 0),
        "average_order_value": aov,
    }


def _fill(
    rows: Iterable[dict[str, Any]], period: Period, grain: Grain, *, per_order: bool = True
) -> list[dict[str, Any]]:
    """One row per bucket of the calendar, zeros where the engine returned none."""
    found = {row["bucket"]: row for row in rows}
    series = []
    for start in calendar(period, grain):
        end = _next_bucket(start, grain) - timedelta(days=1)
        series.append(
            {
                "start": max(start, period.start),
                "end": min(end, period.end),
                "label": bucket_label(start, grain),
                **_metrics(found.get(start, {}), per_order=per_order),
            }
        )
    return series


# -- public reads -------------------------------------------------------------------------------


def sales_series(
    con: BaseBackend,
    *,
    period: Period,
    grain: Grain = Grain.day,
    channel: str | None = None,
    category: str | None = None,
) -> list[dict]:
    """Orders, gross, discounts, returns, net, units and AOV per day/week/month of the period
    (of the filters' orders and lines: module docstring)."""
    facts = _facts(con, period, None, channel, category)
    grouped = facts.group_by(bucket=_bucket(facts.day, grain)).aggregate(**_sums(facts))
    return _fill(grouped.to_pyarrow().to_pylist(), period, grain, per_order=category is None)


def totals_of(series: list[dict[str, Any]], *, per_order: bool = True) -> dict[str, Any]:
    """The period's metrics from its series (the series' buckets do not overlap); no average
    order value for line figures (`per_order` False: a category filter)."""
    sums = {
        "orders": sum(row["orders"] for row in series),
        "gross": sum((row["gross_sales"] for row in series), Decimal(0)),
        "units": sum(row["units_sold"] for row in series),
        "discounts": sum((row["discounts"] for row in series), Decimal(0)),
        "returns": sum((row["returns"] for row in series), Decimal(0)),
    }
    return _metrics(sums, per_order=per_order)


def sales_by(
    con: BaseBackend,
    *,
    period: Period,
    by: Dimension,
    top: int | None = None,
    grain: Grain | None = None,
    channel: str | None = None,
    category: str | None = None,
) -> Breakdown:
    """The period's sales per key of `by`, best net sales first (the `top` first when given);
    with a grain, each row also has its own filled series. Filters: module docstring."""
    line_level = by in LINE_DIMENSIONS or category is not None
    facts = _facts(con, period, by, channel, category)
    per_key = facts.group_by("key").aggregate(**_sums(facts))
    net = per_key.gross - per_key.discounts - per_key.returns
    ranked = per_key.mutate(
        net=net,
        keys=per_key.orders.count().over(),
        all_discounts=per_key.discounts.sum().over(),
        all_returns=per_key.returns.sum().over(),
    ).order_by([ibis.desc("net"), ibis.asc("key", nulls_first=False)])
    if top is not None:
        ranked = ranked.limit(top)
    found = ranked.to_pyarrow().to_pylist()

    rows = [{"key": row["key"], **_metrics(row, per_order=not line_level)} for row in found]
    if by is Dimension.product:
        names = product_names(con, [row["key"] for row in rows])
        rows = [{"key": row["key"], "name": names.get(row["key"]), **row} for row in rows]
    if grain is not None and rows:
        _add_series(rows, facts, period, grain, limited=top is not None, per_order=not line_level)

    breakdown = Breakdown(by=by, rows=rows, keys=found[0]["keys"] if found else 0)
    if line_level:
        if category is None:  # the rows hold every line: their sums are what was attributed
            attributed = {
                "discounts": to_money(found[0]["all_discounts"] if found else 0),
                "returns": to_money(found[0]["all_returns"] if found else 0),
            }
        else:
            attributed = _line_amounts(con, period, channel)
        order_level = _order_level_amounts(con, period, channel)
        breakdown.unattributed = {k: order_level[k] - attributed[k] for k in attributed}
        breakdown.returns_attributed = breakdown.unattributed["returns"] == 0
    return breakdown


def _add_series(
    rows: list[dict[str, Any]],
    facts: ibis.Table,
    period: Period,
    grain: Grain,
    *,
    limited: bool,
    per_order: bool,
) -> None:
    if limited:  # only the kept keys' buckets come back
        keys = [row["key"] for row in rows if row["key"] is not None]
        kept = facts.key.isin(keys) if keys else ibis.literal(False)
        if any(row["key"] is None for row in rows):
            kept |= facts.key.isnull()
        facts = facts.filter(kept)
    grouped = facts.group_by(bucket=_bucket(facts.day, grain), key=facts.key).aggregate(
        **_sums(facts)
    )
    by_key: dict[Any, list[dict[str, Any]]] = {}
    for row in grouped.to_pyarrow().to_pylist():
        by_key.setdefault(row["key"], []).append(row)
    for row in rows:
        row["series"] = _fill(by_key.get(row["key"], []), period, grain, per_order=per_order)


def _order_level_amounts(
    con: BaseBackend, period: Period, channel: str | None = None
) -> dict[str, Decimal]:
    """The period's order discounts and returns (orders and refunds only: no line scan)."""
    if cells_are_current(con):
        orders = order_cells(con, period.start, period.end, channel)
        refunds = refund_cells(con, "channel", period.start, period.end, channel)
    else:
        orders, refunds = _orders_in(con, period, channel), _refunds_in(con, period, channel)
    discounts = orders.discounts.sum().to_pyarrow().as_py()
    returns = refunds.amount.sum().to_pyarrow().as_py()
    return {"discounts": to_money(discounts or 0), "returns": to_money(returns or 0)}


def _line_amounts(con: BaseBackend, period: Period, channel: str | None) -> dict[str, Decimal]:
    """The period's line discounts and refund-line amounts, every category together."""
    facts = _line_facts(con, period, None, channel, None)
    sums = facts.aggregate(discounts=facts.discounts.sum(), returns=facts.returns.sum())
    row = sums.to_pyarrow().to_pylist()[0]
    return {"discounts": to_money(row["discounts"] or 0), "returns": to_money(row["returns"] or 0)}


def top_products(
    con: BaseBackend,
    *,
    period: Period,
    limit: int = 20,
    channel: str | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """The products with the most net sales in the period (sku, name and their metrics)."""
    return sales_by(
        con, period=period, by=Dimension.product, top=limit, channel=channel, category=category
    ).rows


def product_names(con: BaseBackend, skus: Iterable[str | None]) -> dict[str, str]:
    """Names of SKUs: the catalog's title (and variant), else the name the lines sold it under."""
    wanted = sorted({sku for sku in skus if sku is not None})
    if not wanted:
        return {}
    # A join with the wanted SKUs rather than IN (...): a breakdown without --top can ask for
    # tens of thousands.
    wanted_table = ibis.memtable({"wanted": wanted}, schema={"wanted": "string"})
    products = con.table("products")
    products = products.join(wanted_table, products.sku == wanted_table.wanted)
    variant = products.variant_title
    name = ibis.ifelse(
        variant.isnull() | (variant == "") | (variant == "Default Title"),
        products.title,
        products.title.concat(" / ", variant),
    )
    catalog = products.filter(products.title.notnull()).group_by("sku").aggregate(name=name.max())
    names = {row["sku"]: row["name"] for row in catalog.to_pyarrow().to_pylist()}
    missing = [sku for sku in wanted if sku not in names]
    if missing:
        missing_table = ibis.memtable({"wanted": missing}, schema={"wanted": "string"})
        lines = con.table("order_lines")
        sold = lines.join(missing_table, lines.sku == missing_table.wanted)
        sold = sold.filter(sold.product_name.notnull())
        sold = sold.group_by("sku").aggregate(name=sold.product_name.max())
        names |= {row["sku"]: row["name"] for row in sold.to_pyarrow().to_pylist()}
    return names


def sales_report(
    con: BaseBackend,
    *,
    period: Period,
    grain: Grain = Grain.day,
    by: Dimension | None = None,
    top: int | None = None,
    series_by_key: bool = False,
    channel: str | None = None,
    category: str | None = None,
) -> SalesReport:
    """The period's series and totals, and its breakdown by a dimension when asked; of the
    filters' orders and lines when given."""
    series = sales_series(con, period=period, grain=grain, channel=channel, category=category)
    report = SalesReport(
        period=period,
        grain=grain,
        totals=totals_of(series, per_order=category is None),
        series=series,
        channel=channel,
        category=category,
    )
    if by is not None:
        report.breakdown = sales_by(
            con,
            period=period,
            by=by,
            top=top,
            grain=grain if series_by_key else None,
            channel=channel,
            category=category,
        )
    return report


def sales_report_json(report: SalesReport, currency: str) -> dict[str, Any]:
    """The report's JSON shape, shared by `storeops sales --json` and GET /api/v1/sales; a
    filtered report adds filters{channel, category}."""
    data: dict[str, Any] = {
        **report.period.as_json(),
        "currency": currency,
        "grain": report.grain.value,
        "by": report.breakdown.by.value if report.breakdown else None,
        "totals": report.totals,
        "series": report.series,
    }
    if report.channel is not None or report.category is not None:
        data["filters"] = {"channel": report.channel, "category": report.category}
    if report.breakdown is not None:
        breakdown = report.breakdown
        data["breakdown"] = {
            "keys": breakdown.keys,
            "returns_attributed": breakdown.returns_attributed,
            "unattributed": breakdown.unattributed,
            "rows": breakdown.rows,
        }
    return data
