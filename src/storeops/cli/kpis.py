"""`storeops kpis`: the sales KPIs of a period, against the previous period or last year."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table

from storeops.cli.common import (
    CompareOption,
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
from storeops.commerce.kpis import COUNT_KPIS, KPI_LABELS, MONEY_KPIS, kpi_report, kpi_report_json
from storeops.commerce.period import Compare


def fmt_kpi(name: str, value: Any, currency: str) -> str:
    if name in MONEY_KPIS:
        return fmt_money(value, currency)
    if name in COUNT_KPIS:
        return fmt_count(value)
    return fmt_rate(value)


def fmt_change(name: str, change: dict[str, Any] | None) -> str:
    if not change or change["absolute"] is None:
        return ""
    relative = change["relative"]
    if name in MONEY_KPIS or name in COUNT_KPIS:
        if relative is None:
            return "new"
        colour = "green" if relative >= 0 else "red"
        return f"[{colour}]{relative:+.1%}[/]"
    points = change["absolute"] * 100
    return f"{points:+.1f} pts"


def kpis_command(
    start: FromOption = None,
    end: ToOption = None,
    compare: CompareOption = Compare.previous,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sales KPIs for store-local days (Shopify's definitions), with a comparison."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        report = kpi_report(con, period, compare)
    currency = settings.store.currency
    if as_json:
        print_json(kpi_report_json(report, currency))
        return
    title = f"{settings.store.name}: {period.start:%d %b %Y} – {period.end:%d %b %Y}"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    if report.previous is not None and report.previous_period is not None:
        table.add_column(
            f"{report.previous_period.start:%d %b %Y} – {report.previous_period.end:%d %b %Y}",
            justify="right",
            style="dim",
        )
        table.add_column("change", justify="right")
    for name, label in KPI_LABELS.items():
        row = [label, fmt_kpi(name, report.kpis[name], currency)]
        if report.previous is not None:
            row += [
                fmt_kpi(name, report.previous[name], currency),
                fmt_change(name, report.change.get(name)),
            ]
        table.add_row(*row)
    console.print(table)
