"""Stock health per SKU: what is on the shelf, how fast it sells, when it runs out, what
stock-outs cost, when and how much to reorder, and what sits unsold.

Definitions (all days are store-local; `as_of` is the last day, `since` the first day of the
period; the demand window is the `lookback_days` days ending on `as_of`):

- on_hand: per location, the latest inventory_levels count on or before `as_of`, summed over
  locations. A count stands for every day from its date until the next count of that location.
  None when the SKU has no count at all (no inventory history).
- stock-out day: a day whose summed count is <= 0. Days before a SKU's first count are unknown,
  never stock-out days.
- in-stock days of the window: days with a count > 0, plus days the SKU sold although counted
  out or not yet counted (a count taken at the end of the day can be 0 on a day with sales).
  Without inventory history every day of the window counts.
- velocity: units sold in the window / in-stock days of the window (units per day); None when
  the SKU had no in-stock day in the window (its demand was not observable).
- demand_sd: sample standard deviation of daily units over the in-stock days (days without a
  sale count as 0); None with fewer than two in-stock days.
- days_of_cover = on_hand / velocity (0 when on_hand <= 0, None when velocity is 0 or None);
  stockout_date = as_of + ⌊days_of_cover⌋, the day the stock is projected to run out.
- stockout_days: stock-out days in the period; lost_sales = velocity × stockout_days × price
  (price: the product's price, else the average selling price of the SKU in the data read).
- safety_stock = z × demand_sd × √lead_time, z = NormalDist().inv_cdf(service_level);
  reorder_point = velocity × lead_time + safety_stock (both rounded up to whole units);
  reorder_qty: when on_hand <= reorder_point, the units that bring stock up to
  reorder_point + velocity × cycle_days (a cycle's demand after the delivery), else 0. The
  warehouse knows no open purchase orders, so none are deducted.
- abc: by revenue (Σ price × quantity of sale orders in the period), SKUs sorted by revenue:
  A while the revenue before the SKU is < 80 % of the total (so the SKU crossing 80 % is A),
  B while < 95 %, C otherwise and for SKUs without revenue.
- xyz: coefficient of variation of daily demand (demand_sd / velocity): X < 0.5 (steady),
  Y < 1.0 (variable), Z otherwise (erratic); None when the SKU did not sell in the window.
- sell_through = units sold in the period / (units sold + max(on_hand, 0)).
- dead: on_hand > 0, no sale in the `dead_days` days ending on `as_of`, and counted in stock
  since at least the first of those days (a SKU just received is not dead).
  slow: on_hand > 0, not dead, and velocity 0 or days_of_cover > slow_cover_days.
- stock_value = max(on_hand, 0) × cost; None when the cost is unknown.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.cells import cells_are_current, sku_cells, sku_days
from storeops.commerce.compare import changes
from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period
from storeops.core.errors import UserError
from storeops.core.money import to_money

DEFAULT_LOOKBACK_DAYS = 28
DEFAULT_LEAD_TIME_DAYS = 14
DEFAULT_SERVICE_LEVEL = 0.95
DEFAULT_CYCLE_DAYS = 30
DEFAULT_DEAD_DAYS = 90
DEFAULT_SLOW_COVER_DAYS = 180
ABC_LIMITS = (0.80, 0.95)
XYZ_LIMITS = (0.5, 1.0)


@dataclass
class StockRow:
    sku: str
    title: str | None
    category: str | None
    active: bool
    price: Decimal | None
    cost: Decimal | None
    on_hand: int | None
    velocity: float | None
    demand_sd: float | None
    days_of_cover: float | None
    stockout_date: date | None
    stockout_days: int | None
    lost_sales: Decimal | None
    safety_stock: int | None
    reorder_point: int | None
    reorder_qty: int | None
    units_sold: int
    revenue: Decimal
    abc: str
    xyz: str | None
    sell_through: float | None
    last_sold: date | None  # None also when not looked up (stock_risks)
    days_since_sale: int | None
    dead: bool | None  # None in stock_risks, which does not look at sales history
    slow: bool | None
    stock_value: Decimal | None


def _check(lookback_days: int, lead_time_days: int, service_level: float) -> float:
    if lookback_days < 1:
        raise UserError(f"lookback must be at least 1 day, not {lookback_days}")
    if lead_time_days < 0:
        raise UserError(f"lead time cannot be negative ({lead_time_days} days)")
    if not 0 < service_level < 1:
        raise UserError(f"service level must be between 0 and 1 (exclusive), not {service_level}")
    return NormalDist().inv_cdf(service_level)


def _segments(con: BaseBackend, first: date, as_of: date) -> ibis.Table:
    """Runs of days with the same summed count per SKU (sku, start, end, on_hand) that overlap
    `first`..`as_of`; the first run may start earlier (its start is then not the first count)."""
    inv = con.table("inventory_levels")
    inv = inv.filter(inv.date <= as_of, inv.sku.notnull())
    # Only the counts from `first` on, and each location's last count before it, are needed:
    # the window functions below then sort weeks of counts, not years.
    last_before = (
        inv.filter(inv.date < first).group_by(["sku", "location"]).aggregate(date=inv.date.max())
    )
    inv = inv.filter(inv.date >= first).union(
        inv.semi_join(last_before, ["sku", "location", "date"])
    )
    # The same count reported twice (two sources) is one count.
    counts = inv.group_by(["sku", "location", "date"]).aggregate(on_hand=inv.on_hand.max())
    by_location = ibis.window(group_by=[counts.sku, counts.location], order_by=counts.date)
    # A location's count changes the SKU's total by its difference with that location's last one.
    changes = counts.mutate(
        delta=counts.on_hand - ibis.coalesce(counts.on_hand.lag().over(by_location), 0)
    )
    per_day = changes.group_by(["sku", "date"]).aggregate(delta=changes.delta.sum())
    running = ibis.cumulative_window(group_by=per_day.sku, order_by=per_day.date)
    following = ibis.window(group_by=per_day.sku, order_by=per_day.date)
    return per_day.select(
        "sku",
        start=per_day.date,
        end=ibis.coalesce(
            per_day.date.lead().over(following) - ibis.interval(days=1), ibis.literal(as_of)
        ),
        on_hand=per_day.delta.sum().over(running),
    )


def _days_within(seg: ibis.Table, first: date, last: date) -> ibis.Value:
    lo = ibis.greatest(seg.start, ibis.literal(first))
    hi = ibis.least(seg.end, ibis.literal(last))
    return ibis.greatest(hi.delta(lo, unit="day") + 1, 0)


def _inventory(
    seg: ibis.Table, as_of: date, since: date, window_start: date
) -> dict[str, dict[str, Any]]:
    out = seg.on_hand <= 0
    summary = seg.group_by("sku").aggregate(
        first_count=seg.start.min(),
        on_hand=ibis.ifelse(seg.end == as_of, seg.on_hand, None).max(),
        stockout_days=ibis.ifelse(out, _days_within(seg, since, as_of), 0).sum(),
        in_stock_days=ibis.ifelse(out, 0, _days_within(seg, window_start, as_of)).sum(),
    )
    return {row.pop("sku"): row for row in summary.to_pyarrow().to_pylist()}


def _sales(
    con: BaseBackend, seg: ibis.Table, since: date, as_of: date, window_start: date
) -> dict[str, dict[str, Any]]:
    """Units and revenue per SKU in the period and the window, with daily demand moments."""
    days = sku_days(con, min(since, window_start), as_of, orders=False)
    daily = days.filter(days.sku.notnull()).select(
        "sku", day=days.local_date, units=days.units, revenue=days.gross
    )
    # Each sale day meets the count that stood that day (none before the first count).
    stood = daily.left_join(
        seg, [daily.sku == seg.sku, daily.day.between(seg.start, seg.end)]
    ).select(daily.sku, daily.day, daily.units, daily.revenue, counted=seg.on_hand)
    in_window = stood.day >= window_start
    in_period = stood.day >= since
    summary = stood.group_by("sku").aggregate(
        units_window=ibis.ifelse(in_window, stood.units, 0).sum(),
        squares_window=ibis.ifelse(in_window, stood.units * stood.units, 0).sum(),
        sold_unstocked_days=ibis.ifelse(
            in_window & (stood.counted.isnull() | (stood.counted <= 0)), 1, 0
        ).sum(),
        units_period=ibis.ifelse(in_period, stood.units, 0).sum(),
        revenue_period=ibis.ifelse(in_period, stood.revenue, 0).sum(),
        units_read=stood.units.sum(),
        revenue_read=stood.revenue.sum(),
    )
    return {row.pop("sku"): row for row in summary.to_pyarrow().to_pylist()}


def _last_sold(con: BaseBackend, as_of: date) -> dict[str, date]:
    if cells_are_current(con):
        cells = sku_cells(con, None, as_of)
        cells = cells.filter(cells.sku.notnull())
        last = cells.group_by("sku").aggregate(last_sold=cells.local_date.max())
        return {row["sku"]: row["last_sold"] for row in last.to_pyarrow().to_pylist()}
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date <= as_of).select("source", "source_id", "local_date")
    lines = con.table("order_lines")
    lines = lines.filter(lines.sku.notnull())
    sold = lines.join(orders, [lines.source == orders.source, lines.order_id == orders.source_id])
    last = sold.group_by("sku").aggregate(last_sold=sold.local_date.max())
    return {row["sku"]: row["last_sold"] for row in last.to_pyarrow().to_pylist()}


def _products(con: BaseBackend) -> dict[str, dict[str, Any]]:
    products = con.table("products")
    products = products.filter(products.sku.notnull())
    summary = products.group_by("sku").aggregate(
        title=products.title.max(),
        category=products.category.max(),
        price=products.price.max(),
        cost=products.cost.max(),
        # Archived everywhere: not restocked on purpose, so not a stock-out risk.
        active=ibis.ifelse(products.status == "archived", 0, 1).max(),
    )
    return {row.pop("sku"): row for row in summary.to_pyarrow().to_pylist()}


def _abc(rows: list[StockRow]) -> None:
    total = sum((row.revenue for row in rows), Decimal(0))
    before = Decimal(0)
    for row in sorted(rows, key=lambda r: (-r.revenue, r.sku)):
        if row.revenue <= 0 or total <= 0:
            row.abc = "C"
            continue
        share = before / total
        row.abc = (
            "A"
            if share < Decimal(str(ABC_LIMITS[0]))
            else "B"
            if share < Decimal(str(ABC_LIMITS[1]))
            else "C"
        )
        before += row.revenue


def _xyz(cv: float | None) -> str | None:
    if cv is None:
        return None
    return "X" if cv < XYZ_LIMITS[0] else "Y" if cv < XYZ_LIMITS[1] else "Z"


def _up(value: float) -> int:
    """Whole units, rounded up, ignoring float noise (30.000000001 is 30)."""
    return math.ceil(round(value, 6))


def _compute(
    con: BaseBackend,
    *,
    as_of: date,
    since: date,
    lookback_days: int,
    lead_time_days: int,
    service_level: float,
    cycle_days: int,
    dead_days: int | None,
    slow_cover_days: float,
) -> list[StockRow]:
    z = _check(lookback_days, lead_time_days, service_level)
    if since > as_of:
        raise UserError(f"--from {since} is after --to {as_of}")
    window_start = as_of - timedelta(days=lookback_days - 1)
    dead_since = as_of - timedelta(days=dead_days - 1) if dead_days is not None else None
    # From dead_since on too, so that a count before it tells the SKU was held since then.
    seg = _segments(con, min(since, window_start, dead_since or as_of), as_of)
    inventory = _inventory(seg, as_of, since, window_start)
    sales = _sales(con, seg, since, as_of, window_start)
    products = _products(con)
    last_sold = _last_sold(con, as_of) if dead_days is not None else {}

    rows = []
    for sku in sorted(inventory.keys() | sales.keys() | products.keys()):
        inv, sold, product = inventory.get(sku), sales.get(sku, {}), products.get(sku, {})
        units_w = int(sold.get("units_window") or 0)
        if inv is not None:
            in_stock = int(inv["in_stock_days"]) + int(sold.get("sold_unstocked_days") or 0)
            on_hand: int | None = int(inv["on_hand"])
            stockout_days: int | None = int(inv["stockout_days"])
        else:
            in_stock, on_hand, stockout_days = lookback_days, None, None
        velocity = units_w / in_stock if in_stock else None
        sd = None
        if in_stock >= 2:
            squares = float(sold.get("squares_window") or 0)
            sd = math.sqrt(max((squares - units_w * units_w / in_stock) / (in_stock - 1), 0.0))
        cv = sd / velocity if sd is not None and velocity else None

        price = product.get("price")
        if price is None and sold.get("units_read"):
            price = to_money(sold["revenue_read"] / sold["units_read"])
        cover = None
        if on_hand is not None and velocity is not None:
            cover = 0.0 if on_hand <= 0 else (on_hand / velocity if velocity else None)
        lost = None
        if stockout_days == 0:
            lost = to_money(0)
        elif stockout_days and velocity is not None and price is not None:
            lost = to_money(Decimal(velocity) * stockout_days * price)

        safety = rop = qty = None
        if velocity is not None and sd is not None:
            safety_f = z * sd * math.sqrt(lead_time_days)
            rop_f = velocity * lead_time_days + safety_f
            safety, rop = _up(safety_f), _up(rop_f)
            if on_hand is not None:
                target = rop_f + velocity * cycle_days
                qty = max(_up(target - on_hand), 0) if on_hand <= rop else 0

        units_p = int(sold.get("units_period") or 0)
        held = max(on_hand, 0) if on_hand is not None else None
        last = last_sold.get(sku)
        dead = slow = None
        if dead_since is not None:
            dead = bool(
                held
                and (last is None or last < dead_since)
                and inv is not None
                and inv["first_count"] <= dead_since
            )
            slow = bool(held and not dead and (not velocity or (cover or 0) > slow_cover_days))
        cost = product.get("cost")
        rows.append(
            StockRow(
                sku=sku,
                title=product.get("title"),
                category=product.get("category"),
                active=bool(product.get("active", 1)),
                price=to_money(price) if price is not None else None,
                cost=to_money(cost) if cost is not None else None,
                on_hand=on_hand,
                velocity=velocity,
                demand_sd=sd,
                days_of_cover=cover,
                stockout_date=as_of + timedelta(days=math.floor(cover))
                if cover is not None
                else None,
                stockout_days=stockout_days,
                lost_sales=lost,
                safety_stock=safety,
                reorder_point=rop,
                reorder_qty=qty,
                units_sold=units_p,
                revenue=to_money(sold.get("revenue_period") or 0),
                abc="C",
                xyz=_xyz(cv) if units_w else None,
                sell_through=units_p / (units_p + held)
                if held is not None and units_p + held
                else None,
                last_sold=last,
                days_since_sale=(as_of - last).days if last is not None else None,
                dead=dead,
                slow=slow,
                stock_value=to_money(held * cost)
                if held is not None and cost is not None
                else None,
            )
        )
    _abc(rows)
    return rows


def stock_health(
    con: BaseBackend,
    *,
    as_of: date,
    since: date | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    cycle_days: int = DEFAULT_CYCLE_DAYS,
    dead_days: int = DEFAULT_DEAD_DAYS,
    slow_cover_days: float = DEFAULT_SLOW_COVER_DAYS,
) -> list[StockRow]:
    """Every known SKU (products, inventory, sales), sorted by revenue in the period.

    The period runs from `since` (default: the start of the demand window) to `as_of`.
    """
    if dead_days < 1:
        raise UserError(f"dead stock needs at least 1 day without sales, not {dead_days}")
    rows = _compute(
        con,
        as_of=as_of,
        since=since or as_of - timedelta(days=lookback_days - 1),
        lookback_days=lookback_days,
        lead_time_days=lead_time_days,
        service_level=service_level,
        cycle_days=cycle_days,
        dead_days=dead_days,
        slow_cover_days=slow_cover_days,
    )
    return sorted(rows, key=lambda r: (-r.revenue, r.sku))


def stock_risks(
    con: BaseBackend,
    *,
    as_of: date,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    cycle_days: int = DEFAULT_CYCLE_DAYS,
    limit: int | None = None,
) -> list[StockRow]:
    """Active SKUs that sell and will run out within the lead time (days of cover < lead time,
    out of stock already included), fewest days of cover first, then fastest selling.

    The period is the demand window (revenue, ABC, stock-out days); the sales history before it
    is not read, so last_sold, dead and slow are None.
    """
    rows = _compute(
        con,
        as_of=as_of,
        since=as_of - timedelta(days=lookback_days - 1),
        lookback_days=lookback_days,
        lead_time_days=lead_time_days,
        service_level=service_level,
        cycle_days=cycle_days,
        dead_days=None,
        slow_cover_days=DEFAULT_SLOW_COVER_DAYS,
    )
    risky = sorted((row for row in rows if at_risk(row, lead_time_days)), key=by_cover)
    return risky[:limit] if limit is not None else risky


def at_risk(row: StockRow, lead_time_days: int) -> bool:
    """Active, selling, and running out before a delivery ordered today would arrive."""
    return bool(
        row.active
        and row.velocity
        and row.days_of_cover is not None
        and row.days_of_cover < lead_time_days
    )


def by_cover(row: StockRow) -> tuple[float, float, str]:
    """Fewest days of cover first, then the fastest sellers."""
    return (row.days_of_cover or 0.0, -(row.velocity or 0.0), row.sku)


class StockView(StrEnum):
    all = "all"  # every SKU by revenue
    risk = "risk"  # will run out within the lead time, fewest days of cover first
    dead = "dead"  # dead, then slow stock, by value tied up
    abc = "abc"  # by ABC class, then revenue


def stock_view(rows: list[StockRow], view: StockView) -> list[StockRow]:
    """The rows a view lists, in its order (rows as stock_health gives them)."""
    if view is StockView.risk:
        # stock_risks' list, from the rows already computed
        return sorted((r for r in rows if at_risk(r, DEFAULT_LEAD_TIME_DAYS)), key=by_cover)
    if view is StockView.dead:
        return sorted(
            (r for r in rows if r.dead or r.slow),
            key=lambda r: (not r.dead, -(r.stock_value or 0), r.sku),
        )
    if view is StockView.abc:
        return sorted(rows, key=lambda r: (r.abc, -r.revenue, r.sku))
    return rows


def _money_sum(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def stock_totals(rows: list[StockRow]) -> dict[str, Any]:
    dead = [r for r in rows if r.dead]
    slow = [r for r in rows if r.slow]
    return {
        "skus": len(rows),
        "on_hand": sum(max(r.on_hand, 0) for r in rows if r.on_hand is not None),
        "stock_value": _money_sum([r.stock_value for r in rows]),
        "stockout_days": sum(r.stockout_days or 0 for r in rows),
        "lost_sales": _money_sum([r.lost_sales for r in rows]),
        "at_risk": sum(1 for r in rows if at_risk(r, DEFAULT_LEAD_TIME_DAYS)),
        "dead_skus": len(dead),
        "dead_value": _money_sum([r.stock_value for r in dead]),
        "slow_skus": len(slow),
        "slow_value": _money_sum([r.stock_value for r in slow]),
    }


SKU_FIGURES = ("velocity", "units_sold", "revenue", "stockout_days", "lost_sales")


def stock_comparison(
    rows: list[StockRow], previous_rows: list[StockRow], previous: Period
) -> dict[str, Any]:
    """The stock health of the compared period (stock_health's rows as of its last day) against
    this one's: previous{from, to, totals}, change{totals{figure: {absolute, relative}}}, and
    per SKU of `rows` skus{sku: {previous{velocity, units_sold, revenue, stockout_days,
    lost_sales}, change{...}}} (previous figures None for a SKU unknown then)."""
    now, before = stock_totals(rows), stock_totals(previous_rows)
    then = {row.sku: asdict(row) for row in previous_rows}
    skus = {}
    for row in rows:
        figures = asdict(row)
        earlier = then.get(row.sku, {})
        old = {name: earlier.get(name) for name in SKU_FIGURES}
        skus[row.sku] = {"previous": old, "change": changes(figures, old, SKU_FIGURES)}
    return {
        "previous": {**previous.as_json(), "totals": before},
        "change": {"totals": changes(now, before, now)},
        "skus": skus,
    }


def abc_classes(rows: list[StockRow]) -> dict[str, Any]:
    """Per ABC class: SKUs, revenue and its share; and the ABC × XYZ matrix of SKU counts."""
    revenue = _money_sum([r.revenue for r in rows])
    classes = {}
    for name in "ABC":
        members = [r for r in rows if r.abc == name]
        value = _money_sum([r.revenue for r in members])
        classes[name] = {
            "skus": len(members),
            "revenue": value,
            "share": float(value / revenue) if revenue else None,
        }
    matrix = {
        f"{a}{x}": sum(1 for r in rows if r.abc == a and r.xyz == x) for a in "ABC" for x in "XYZ"
    }
    return {"classes": classes, "matrix": matrix}


def stock_summary(
    rows: list[StockRow],
    *,
    period: Period,
    view: StockView,
    currency: str,
    limit: int | None = None,
) -> dict[str, Any]:
    """What `storeops stock --json` and GET /api/v1/stock answer, before JSON encoding (money
    Decimal, days as dates): the totals of all `rows` (stock_health's, with the default
    parameters) and the view's SKUs, cut to `limit`. Keys: storeops.cli.stock's docstring."""
    data: dict[str, Any] = {
        **period.as_json(),
        "as_of": period.end,
        "currency": currency,
        "view": view.value,
        "lookback_days": DEFAULT_LOOKBACK_DAYS,
        "lead_time_days": DEFAULT_LEAD_TIME_DAYS,
        "service_level": DEFAULT_SERVICE_LEVEL,
        "totals": stock_totals(rows),
    }
    if view is StockView.abc:
        data.update(abc_classes(rows))
    data["skus"] = [asdict(r) for r in stock_view(rows, view)[:limit]]
    return data
