"""`storeops aftersales`: returns and refunds of the period's orders, the SKUs whose returns stand
out, and ticket service levels against the targets of [aftersales] in storeops.toml
(definitions in storeops.commerce.aftersales).

JSON keys: from, to, currency, targets {first_response_hours, resolution_hours,
compliance_target, categories}, returns {totals {orders, refunded_orders, order_refund_rate,
units_sold, units_returned, unit_return_rate, net_sales, refunded, refund_rate, unattributed},
by_sku and by_category [{key, category (by_sku), units_sold, net_sales, units_returned, refunded,
refund_rate, unit_return_rate}], by_reason [{reason, refunds, refunded, units_returned, share,
refund_rate}], standouts [{sku, category, units_sold, units_returned, return_rate, baseline_rate,
p_value, q_value}]}, tickets {backlog, backlog_start, opened, answered, resolved,
first_response_hours {p50, p90}, resolution_hours {p50, p90}, first_response_sla and
resolution_sla {met, breached, pending, compliance}, satisfaction {rated, average, share_4_5},
by_category [...]}, alerts [{kind, sku, value, threshold, message}].
by_sku is sorted by refunded value, largest first, and cut to --limit.
"""

from __future__ import annotations

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
    fmt_count,
    fmt_money,
    fmt_rate,
    print_json,
    warehouse_period,
)
from storeops.commerce.aftersales import aftersales_summary, returns_report, ticket_report


def aftersales_command(
    start: FromOption = None,
    end: ToOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="SKUs to list.")] = 20,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Returns and refunds by SKU, category and reason; tickets against their SLA."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        targets, zone = settings.aftersales, settings.store.timezone
        returns = returns_report(con, period)
        tickets = ticket_report(con, period, targets, timezone=zone)
    currency = settings.store.currency
    data = aftersales_summary(returns, tickets, targets, currency=currency, limit=limit)
    if as_json:
        print_json(data)
        return
    _print(data, currency)


def _print(data: dict[str, Any], currency: str) -> None:
    r = data["returns"]["totals"]
    console.print(
        f"Orders {data['from']} – {data['to']}: {fmt_count(r['refunded_orders'])} of "
        f"{fmt_count(r['orders'])} refunded ({fmt_rate(r['order_refund_rate'])}), "
        f"{fmt_money(r['refunded'], currency)} of {fmt_money(r['net_sales'], currency)} "
        f"({fmt_rate(r['refund_rate'])}); units returned {fmt_rate(r['unit_return_rate'])}",
        highlight=False,
    )
    for title, rows, key in (
        ("By SKU", data["returns"]["by_sku"], "key"),
        ("By category", data["returns"]["by_category"], "key"),
    ):
        table = Table(title=title, box=box.SIMPLE_HEAD)
        for column in (title[3:], "units sold", "returned", "refunded", "refund rate"):
            table.add_column(column, justify="left" if column == title[3:] else "right")
        for row in rows:
            table.add_row(
                row[key],
                fmt_count(row["units_sold"]),
                f"{row['units_returned']:g}",
                fmt_money(row["refunded"], currency),
                fmt_rate(row["refund_rate"]),
            )
        console.print(table)
    table = Table(title="By reason", box=box.SIMPLE_HEAD)
    for column in ("reason", "refunds", "refunded", "share"):
        table.add_column(column, justify="left" if column == "reason" else "right")
    for row in data["returns"]["by_reason"]:
        table.add_row(
            row["reason"],
            fmt_count(row["refunds"]),
            fmt_money(row["refunded"], currency),
            fmt_rate(row["share"]),
        )
    console.print(table)

    t = data["tickets"]
    console.print(
        f"Tickets: {fmt_count(t['opened'])} opened, backlog {fmt_count(t['backlog_start'])} → "
        f"{fmt_count(t['backlog'])}; first response p50 {_hours(t['first_response_hours']['p50'])}"
        f", p90 {_hours(t['first_response_hours']['p90'])}, within "
        f"{data['targets']['first_response_hours']:g} h: "
        f"{fmt_rate(t['first_response_sla']['compliance'])}; resolution p50 "
        f"{_hours(t['resolution_hours']['p50'])}, p90 {_hours(t['resolution_hours']['p90'])}, "
        f"within {data['targets']['resolution_hours']:g} h: "
        f"{fmt_rate(t['resolution_sla']['compliance'])}; satisfaction "
        f"{_score(t['satisfaction']['average'])} ({fmt_rate(t['satisfaction']['share_4_5'])} 4-5)",
        highlight=False,
    )
    for alert in data["alerts"]:
        console.print(f"[yellow]alert:[/] {alert['message']}", highlight=False)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}/5"
