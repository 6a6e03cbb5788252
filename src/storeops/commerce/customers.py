"""Customers: new against returning over time, monthly cohort retention, and RFM segments.

Customers are known by `orders.customer_id`; orders without one (guests) are never in a cohort or a
segment and are counted apart. Only sale orders count (DESIGN.md), on their store-local day.

New against returning, per day, week (Monday first) or month: a customer whose first sale order
ever falls in the bucket is new in it, any other buyer of the bucket is returning (as in the KPIs).
Orders and net sales follow their customer: net sales = gross − discounts of the bucket's orders
− refunds dated in the bucket, a refund going with its order's customer, classified in the
refund's bucket; new + returning + guests make the shop's net sales of the bucket.

Cohorts: a customer's cohort is the month of their first sale order ever; the cohorts of the months
the period touches are shown. Month +k retention = share of the cohort with a sale order in the
k-th month after the cohort's month (month +0 is 1 by definition), counted up to the period's end;
months after the end are None (not yet seen). The last month may be partial.

RFM, as of the period's end, over the customers with a sale order in the period:
recency = day of the last order, frequency = number of orders, monetary = gross − discounts of
those orders − their refunds dated up to the end. Each is scored 1 to 5 by quintile of rank:
score = 1 + ⌊5 × r / n⌋ with r the number of customers strictly worse and n the customers, so equal
values share a score (one-order customers all get F = 1). Segments follow the common R×F grid
(monetary is reported, not segmented on):

    R \\ F   1              2                3                4            5
    5        New customers  Potential loyal. Potential loyal. Champions    Champions
    4        Promising      Potential loyal. Potential loyal. Loyal        Loyal
    3        About to sleep About to sleep   Need attention   Loyal        Loyal
    2        Hibernating    Hibernating      At risk          At risk      Cannot lose them
    1        Hibernating    Hibernating      At risk          At risk      Cannot lose them

Filters (every view takes them; None = all): `channel` keeps the sale orders of that channel,
`category` the sale orders holding a line of a SKU of that category (with their whole value).
Every view then reads those orders only, as if the shop had no other: a customer's first order is
their first such order, and refunds count with such orders only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.compare import changes
from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period
from storeops.core.money import to_money

ZERO = Decimal("0.00")


class Grain(StrEnum):
    day = "day"
    week = "week"
    month = "month"


# (segment, recency scores, frequency scores): the grid of the module docstring.
SEGMENTS = (
    ("Champions", (5,), (4, 5)),
    ("Loyal", (3, 4), (4, 5)),
    ("Potential loyalists", (4, 5), (2, 3)),
    ("New customers", (5,), (1,)),
    ("Promising", (4,), (1,)),
    ("Need attention", (3,), (3,)),
    ("About to sleep", (3,), (1, 2)),
    ("Cannot lose them", (1, 2), (5,)),
    ("At risk", (1, 2), (3, 4)),
    ("Hibernating", (1, 2), (1, 2)),
)


def segment_of(recency: int, frequency: int) -> str:
    for name, rs, fs in SEGMENTS:
        if recency in rs and frequency in fs:
            return name
    raise ValueError(f"scores out of 1..5: R={recency} F={frequency}")


def bucket_start(day: date, grain: Grain) -> date:
    if grain is Grain.week:
        return day - timedelta(days=day.weekday())
    if grain is Grain.month:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, grain: Grain) -> date:
    if grain is Grain.day:
        return start + timedelta(days=1)
    if grain is Grain.week:
        return start + timedelta(days=7)
    return _add_months(start, 1)


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _truncate(day: ibis.Value, grain: Grain) -> ibis.Value:
    return day if grain is Grain.day else day.truncate("W" if grain is Grain.week else "M")


def _money(value: Any) -> Decimal:
    return to_money(value if value is not None else 0)


def customer_orders(
    con: BaseBackend, *, channel: str | None = None, category: str | None = None
) -> ibis.Table:
    """The sale orders the views read: all, or those the filters keep (module docstring)."""
    orders = sale_orders(con)
    if channel is not None:
        orders = orders.filter(orders.channel == channel)
    if category is not None:
        products = con.table("products")
        skus = products.filter(products.category == category).select(cat_sku="sku").distinct()
        lines = con.table("order_lines")
        lines = lines.semi_join(skus, lines.sku == skus.cat_sku)
        orders = orders.semi_join(
            lines, [orders.source == lines.source, orders.source_id == lines.order_id]
        )
    return orders


def _first_days(orders: ibis.Table) -> ibis.Table:
    """Each known customer's first day among `orders` (sale orders), ever."""
    return (
        orders.filter(orders.customer_id.notnull())
        .group_by("customer_id")
        .aggregate(first_day=orders.local_date.min())
    )


def _order_values(con: BaseBackend, orders: ibis.Table) -> ibis.Table:
    """`orders` with `value` = gross − discounts (gross from their lines)."""
    lines = con.table("order_lines")
    lines = lines.semi_join(
        orders, [lines.source == orders.source, lines.order_id == orders.source_id]
    )
    gross = lines.group_by(["source", "order_id"]).aggregate(
        gross=(lines.price * lines.quantity).sum()
    )
    joined = orders.left_join(
        gross, [orders.source == gross.source, orders.source_id == gross.order_id]
    )
    return joined.select(
        *orders.columns, value=ibis.coalesce(joined.gross, 0) - ibis.coalesce(joined.discounts, 0)
    )


# --- new against returning ---------------------------------------------------------------------


def new_vs_returning(
    con: BaseBackend,
    *,
    period: Period,
    grain: Grain,
    channel: str | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """One row per bucket of the period, empty buckets included."""
    base = customer_orders(con, channel=channel, category=category)
    firsts = _first_days(base)
    orders = base.filter(base.local_date.between(period.start, period.end)).select(
        "source", "source_id", "customer_id", "local_date", "discounts"
    )
    valued = _order_values(con, orders)
    valued = valued.left_join(firsts, "customer_id").select(
        *valued.columns, first_day=firsts.first_day
    )
    bucket = _truncate(valued.local_date, grain)
    kind = ibis.cases(
        (valued.customer_id.isnull(), "guest"),
        (_truncate(valued.first_day, grain) == bucket, "new"),
        else_="returning",
    )
    sums = (
        valued.mutate(bucket=bucket, kind=kind)
        .group_by(["bucket", "kind"])
        .aggregate(
            customers=ibis._.customer_id.nunique(), orders=ibis._.count(), value=ibis._.value.sum()
        )
    )

    refunds = con.table("refunds")
    refunds = refunds.filter(refunds.local_date.between(period.start, period.end))
    filtered = channel is not None or category is not None
    all_orders = (base if filtered else con.table("orders")).select(
        "source", "source_id", "customer_id"
    )
    # Filtered: the refunds of the orders kept only; else every refund, a guest's when its
    # order is unknown.
    join = refunds.join if filtered else refunds.left_join
    refunded = join(
        all_orders,
        [refunds.source == all_orders.source, refunds.order_id == all_orders.source_id],
    ).select("local_date", "amount", "customer_id")
    refunded = refunded.left_join(firsts, "customer_id").select(
        *refunded.columns, first_day=firsts.first_day
    )
    refund_bucket = _truncate(refunded.local_date, grain)
    refund_kind = ibis.cases(
        (refunded.customer_id.isnull(), "guest"),
        (_truncate(refunded.first_day, grain) == refund_bucket, "new"),
        else_="returning",
    )
    returns = (
        refunded.mutate(bucket=refund_bucket, kind=refund_kind)
        .group_by(["bucket", "kind"])
        .aggregate(returns=ibis._.amount.sum())
    )

    cells: dict[tuple[date, str], dict[str, Any]] = defaultdict(dict)
    for found in sums.to_pyarrow().to_pylist() + returns.to_pyarrow().to_pylist():
        cells[(_as_date(found["bucket"]), found["kind"])] |= found

    rows = []
    start = bucket_start(period.start, grain)
    while start <= period.end:
        row: dict[str, Any] = {"bucket": start}
        for kind in ("new", "returning", "guest"):
            cell = cells.get((start, kind), {})
            if kind != "guest":
                row[f"{kind}_customers"] = int(cell.get("customers") or 0)
            row[f"{kind}_orders"] = int(cell.get("orders") or 0)
            row[f"{kind}_net_sales"] = _money(cell.get("value")) - _money(cell.get("returns"))
        rows.append(row)
        start = _next_bucket(start, grain)
    return rows


def _as_date(value: Any) -> date:
    """Truncation gives a date on some engines and a timestamp on others."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# --- cohorts -----------------------------------------------------------------------------------


@dataclass
class Cohorts:
    months: int  # columns: month +0 .. +months-1
    cohorts: list[dict[str, Any]]
    guest_orders: int


def cohort_retention(
    con: BaseBackend,
    *,
    period: Period,
    channel: str | None = None,
    category: str | None = None,
) -> Cohorts:
    first_month = period.start.replace(day=1)
    last_month = period.end.replace(day=1)
    base = customer_orders(con, channel=channel, category=category)
    firsts = _first_days(base)
    firsts = firsts.mutate(cohort=firsts.first_day.truncate("M"))
    firsts = firsts.filter(firsts.first_day.between(first_month, period.end))
    orders = base
    orders = orders.filter(
        orders.customer_id.notnull(), orders.local_date.between(first_month, period.end)
    )
    active = orders.join(firsts, "customer_id").select(
        "customer_id", "cohort", month=orders.local_date.truncate("M")
    )
    counts = active.group_by(["cohort", "month"]).aggregate(customers=active.customer_id.nunique())
    guests = base.filter(
        base.customer_id.isnull(), base.local_date.between(period.start, period.end)
    )
    guest_orders = int(guests.count().to_pyarrow().as_py() or 0)

    seen: dict[date, dict[int, int]] = defaultdict(dict)
    for row in counts.to_pyarrow().to_pylist():
        cohort, month = _as_date(row["cohort"]), _as_date(row["month"])
        seen[cohort][_months_between(cohort, month)] = int(row["customers"])
    width = _months_between(first_month, last_month) + 1
    cohorts = []
    for cohort in sorted(seen):
        size = seen[cohort][0]
        observed = _months_between(cohort, last_month) + 1
        active_counts = [seen[cohort].get(k, 0) if k < observed else None for k in range(width)]
        cohorts.append(
            {
                "cohort": cohort,
                "size": size,
                "active": active_counts,
                "retention": [None if n is None else n / size for n in active_counts],
            }
        )
    return Cohorts(months=width, cohorts=cohorts, guest_orders=guest_orders)


# --- RFM ---------------------------------------------------------------------------------------


def _score(order_by: ibis.Value, n: ibis.Value) -> ibis.Value:
    """1 + ⌊5 × r / n⌋, r = customers strictly worse (ibis ranks are 0-based, ties the lowest)."""
    rank = ibis.rank().over(order_by=order_by)
    return (rank * 5 // n + 1).cast("int32")


def rfm_segments(
    con: BaseBackend,
    *,
    period: Period,
    channel: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    orders = customer_orders(con, channel=channel, category=category)
    orders = orders.filter(orders.local_date.between(period.start, period.end)).select(
        "source", "source_id", "customer_id", "local_date", "discounts"
    )
    valued = _order_values(con, orders)
    refunds = con.table("refunds")
    refunds = refunds.filter(refunds.local_date <= period.end)
    refunds = refunds.group_by(["source", "order_id"]).aggregate(refunded=refunds.amount.sum())
    valued = valued.left_join(
        refunds, [valued.source == refunds.source, valued.source_id == refunds.order_id]
    ).select(
        "customer_id",
        "local_date",
        value=valued.value - ibis.coalesce(refunds.refunded, 0),
    )

    guests = valued.filter(valued.customer_id.isnull()).aggregate(
        orders=ibis._.count(), revenue=ibis._.value.sum()
    )
    guest = guests.to_pyarrow().to_pylist()[0]

    known = valued.filter(valued.customer_id.notnull())
    per_customer = known.group_by("customer_id").aggregate(
        last_day=known.local_date.max(), orders=known.count(), monetary=known.value.sum()
    )
    n = per_customer.customer_id.count().over(ibis.window())
    scored = per_customer.mutate(
        r=_score(per_customer.last_day, n),
        f=_score(per_customer.orders, n),
        m=_score(per_customer.monetary, n),
    )
    segment = ibis.cases(
        *((scored.r.isin(rs) & scored.f.isin(fs), ibis.literal(name)) for name, rs, fs in SEGMENTS),
    )
    sums = (
        scored.mutate(segment=segment)
        .group_by("segment")
        .aggregate(
            customers=ibis._.count(),
            orders=ibis._.orders.sum(),
            revenue=ibis._.monetary.sum(),
            last_day_min=ibis._.last_day.min(),
            last_day_max=ibis._.last_day.max(),
            # float first: PostgreSQL averages integers as NUMERIC
            mean_r=ibis._.r.cast("float64").mean(),
            mean_f=ibis._.f.cast("float64").mean(),
            mean_m=ibis._.m.cast("float64").mean(),
        )
    )
    found = {row.pop("segment"): row for row in sums.to_pyarrow().to_pylist()}
    customers = sum(int(row["customers"]) for row in found.values())
    revenue = sum((_money(row["revenue"]) for row in found.values()), ZERO)
    segments = []
    for name, _, _ in SEGMENTS:
        row = found.get(name)
        if row is None:
            continue
        segments.append(
            {
                "segment": name,
                "customers": int(row["customers"]),
                "orders": int(row["orders"]),
                "revenue": _money(row["revenue"]),
                "customer_share": int(row["customers"]) / customers,
                "revenue_share": float(_money(row["revenue"]) / revenue) if revenue else None,
                "last_order_from": row["last_day_min"],
                "last_order_to": row["last_day_max"],
                "mean_scores": {
                    "recency": float(row["mean_r"]),
                    "frequency": float(row["mean_f"]),
                    "monetary": float(row["mean_m"]),
                },
            }
        )
    return {
        "as_of": period.end,
        "customers": customers,
        "revenue": revenue,
        "segments": segments,
        "guest_orders": int(guest["orders"] or 0),
        "guest_revenue": _money(guest["revenue"]),
    }


HEADLINE = ("customers", "new_customers", "revenue", "guest_orders", "guest_revenue")


def customers_headline(rfm: dict[str, Any], buckets: list[dict[str, Any]]) -> dict[str, Any]:
    """A period's figures from its RFM segments and new-vs-returning buckets: customers who
    ordered, new customers, their revenue, guest orders and guest revenue."""
    return {
        "customers": rfm["customers"],
        "new_customers": sum(row["new_customers"] for row in buckets),
        "revenue": rfm["revenue"],
        "guest_orders": rfm["guest_orders"],
        "guest_revenue": rfm["guest_revenue"],
    }


def customers_comparison(
    con: BaseBackend,
    current: dict[str, Any],
    previous: Period,
    *,
    channel: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """`current` (customers_headline) against the compared period: previous{from, to,
    figures{...}} and change{figure: {absolute, relative}}."""
    kept = {"channel": channel, "category": category}
    buckets = new_vs_returning(con, period=previous, grain=Grain.month, **kept)
    before = customers_headline(rfm_segments(con, period=previous, **kept), buckets)
    return {
        "previous": {**previous.as_json(), "figures": before},
        "change": changes(current, before, HEADLINE),
    }


def customers_summary(
    con: BaseBackend,
    *,
    period: Period,
    views: set[str],
    grain: Grain,
    channel: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The views asked for ("new_vs_returning", "cohorts", "rfm"; all when empty), in the JSON
    shape shared by `storeops customers --json` and GET /api/v1/customers (without the header);
    filtered views add filters{channel, category}."""
    every = not views
    kept = {"channel": channel, "category": category}
    data: dict[str, Any] = {}
    if channel is not None or category is not None:
        data["filters"] = kept
    if every or "new_vs_returning" in views:
        buckets = new_vs_returning(con, period=period, grain=grain, **kept)
        data["new_vs_returning"] = {"grain": grain.value, "buckets": buckets}
    if every or "cohorts" in views:
        data["cohorts"] = asdict(cohort_retention(con, period=period, **kept))
    if every or "rfm" in views:
        data["rfm"] = rfm_segments(con, period=period, **kept)
    return data
