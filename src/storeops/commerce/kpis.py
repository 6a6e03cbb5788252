"""Sales KPIs with Shopify's finance definitions (DESIGN.md), for a period and its comparison.

gross sales = Σ line price × quantity; discounts = Σ order discounts; returns = Σ refunds dated in
the period; net sales = gross − discounts − returns; total sales = net + shipping + taxes;
orders = orders that are sales; average order value = (gross − discounts) / orders.
Each query computes every period at once, grouped by a period label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.cells import cells_are_current, order_cells, refund_cells, sku_cells
from storeops.commerce.compare import change
from storeops.commerce.period import Compare, Period, period_label, within
from storeops.core.money import money_str, to_money

MONEY_KPIS = (
    "gross_sales",
    "discounts",
    "returns",
    "net_sales",
    "shipping",
    "taxes",
    "total_sales",
    "average_order_value",
    "gross_profit",
)
COUNT_KPIS = (
    "orders",
    "units_sold",
    "customers",
    "new_customers",
    "returning_customers",
    "sessions",
)
# How people read each KPI, in the order reports show them.
KPI_LABELS = {
    "net_sales": "Net sales",
    "orders": "Orders",
    "average_order_value": "Average order value",
    "conversion_rate": "Conversion rate",
    "gross_sales": "Gross sales",
    "discounts": "Discounts",
    "returns": "Returns",
    "shipping": "Shipping",
    "taxes": "Taxes",
    "total_sales": "Total sales",
    "units_sold": "Units sold",
    "customers": "Customers",
    "new_customers": "New customers",
    "returning_customer_rate": "Returning customer rate",
    "sessions": "Sessions",
    "gross_profit": "Gross profit",
    "gross_margin": "Gross margin",
}
RATE_KPIS = ("returning_customer_rate", "conversion_rate", "gross_margin", "cost_coverage")


@dataclass
class KpiReport:
    period: Period
    kpis: dict[str, Any]
    previous_period: Period | None = None
    previous: dict[str, Any] | None = None
    change: dict[str, dict[str, Any]] = field(default_factory=dict)


def sale_orders(con: BaseBackend) -> ibis.Table:
    orders = con.table("orders")
    return orders.filter(orders.is_sale)


Sums = dict[str, dict[str, Any]]  # period name -> summed column -> value


def _by_period(expr: ibis.Table) -> Sums:
    """Runs an aggregate grouped by `period` and keys its rows by period name."""
    return {row.pop("period"): row for row in expr.to_pyarrow().to_pylist()}


def compute_kpis(con: BaseBackend, periods: dict[str, Period]) -> dict[str, dict[str, Any]]:
    """The KPIs of each named period."""
    orders = sale_orders(con)
    orders = orders.filter(within(orders.local_date, periods)).mutate(
        period=period_label(orders.local_date, periods)
    )
    if cells_are_current(con):
        order_sums, line_sums, returns = _cell_sums(con, periods)
        customers = _by_period(
            orders.group_by("period").aggregate(customers=orders.customer_id.nunique())
        )
        for name, row in customers.items():
            order_sums.setdefault(name, {}).update(row)
    else:
        order_sums, line_sums, returns = _fact_sums(con, orders, periods)

    # A customer new in a period bought in it: only the periods' buyers need their first day,
    # and orders after the last period cannot be anyone's first in it (at 10M order lines
    # this is 3x faster than the first day of every customer).
    buyers = orders.filter(orders.customer_id.notnull()).select("customer_id").distinct()
    all_sales = sale_orders(con)
    last_day = max(p.end for p in periods.values())
    all_sales = all_sales.filter(all_sales.local_date <= last_day).semi_join(buyers, "customer_id")
    firsts = all_sales.group_by("customer_id").aggregate(first_day=all_sales.local_date.min())
    firsts = firsts.filter(within(firsts.first_day, periods)).mutate(
        period=period_label(firsts.first_day, periods)
    )
    new = _by_period(firsts.group_by("period").aggregate(new_customers=firsts.count()))

    traffic = con.table("traffic")
    traffic = traffic.filter(within(traffic.date, periods)).mutate(
        period=period_label(traffic.date, periods)
    )
    visits = _by_period(traffic.group_by("period").aggregate(sessions=traffic.sessions.sum()))

    return {
        name: _derive(
            order_sums.get(name, {}),
            line_sums.get(name, {}),
            returns.get(name, {}),
            new.get(name, {}),
            visits.get(name, {}),
        )
        for name in periods
    }


def _unit_costs(con: BaseBackend) -> ibis.Table:
    costs = con.table("products")
    return costs.filter(costs.cost.notnull()).group_by("sku").aggregate(unit_cost=costs.cost.max())


def _line_sums(
    table: ibis.Table, value: ibis.Value, discount: ibis.Value, units: ibis.Value
) -> Sums:
    """Gross, units, line discounts and the costed part of sales, per period, of lines or of
    cells (`unit_cost` joined by SKU)."""
    has_cost = table.unit_cost.notnull()
    return _by_period(
        table.group_by("period").aggregate(
            gross_sales=value.sum(),
            units_sold=units.sum(),
            line_discounts=discount.sum(),
            costed_sales=ibis.ifelse(has_cost, value - discount, 0).sum(),
            cost_of_goods=ibis.ifelse(has_cost, table.unit_cost * units, 0).sum(),
        )
    )


def _fact_sums(
    con: BaseBackend, orders: ibis.Table, periods: dict[str, Period]
) -> tuple[Sums, Sums, Sums]:
    """Order, line and refund sums per period from the orders, lines and refunds."""
    order_sums = _by_period(
        orders.group_by("period").aggregate(
            orders=orders.count(),
            discounts=orders.discounts.sum(),
            shipping=orders.shipping.sum(),
            taxes=orders.taxes.sum(),
            customers=orders.customer_id.nunique(),
        )
    )
    lines = con.table("order_lines")
    sold = lines.join(
        orders.select("source", "source_id", "period"),
        [lines.source == orders.source, lines.order_id == orders.source_id],
    ).left_join(_unit_costs(con), "sku")
    line_sums = _line_sums(sold, sold.price * sold.quantity, sold.discount, sold.quantity)
    refunds = con.table("refunds")
    refunds = refunds.filter(within(refunds.local_date, periods)).mutate(
        period=period_label(refunds.local_date, periods)
    )
    returns = _by_period(refunds.group_by("period").aggregate(returns=refunds.amount.sum()))
    return order_sums, line_sums, returns


def _cell_sums(con: BaseBackend, periods: dict[str, Period]) -> tuple[Sums, Sums, Sums]:
    """The same sums from the daily cells (commerce/cells.py); customers are counted apart."""
    first = min(p.start for p in periods.values())
    last = max(p.end for p in periods.values())

    def labelled(table: ibis.Table) -> ibis.Table:
        table = table.filter(within(table.local_date, periods))
        return table.mutate(period=period_label(table.local_date, periods))

    daily = labelled(order_cells(con, first, last))
    order_sums = _by_period(
        daily.group_by("period").aggregate(
            orders=daily.orders.sum(),
            discounts=daily.discounts.sum(),
            shipping=daily.shipping.sum(),
            taxes=daily.taxes.sum(),
        )
    )
    skus = labelled(sku_cells(con, first, last)).left_join(_unit_costs(con), "sku")
    line_sums = _line_sums(skus, skus.gross, skus.line_discounts, skus.units)
    refunded = labelled(refund_cells(con, "channel", first, last))
    returns = _by_period(refunded.group_by("period").aggregate(returns=refunded.amount.sum()))
    return order_sums, line_sums, returns


def _money(value: Any) -> Decimal:
    return to_money(value if value is not None else 0)


def _derive(order_sums, line_sums, returns, new, visits) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    orders = int(order_sums.get("orders") or 0)
    gross = _money(line_sums.get("gross_sales"))
    discounts = _money(order_sums.get("discounts"))
    refunded = _money(returns.get("returns"))
    shipping = _money(order_sums.get("shipping"))
    taxes = _money(order_sums.get("taxes"))
    net = gross - discounts - refunded
    customers = int(order_sums.get("customers") or 0)
    new_customers = min(int(new.get("new_customers") or 0), customers)
    sessions = visits.get("sessions")
    costed = _money(line_sums.get("costed_sales"))
    cogs = _money(line_sums.get("cost_of_goods"))
    net_lines = gross - _money(line_sums.get("line_discounts"))
    return {
        "orders": orders,
        "gross_sales": gross,
        "discounts": discounts,
        "returns": refunded,
        "net_sales": net,
        "shipping": shipping,
        "taxes": taxes,
        "total_sales": net + shipping + taxes,
        "average_order_value": to_money((gross - discounts) / orders) if orders else None,
        "units_sold": int(line_sums.get("units_sold") or 0),
        "customers": customers,
        "new_customers": new_customers,
        "returning_customers": customers - new_customers,
        "returning_customer_rate": (customers - new_customers) / customers if customers else None,
        "sessions": int(sessions) if sessions is not None else None,
        "conversion_rate": orders / int(sessions) if sessions else None,
        "gross_profit": costed - cogs if costed else None,
        "gross_margin": float((costed - cogs) / costed) if costed else None,
        "cost_coverage": float(costed / net_lines) if costed and net_lines else None,
    }


def kpi_report(con: BaseBackend, period: Period, compare: Compare) -> KpiReport:
    other = period.compared(compare)
    periods = {"current": period} | ({"previous": other} if other else {})
    values = compute_kpis(con, periods)
    report = KpiReport(period=period, kpis=values["current"])
    if other:
        report.previous_period = other
        report.previous = values["previous"]
        report.change = {
            name: change(report.kpis[name], report.previous[name])
            for name in report.kpis
            if isinstance(report.kpis[name], int | float | Decimal) or report.kpis[name] is None
        }
    return report


def kpi_report_json(report: KpiReport, currency: str) -> dict[str, Any]:
    """The report as JSON-ready values (`storeops kpis --json` and GET /api/v1/kpis).

    Keys: from, to, currency, kpis{name: value}, and with a comparison previous{from, to, kpis}
    and change{name: {absolute, relative}}. Money is a string with two decimals, counts are
    integers, rates floats, a value that cannot be computed is null.
    """
    data: dict[str, Any] = {**report.period.as_json(), "currency": currency, "kpis": report.kpis}
    if report.previous is not None and report.previous_period is not None:
        data["previous"] = {**report.previous_period.as_json(), "kpis": report.previous}
        data["change"] = report.change
    return _json_ready(data)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value
