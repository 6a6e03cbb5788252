"""`storeops customers`: new against returning customers, cohort retention, RFM segments.

Without --cohorts, --rfm or --new-vs-returning all three are shown; with any, only those.
JSON keys (money as "12.50" strings, days ISO, rates floats), each view only when shown:
  from, to, currency,
  new_vs_returning: {grain, buckets: [{bucket (first day), new_customers, new_orders,
                     new_net_sales, returning_customers, returning_orders, returning_net_sales,
                     guest_orders, guest_net_sales}]},
  cohorts: {months, guest_orders, cohorts: [{cohort (first day of the month), size,
            active: [customers in month +0, +1, ...; null when not yet seen], retention: [...]}]},
  rfm: {as_of, customers, revenue, guest_orders, guest_revenue,
        segments: [{segment, customers, orders, revenue, customer_share, revenue_share,
                    last_order_from, last_order_to, mean_scores: {recency, frequency, monetary}}]}
Definitions are in storeops.commerce.customers.
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
from storeops.commerce.customers import Grain, customers_summary


def customers_command(
    start: FromOption = None,
    end: ToOption = None,
    cohorts: Annotated[bool, typer.Option("--cohorts", help="Monthly cohort retention.")] = False,
    rfm: Annotated[bool, typer.Option("--rfm", help="RFM segments as of --to.")] = False,
    new_returning: Annotated[
        bool, typer.Option("--new-vs-returning", help="New against returning customers.")
    ] = False,
    grain: Annotated[Grain, typer.Option(help="Buckets of --new-vs-returning.")] = Grain.month,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Customers: new against returning over time, monthly cohorts, RFM segments."""
    asked = (("cohorts", cohorts), ("rfm", rfm), ("new_vs_returning", new_returning))
    views = {name for name, on in asked if on}
    with warehouse_period(workspace, start, end) as (settings, con, period):
        data = customers_summary(con, period=period, views=views, grain=grain)
    currency = settings.store.currency
    if as_json:
        print_json({**period.as_json(), "currency": currency, **data})
        return
    if "new_vs_returning" in data:
        _print_new_vs_returning(data["new_vs_returning"], currency)
    if "cohorts" in data:
        _print_cohorts(data["cohorts"])
    if "rfm" in data:
        _print_rfm(data["rfm"], currency)


def _print_new_vs_returning(view: dict[str, Any], currency: str) -> None:
    table = Table(title=f"New and returning customers by {view['grain']}", box=box.SIMPLE_HEAD)
    table.add_column(view["grain"])
    for column in ("new", "returning", "new sales", "returning sales", "guest orders"):
        table.add_column(column, justify="right")
    for row in view["buckets"]:
        table.add_row(
            f"{row['bucket']}",
            fmt_count(row["new_customers"]),
            fmt_count(row["returning_customers"]),
            fmt_money(row["new_net_sales"], currency),
            fmt_money(row["returning_net_sales"], currency),
            fmt_count(row["guest_orders"]),
        )
    console.print(table)


def _print_cohorts(view: dict[str, Any]) -> None:
    table = Table(title="Cohort retention (month of first order)", box=box.SIMPLE_HEAD)
    table.add_column("cohort")
    table.add_column("size", justify="right")
    for k in range(1, view["months"]):
        table.add_column(f"+{k}", justify="right")
    for row in view["cohorts"]:
        rates = [fmt_rate(r) if r is not None else "" for r in row["retention"][1:]]
        table.add_row(f"{row['cohort']:%Y-%m}", fmt_count(row["size"]), *rates)
    console.print(table)
    console.print(
        f"[dim]guest orders (no customer id, not in cohorts): {view['guest_orders']:,}[/]"
    )


def _print_rfm(view: dict[str, Any], currency: str) -> None:
    table = Table(title=f"RFM segments as of {view['as_of']}", box=box.SIMPLE_HEAD)
    table.add_column("segment")
    for column in ("customers", "share", "orders", "revenue", "revenue share"):
        table.add_column(column, justify="right")
    for row in view["segments"]:
        table.add_row(
            row["segment"],
            fmt_count(row["customers"]),
            fmt_rate(row["customer_share"]),
            fmt_count(row["orders"]),
            fmt_money(row["revenue"], currency),
            fmt_rate(row["revenue_share"]),
        )
    console.print(table)
    console.print(
        f"[dim]guests (not segmented): {view['guest_orders']:,} orders, "
        f"{fmt_money(view['guest_revenue'], currency)}[/]"
    )
