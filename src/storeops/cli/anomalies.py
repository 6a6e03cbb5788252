"""`storeops anomalies`: days that do not look like they should, most severe first.

JSON (--json): {"from", "to", "currency", "anomalies": [...]}, each anomaly with keys
day, metric (orders | net_sales | conversion), dimension (total | channel | category | product),
member, actual, expected, gap (actual − expected in the metric's unit: orders, money as "12.50",
or a rate), revenue_gap (net sales actual − expected, money), z (robust z-score), severity
(minor | major | critical), direction (drop | spike), event (e.g. "BF+0", or null), new_event
(an event with no previous year to learn from), and explanation: the members that explain the
shop's gap that day, [{dimension, member, actual, expected, gap, share}], largest share first.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from storeops.cli.common import (
    FromOption,
    JsonOption,
    ToOption,
    WorkspaceOption,
    console,
    fmt_money,
    fmt_rate,
    print_json,
    warehouse_period,
)
from storeops.commerce.anomalies import DIMENSIONS, METRICS, Anomaly, detect_anomalies


class Metric(StrEnum):
    orders = "orders"
    net_sales = "net_sales"
    conversion = "conversion"


class By(StrEnum):
    total = "total"
    channel = "channel"
    category = "category"
    product = "product"


def _value(anomaly: Anomaly, value: Any, currency: str) -> str:
    if value is None:
        return "—"
    if anomaly.metric == "net_sales":
        return fmt_money(value, currency)
    if anomaly.metric == "conversion":
        return fmt_rate(value)
    return f"{value:,.0f}" if isinstance(value, int) else f"{value:,.1f}"


def _explanation(anomaly: Anomaly) -> str:
    return ", ".join(
        f"{row['dimension']} {row['member']} {row['share']:.0%}" for row in anomaly.explanation[:3]
    )


def anomalies_command(
    start: FromOption = None,
    end: ToOption = None,
    metric: Annotated[
        Metric | None, typer.Option("--metric", help="Only this metric (default: all).")
    ] = None,
    by: Annotated[
        By | None, typer.Option("--by", help="Only this dimension (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 20,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Drops and spikes of orders, net sales and conversion against a seasonal expectation."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        found = detect_anomalies(
            con,
            period=period,
            metrics=(metric.value,) if metric else METRICS,
            dimensions=(by.value,) if by else DIMENSIONS,
            limit=limit,
        )
    currency = settings.store.currency
    if as_json:
        print_json(
            {
                **period.as_json(),
                "currency": currency,
                "anomalies": [anomaly.as_json() for anomaly in found],
            }
        )
        return
    title = f"{settings.store.name}: anomalies {period.start:%d %b %Y} – {period.end:%d %b %Y}"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column, justify in (
        ("day", "left"),
        ("severity", "left"),
        ("what", "left"),
        ("actual", "right"),
        ("expected", "right"),
        ("revenue gap", "right"),
        ("explained by", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    colours = {"critical": "red", "major": "yellow", "minor": "cyan"}
    for a in found:
        what = f"{a.metric} {a.direction}" + (
            f" ({a.dimension} {a.member})" if a.dimension != "total" else ""
        )
        if a.event:
            what += f" [{a.event}]"
        table.add_row(
            f"{a.day:%a %d %b %Y}",
            f"[{colours[a.severity]}]{a.severity}[/]",
            what,
            _value(a, a.actual, currency),
            _value(a, a.expected, currency),
            fmt_money(a.revenue_gap, currency),
            _explanation(a),
        )
    if not found:
        console.print(f"No anomalies from {period.start} to {period.end}.")
        return
    console.print(table)
