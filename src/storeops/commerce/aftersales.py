"""After-sales: returns and refunds of the period's orders, the SKUs whose returns stand out,
and the service levels of support tickets.

Returns (`returns_report`) follow the period's orders, wherever their refunds fall in time, so
that rates compare like with like: of what was sold in the period, how much came back. Recent
periods look better than they will end up, since returns arrive days or weeks after the order.

- Sales: lines of sale orders placed in the period. units = Σ quantity,
  net_sales = Σ (price × quantity − line discount), the amount a refund repays.
- Refund by SKU: a refund with refund_lines is itemised by them (sku, quantity, amount). A
  refund without lines is apportioned to its order's lines by their share of the order's net
  line value: amount × line value / order value, and units = line quantity × refund / order value
  (an estimate: the value refunded in units of the line). Refunds of orders without line value
  cannot be attributed; they stay in the totals and by reason, and `unattributed` shows them.
- refund_rate = refunded / net_sales (value); unit_return_rate = units returned / units sold.
  By reason: refunds' amounts, and their share of all refunded value.

A SKU's returns stand out (`standout`) when, among SKUs with at least MIN_UNITS units sold, it has
at least MIN_RETURNS units returned and an exact one-sided binomial test rejects "its units come
back at the rate of the rest of its category" (the category's other SKUs, so a big SKU does not
set its own baseline; the rest of the shop for a SKU alone in its category), with the
Benjamini-Hochberg procedure keeping the false discovery rate across SKUs at FDR (5 %). Units of
one order are treated as independent, which they are not quite (a customer may send back a whole
multi-unit order); the minimum counts and the FDR control keep that from flagging small sellers.
Estimated units (apportioned refunds) are rounded to whole units for the test.

Tickets (`ticket_report`) are read as of the end of the period's last day in the store's zone
(later responses and resolutions have not happened yet):

- backlog: tickets opened by then and not resolved by then (a ticket resolved or closed without a
  resolution time counts as resolved); backlog_start is the same at the start of the period.
- Of the tickets opened in the period: first-response and resolution hours (p50, p90, linear
  interpolation) over those answered / resolved; SLA compliance = met / (met + breached), where a
  ticket still waiting is breached once older than its target and pending (left out) before;
  satisfaction = average rating and share of ratings 4-5 among rated tickets.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.compare import changes
from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period
from storeops.core.money import to_money
from storeops.core.settings import AftersalesSettings

MIN_UNITS = 20
MIN_RETURNS = 3
FDR = 0.05
BACKLOG_GROWTH = 0.25  # the backlog alert: at least 25 % more tickets open...
BACKLOG_GROWTH_MIN = 5  # ...and at least 5 more
NO_VALUE = "(none)"
RESOLVED = ("resolved", "closed")


@dataclass
class ReturnRow:
    key: str  # the SKU, category or reason
    units_sold: int
    net_sales: Decimal
    units_returned: float
    refunded: Decimal
    refund_rate: float | None
    unit_return_rate: float | None
    category: str | None = None  # by SKU only


@dataclass
class Standout:
    sku: str
    category: str
    units_sold: int
    units_returned: int
    return_rate: float
    baseline_rate: float  # the rest of the category (or of the shop)
    p_value: float
    q_value: float  # Benjamini-Hochberg adjusted


@dataclass
class ReturnsReport:
    period: Period
    totals: dict[str, Any]
    by_sku: list[ReturnRow]
    by_category: list[ReturnRow]
    by_reason: list[dict[str, Any]]
    standouts: list[Standout] = field(default_factory=list)


def _cohort(con: BaseBackend, period: Period) -> ibis.Table:
    orders = sale_orders(con)
    return orders.filter(orders.local_date.between(period.start, period.end)).select(
        "source", "source_id"
    )


def _categories(con: BaseBackend) -> ibis.Table:
    products = con.table("products")
    return (
        products.filter(products.sku.notnull())
        .group_by("sku")
        .aggregate(category=products.category.max())
    )


def _rows(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row.pop("key"): row for row in items}


def returns_report(con: BaseBackend, period: Period) -> ReturnsReport:
    orders = _cohort(con, period)
    lines = con.table("order_lines")
    lines = lines.join(
        orders, [lines.source == orders.source, lines.order_id == orders.source_id]
    ).select(
        "source",
        "order_id",
        sku=ibis.coalesce(lines.sku, ibis.literal(NO_VALUE)),
        units=lines.quantity,
        value=lines.price * lines.quantity - ibis.coalesce(lines.discount, 0),
    )
    refunds = con.table("refunds")
    refunds = refunds.join(
        orders, [refunds.source == orders.source, refunds.order_id == orders.source_id]
    ).select(
        "source",
        "order_id",
        refund_id=refunds.source_id,
        amount=refunds.amount,
        reason=ibis.coalesce(refunds.reason, ibis.literal(NO_VALUE)),
    )

    refund_lines = con.table("refund_lines")
    itemised = refund_lines.join(
        refunds,
        [refund_lines.source == refunds.source, refund_lines.refund_id == refunds.refund_id],
    ).select(
        sku=ibis.coalesce(refund_lines.sku, ibis.literal(NO_VALUE)),
        units=refund_lines.quantity.cast("float64"),
        amount=refund_lines.amount.cast("float64"),
    )
    with_lines = refund_lines.select("source", "refund_id").distinct()
    bare = refunds.anti_join(
        with_lines,
        [refunds.source == with_lines.source, refunds.refund_id == with_lines.refund_id],
    )
    order_value = lines.group_by(["source", "order_id"]).aggregate(order_value=lines.value.sum())
    valued = lines.join(order_value, ["source", "order_id"])
    valued = valued.filter(valued.order_value > 0)
    share = bare.join(valued, [bare.source == valued.source, bare.order_id == valued.order_id])
    fraction = share.amount.cast("float64") / share.order_value.cast("float64")
    apportioned = share.select(
        "sku",
        units=share.units * fraction,
        amount=share.value.cast("float64") * fraction,
    )
    categories = _categories(con)
    attributed = itemised.union(apportioned)
    attributed = attributed.left_join(categories, attributed.sku == categories.sku).select(
        attributed.units,
        attributed.amount,
        attributed.sku,
        category=ibis.coalesce(categories.category, ibis.literal(NO_VALUE)),
    )
    # Views: Ibis cannot extend a join chain whose selected columns are computed.
    of_sku, sold = categories.view(), lines.view()
    sold = sold.left_join(of_sku, sold.sku == of_sku.sku).select(
        sold.units,
        sold.value,
        sold.sku,
        category=ibis.coalesce(of_sku.category, ibis.literal(NO_VALUE)),
    )

    def grouped(table: ibis.Table, key: str, **aggs: Any) -> dict[str, dict[str, Any]]:
        expr = table.group_by(table[key].name("key")).aggregate(**aggs)
        return _rows(expr.to_pyarrow().to_pylist())

    sku_sold = grouped(
        sold, "sku", category=sold.category.max(), units=sold.units.sum(), value=sold.value.sum()
    )
    sku_back = grouped(
        attributed,
        "sku",
        category=attributed.category.max(),
        units=attributed.units.sum(),
        amount=attributed.amount.sum(),
    )
    cat_sold = grouped(sold, "category", units=sold.units.sum(), value=sold.value.sum())
    cat_back = grouped(
        attributed, "category", units=attributed.units.sum(), amount=attributed.amount.sum()
    )
    reasons = grouped(refunds, "reason", refunds=refunds.count(), amount=refunds.amount.sum())
    reason_units = grouped(
        refund_lines.join(
            refunds,
            [refund_lines.source == refunds.source, refund_lines.refund_id == refunds.refund_id],
        ),
        "reason",
        units=refund_lines.quantity.sum(),
    )
    order_count = orders.count().to_pyarrow().as_py()
    refunded_orders = refunds.select("source", "order_id").distinct().count().to_pyarrow().as_py()

    by_sku = [
        _return_row(
            sku,
            sku_sold.get(sku, {}),
            sku_back.get(sku, {}),
            category=(sku_sold.get(sku) or sku_back[sku])["category"],
        )
        for sku in sorted(sku_sold.keys() | sku_back.keys())
    ]
    by_category = [
        _return_row(cat, cat_sold.get(cat, {}), cat_back.get(cat, {}))
        for cat in sorted(cat_sold | cat_back)
    ]
    units_sold = sum(int(r["units"] or 0) for r in sku_sold.values())
    net_sales = to_money(sum((r["value"] or 0 for r in sku_sold.values()), Decimal(0)))
    refunded = to_money(sum((r["amount"] or 0 for r in reasons.values()), Decimal(0)))
    attributed_total = to_money(sum(Decimal(r["amount"] or 0) for r in sku_back.values()))
    units_returned = sum(float(r["units"] or 0) for r in sku_back.values())
    by_reason = [
        {
            "reason": reason,
            "refunds": int(row["refunds"]),
            "refunded": to_money(row["amount"] or 0),
            "units_returned": int((reason_units.get(reason) or {}).get("units") or 0),
            "share": float(row["amount"] / refunded) if refunded else None,
            "refund_rate": float(row["amount"] / net_sales) if net_sales else None,
        }
        for reason, row in sorted(reasons.items(), key=lambda kv: (-kv[1]["amount"], kv[0]))
    ]
    totals = {
        "orders": int(order_count),
        "refunded_orders": int(refunded_orders),
        "order_refund_rate": refunded_orders / order_count if order_count else None,
        "units_sold": units_sold,
        "units_returned": round(units_returned, 2),
        "unit_return_rate": units_returned / units_sold if units_sold else None,
        "net_sales": net_sales,
        "refunded": refunded,
        "refund_rate": float(refunded / net_sales) if net_sales else None,
        "unattributed": refunded - attributed_total,
    }
    report = ReturnsReport(period, totals, by_sku, by_category, by_reason)
    report.standouts = standouts(by_sku)
    return report


def _return_row(
    key: str, sold: dict[str, Any], back: dict[str, Any], category: str | None = None
) -> ReturnRow:
    units = int(sold.get("units") or 0)
    value = to_money(sold.get("value") or 0)
    returned = float(back.get("units") or 0)
    refunded = to_money(Decimal(back.get("amount") or 0))
    return ReturnRow(
        key=key,
        units_sold=units,
        net_sales=value,
        units_returned=round(returned, 2),
        refunded=refunded,
        refund_rate=float(refunded / value) if value else None,
        unit_return_rate=returned / units if units else None,
        category=category,
    )


def binomial_tail(x: int, n: int, p: float) -> float:
    """P(X >= x) for X ~ Binomial(n, p), summed in log space from x up."""
    if x <= 0:
        return 1.0
    if x > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(x, n + 1):
        term = math.exp(
            math.lgamma(n + 1)
            - math.lgamma(k + 1)
            - math.lgamma(n - k + 1)
            + k * log_p
            + (n - k) * log_q
        )
        total += term
        if k > n * p and term < total * 1e-15:  # past the mode the terms only shrink
            break
    return min(total, 1.0)


def standouts(by_sku: list[ReturnRow]) -> list[Standout]:
    """SKUs returned significantly more than the rest of their category (module docstring)."""
    per_category: dict[str, list[float]] = {}
    for row in by_sku:
        sums = per_category.setdefault(row.category or NO_VALUE, [0, 0.0])
        sums[0] += row.units_sold
        sums[1] += round(row.units_returned)
    shop_units = sum(s[0] for s in per_category.values())
    shop_back = sum(s[1] for s in per_category.values())

    tested: list[tuple[float, ReturnRow, int, float]] = []
    for row in by_sku:
        if row.units_sold < MIN_UNITS:
            continue
        x = min(round(row.units_returned), row.units_sold)
        units, back = per_category[row.category or NO_VALUE]
        rest_units, rest_back = units - row.units_sold, back - x
        if rest_units <= 0:
            rest_units, rest_back = shop_units - row.units_sold, shop_back - x
        if rest_units <= 0:
            continue
        baseline = rest_back / rest_units
        above = x >= MIN_RETURNS and x > row.units_sold * baseline
        # Below the baseline the one-sided p-value is at least ~0.5: 1 is a safe bound.
        p = binomial_tail(x, row.units_sold, baseline) if above else 1.0
        tested.append((p, row, x, baseline))

    # Benjamini-Hochberg: q_(i) = min over j >= i of p_(j) × m / j.
    tested.sort(key=lambda t: t[0])
    m = len(tested)
    q_values = [0.0] * m
    running = 1.0
    for i in range(m - 1, -1, -1):
        running = min(running, tested[i][0] * m / (i + 1))
        q_values[i] = running
    found = [
        Standout(
            sku=row.key,
            category=row.category or NO_VALUE,
            units_sold=row.units_sold,
            units_returned=x,
            return_rate=x / row.units_sold,
            baseline_rate=baseline,
            p_value=p,
            q_value=q,
        )
        for (p, row, x, baseline), q in zip(tested, q_values, strict=True)
        if q <= FDR and p < 1.0
    ]
    return found


@dataclass
class TicketReport:
    period: Period
    backlog: int
    backlog_start: int
    opened: int
    answered: int
    resolved: int
    first_response_hours: dict[str, float | None]  # p50, p90
    resolution_hours: dict[str, float | None]
    first_response_sla: dict[str, Any]  # met, breached, pending, compliance
    resolution_sla: dict[str, Any]
    satisfaction: dict[str, Any]  # rated, average, share_4_5
    by_category: list[dict[str, Any]]


def _utc_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant (naive, as stored) at which a store-local day begins."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _target(category: ibis.Value, targets: AftersalesSettings, name: str) -> ibis.Value:
    default = getattr(targets, name)
    cases = [
        (category == key, ibis.literal(float(getattr(over, name))))
        for key, over in targets.categories.items()
        if getattr(over, name) is not None
    ]
    otherwise = ibis.literal(float(default))
    return ibis.cases(*cases, else_=otherwise) if cases else otherwise


def _hours(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    return (later.epoch_seconds() - earlier.epoch_seconds()) / 3600.0


def _backlog(tickets: ibis.Table, day: date, cutoff: datetime) -> int:
    open_then = (tickets.local_date < day) & (
        (tickets.resolved_at.isnull() & ~tickets.status.isin(RESOLVED))
        | (tickets.resolved_at >= cutoff)
    )
    return int(tickets.filter(open_then).count().to_pyarrow().as_py())


def _sla(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    met, breached = int(row[f"{prefix}_met"] or 0), int(row[f"{prefix}_breached"] or 0)
    return {
        "met": met,
        "breached": breached,
        "pending": int(row[f"{prefix}_pending"] or 0),
        "compliance": met / (met + breached) if met + breached else None,
    }


def ticket_report(
    con: BaseBackend, period: Period, targets: AftersalesSettings, *, timezone: str = "UTC"
) -> TicketReport:
    tickets = con.table("tickets")
    cutoff = _utc_midnight(period.end + timedelta(days=1), timezone)
    start_cutoff = _utc_midnight(period.start, timezone)
    t = tickets.filter(tickets.local_date.between(period.start, period.end))
    answered_at = ibis.ifelse(t.first_response_at < cutoff, t.first_response_at, None)
    resolved_at = ibis.ifelse(t.resolved_at < cutoff, t.resolved_at, None)
    t = t.mutate(
        category=ibis.coalesce(t.category, ibis.literal(NO_VALUE)),
        response=_hours(answered_at, t.opened_at),
        resolution=_hours(resolved_at, t.opened_at),
        age=_hours(ibis.literal(cutoff), t.opened_at),
    )
    t = t.mutate(
        response_target=_target(t.category, targets, "first_response_hours"),
        resolution_target=_target(t.category, targets, "resolution_hours"),
    )

    def one(flag: ibis.Value) -> ibis.Value:
        return ibis.ifelse(flag, 1, 0).sum()

    def slas(prefix: str, hours: ibis.Value, target: ibis.Value) -> dict[str, ibis.Value]:
        waiting = hours.isnull()
        return {
            f"{prefix}_met": one(hours.notnull() & (hours <= target)),
            f"{prefix}_breached": one(
                (hours.notnull() & (hours > target)) | (waiting & (t.age > target))
            ),
            f"{prefix}_pending": one(waiting & (t.age <= target)),
        }

    rated = t.satisfaction.notnull()
    aggs = {
        "opened": t.count(),
        "answered": one(t.response.notnull()),
        "resolved": one(t.resolution.notnull()),
        "response_p50": t.response.quantile(0.5),
        "response_p90": t.response.quantile(0.9),
        "resolution_p50": t.resolution.quantile(0.5),
        "resolution_p90": t.resolution.quantile(0.9),
        **slas("response", t.response, t.response_target),
        **slas("resolution", t.resolution, t.resolution_target),
        "rated": one(rated),
        "rating_sum": ibis.ifelse(rated, t.satisfaction, 0).sum(),
        "rated_4_5": one(rated & (t.satisfaction >= 4)),
    }
    overall = t.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    categories = t.group_by("category").aggregate(**aggs).to_pyarrow().to_pylist()

    return TicketReport(
        period=period,
        backlog=_backlog(tickets, period.end + timedelta(days=1), cutoff),
        backlog_start=_backlog(tickets, period.start, start_cutoff),
        opened=int(overall["opened"]),
        answered=int(overall["answered"] or 0),
        resolved=int(overall["resolved"] or 0),
        first_response_hours=_percentiles(overall, "response"),
        resolution_hours=_percentiles(overall, "resolution"),
        first_response_sla=_sla("response", overall),
        resolution_sla=_sla("resolution", overall),
        satisfaction=_satisfaction(overall),
        by_category=sorted(
            (
                {
                    "category": row["category"],
                    "opened": int(row["opened"]),
                    "first_response_hours": _percentiles(row, "response"),
                    "resolution_hours": _percentiles(row, "resolution"),
                    "first_response_sla": _sla("response", row),
                    "resolution_sla": _sla("resolution", row),
                    "satisfaction": _satisfaction(row),
                }
                for row in categories
            ),
            key=lambda r: (-r["opened"], r["category"]),
        ),
    )


def _percentiles(row: dict[str, Any], prefix: str) -> dict[str, float | None]:
    return {
        "p50": _float(row[f"{prefix}_p50"]),
        "p90": _float(row[f"{prefix}_p90"]),
    }


def _float(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def _satisfaction(row: dict[str, Any]) -> dict[str, Any]:
    rated = int(row["rated"] or 0)
    return {
        "rated": rated,
        "average": int(row["rating_sum"]) / rated if rated else None,
        "share_4_5": int(row["rated_4_5"]) / rated if rated else None,
    }


def aftersales_alerts(
    con: BaseBackend, period: Period, targets: AftersalesSettings, *, timezone: str = "UTC"
) -> list[dict[str, Any]]:
    """The few things the morning briefing shows: SKUs whose returns stand out, ticket SLA
    compliance below `targets.compliance_target`, and a growing backlog.

    Each alert: kind, message, and the figures behind it (value, threshold, sku when any).
    """
    returns = returns_report(con, period)
    tickets = ticket_report(con, period, targets, timezone=timezone)
    return alerts_from(returns, tickets, targets)


def alerts_from(
    returns: ReturnsReport, tickets: TicketReport, targets: AftersalesSettings
) -> list[dict[str, Any]]:
    """aftersales_alerts from reports already computed."""
    alerts: list[dict[str, Any]] = []
    for s in returns.standouts:
        alerts.append(
            {
                "kind": "returns_standout",
                "sku": s.sku,
                "value": s.return_rate,
                "threshold": s.baseline_rate,
                "message": (
                    f"{s.sku}: {s.units_returned} of {s.units_sold} units returned "
                    f"({s.return_rate:.1%}) against {s.baseline_rate:.1%} for the rest of "
                    f"{s.category}"
                ),
            }
        )
    for kind, label, sla in (
        ("first_response_sla", "first response", tickets.first_response_sla),
        ("resolution_sla", "resolution", tickets.resolution_sla),
    ):
        compliance = sla["compliance"]
        if compliance is not None and compliance < targets.compliance_target:
            alerts.append(
                {
                    "kind": kind,
                    "sku": None,
                    "value": compliance,
                    "threshold": targets.compliance_target,
                    "message": (
                        f"{label} within target for {compliance:.0%} of tickets "
                        f"({sla['breached']} late), target {targets.compliance_target:.0%}"
                    ),
                }
            )
    grown = tickets.backlog - tickets.backlog_start
    if grown >= BACKLOG_GROWTH_MIN and grown >= BACKLOG_GROWTH * tickets.backlog_start:
        alerts.append(
            {
                "kind": "backlog_growth",
                "sku": None,
                "value": tickets.backlog,
                "threshold": tickets.backlog_start,
                "message": f"ticket backlog grew from {tickets.backlog_start} to {tickets.backlog}",
            }
        )
    return alerts


def aftersales_summary(
    returns: ReturnsReport,
    tickets: TicketReport,
    targets: AftersalesSettings,
    *,
    currency: str,
    limit: int | None = None,
) -> dict[str, Any]:
    """What `storeops aftersales --json` and GET /api/v1/aftersales answer, before JSON encoding
    (money Decimal): by_sku sorted by refunded value, largest first, cut to `limit`.
    Keys: storeops.cli.aftersales' docstring."""
    by_sku = sorted(returns.by_sku, key=lambda r: (-r.refunded, r.key))[:limit]
    ticket_data = asdict(tickets)
    ticket_data.pop("period")
    return {
        **returns.period.as_json(),
        "currency": currency,
        "targets": targets.model_dump(),
        "returns": {
            "totals": returns.totals,
            "by_sku": [asdict(r) for r in by_sku],
            "by_category": [asdict(r) for r in returns.by_category],
            "by_reason": returns.by_reason,
            "standouts": [asdict(s) for s in returns.standouts],
        },
        "tickets": ticket_data,
        "alerts": alerts_from(returns, tickets, targets),
    }


def aftersales_headline(returns: ReturnsReport, tickets: TicketReport) -> dict[str, Any]:
    """The figures a period is judged by: return rates, refunded value, ticket SLA compliance,
    median first response, backlog at the end, satisfaction, tickets opened."""
    return {
        "refund_rate": returns.totals["refund_rate"],
        "unit_return_rate": returns.totals["unit_return_rate"],
        "order_refund_rate": returns.totals["order_refund_rate"],
        "refunded": returns.totals["refunded"],
        "first_response_sla": tickets.first_response_sla["compliance"],
        "resolution_sla": tickets.resolution_sla["compliance"],
        "first_response_p50_hours": tickets.first_response_hours["p50"],
        "backlog": tickets.backlog,
        "satisfaction": tickets.satisfaction["average"],
        "tickets_opened": tickets.opened,
    }


def aftersales_comparison(
    current: tuple[ReturnsReport, TicketReport], previous: tuple[ReturnsReport, TicketReport]
) -> dict[str, Any]:
    """The headline figures of the compared period and how each moved since:
    {previous{from, to, figures}, change{figure: {absolute, relative}}}; a rate's absolute
    change is in points."""
    now, before = aftersales_headline(*current), aftersales_headline(*previous)
    return {
        "previous": {**previous[0].period.as_json(), "figures": before},
        "change": changes(now, before, now),
    }
