"""`storeops sales`: sales per day, ISO week or month, and by channel, category, product, country
or discount code.

JSON keys (money as "12.50" strings, counts as integers, days as ISO dates):
  from, to, currency, grain ("day" | "week" | "month"), by (null or the dimension),
  totals: {orders, gross_sales, discounts, returns, net_sales, units_sold, average_order_value}
  series: [{start, end, label, <the same metrics>}]: every bucket of the period, zeros included;
          start/end are the bucket's days inside the period, label "2025-03-01" | "2025-W10" |
          "2025-03"
  breakdown (only with --by): {keys: keys with sales in the period (before --top),
          returns_attributed: false when some returns could not be given to a product/category,
          unattributed: {discounts, returns} (product and category only: order-level amounts),
          rows: [{key, name (product only), <metrics>, series (only when --grain is given)}]}
Definitions and how each dimension attributes discounts and returns: storeops.commerce.sales.
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
    print_json,
    warehouse_period,
)
from storeops.commerce.sales import Dimension, Grain, sales_report, sales_report_json

GrainOption = Annotated[
    Grain | None,
    typer.Option(
        "--grain",
        help="Series per day (the default), ISO week (Monday to Sunday) or month. "
        "With --by, each key also gets its own series.",
        show_default=False,
    ),
]
ByOption = Annotated[Dimension | None, typer.Option("--by", help="Break the sales down by.")]
TopOption = Annotated[
    int | None, typer.Option("--top", min=1, help="Only the N keys with the most net sales.")
]
COLUMNS = (
    ("orders", "orders"),
    ("gross_sales", "gross"),
    ("discounts", "disc."),
    ("returns", "returns"),
    ("net_sales", "net"),
    ("average_order_value", "AOV"),
)


def _metric_cells(row: dict[str, Any]) -> list[str]:
    # The currency is in the title and units only in the JSON: the columns must fit 80 characters.
    return [
        fmt_count(row[name])
        if name == "orders"
        else ("—" if row[name] is None else f"{row[name]:,.2f}")
        for name, _ in COLUMNS
    ]


def _table(title: str, first: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1))
    table.add_column(first, min_width=10, max_width=30)
    for _, label in COLUMNS:
        table.add_column(label, justify="right", no_wrap=True)
    return table


def sales_command(
    start: FromOption = None,
    end: ToOption = None,
    grain: GrainOption = None,
    by: ByOption = None,
    top: TopOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sales over time (store-local days, ISO weeks, months) and by dimension."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        report = sales_report(
            con,
            period=period,
            grain=grain or Grain.day,
            by=by,
            top=top,
            series_by_key=grain is not None,
        )
    currency = settings.store.currency
    if as_json:
        print_json(sales_report_json(report, currency))
        return
    heading = f"{settings.store.name}: {period.start:%d %b %Y} – {period.end:%d %b %Y} ({currency})"
    if report.breakdown is None:
        table = _table(f"{heading}, per {report.grain.value}", report.grain.value)
        for row in report.series:
            table.add_row(row["label"], *_metric_cells(row))
    else:
        breakdown = report.breakdown
        table = _table(f"{heading}, by {breakdown.by.value}", breakdown.by.value)
        for row in breakdown.rows:
            label = row["key"] if row["key"] is not None else "(none)"
            if row.get("name"):
                label = f"{label}  {row['name']}"
            table.add_row(label, *_metric_cells(row))
    table.add_section()
    table.add_row("total", *_metric_cells(report.totals), style="bold")
    console.print(table)
    if report.breakdown is not None:
        breakdown = report.breakdown
        if len(breakdown.rows) < breakdown.keys:
            console.print(f"top {len(breakdown.rows)} of {breakdown.keys:,} {breakdown.by.value}s")
        if breakdown.unattributed:
            unattributed = breakdown.unattributed
            console.print(
                f"Left at order level (not in the rows): discounts "
                f"{fmt_money(unattributed['discounts'], currency)}, returns "
                f"{fmt_money(unattributed['returns'], currency)}"
                + ("" if breakdown.returns_attributed else " (refunds without refund lines)")
            )
