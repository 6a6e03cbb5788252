"""`storeops promotions`: discount codes and campaigns, with what each added over no promotion.

JSON keys (money as "12.50" strings, days ISO, rates floats):
  from, to, currency,
  method: {weeks, after_days, estimator},
  codes: [{code, campaign (null when the code is not in the promotions table), first_day,
           last_day, orders, gross_sales, discounts, net_sales}],
  campaigns: [{campaign, codes, first_day, last_day, orders, gross_sales, discounts, net_sales,
               status ("ok", "no_baseline", "no_window", "no_data"), reason,
               baseline: {lookback: {first_day, last_day, days_used}, actual, expected,
                          days: [{date, weekday, actual, baseline, observations, basis}]},
               incremental_revenue, incremental_rate,
               dip: {status ("ok", "no_data"), actual, expected, dip, excluded_days, days: [...]}}]
baseline, incremental_* and dip are null unless status is "ok" (baseline keeps its lookback when
status is "no_baseline"). The method is in storeops.commerce.promotions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

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
    fmt_rate,
    print_json,
    warehouse_period,
)
from storeops.commerce.promotions import Estimator, promotion_report, promotions_summary


def _amount(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def promotions_command(
    start: FromOption = None,
    end: ToOption = None,
    weeks: Annotated[
        int, typer.Option(min=1, help="Weeks before a campaign its baseline is taken from.")
    ] = 4,
    after_days: Annotated[
        int, typer.Option(min=1, help="Days after a campaign searched for a pull-forward dip.")
    ] = 7,
    estimator: Annotated[
        Estimator, typer.Option(help="Baseline per weekday: median or trimmed mean.")
    ] = Estimator.median,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Discount codes and campaigns: sales, discount cost, incremental revenue, post-promotion dip."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        report = promotion_report(
            con,
            period=period,
            timezone=settings.store.timezone,
            weeks=weeks,
            after_days=after_days,
            estimator=estimator,
        )
    currency = settings.store.currency
    if as_json:
        print_json(promotions_summary(report, currency))
        return
    title = (
        f"{settings.store.name}: campaigns {period.start:%d %b %Y} – {period.end:%d %b %Y}"
        f" ({currency})"
    )
    campaigns = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("campaign", "from", "to"):
        campaigns.add_column(column)
    # orders, net sales and discounts are the code's orders; shop sales and baseline the shop's
    for column in (
        "orders",
        "net sales",
        "discounts",
        "shop sales",
        "baseline",
        "incremental",
        "",
        "dip",
    ):
        campaigns.add_column(column, justify="right")
    for row in report.campaigns:
        ok = row["status"] == "ok"
        campaigns.add_row(
            row["campaign"],
            f"{row['first_day'] or '—'}",
            f"{row['last_day'] or '—'}",
            fmt_count(row["orders"]),
            _amount(row["net_sales"]),
            _amount(row["discounts"]),
            _amount(row["baseline"]["actual"]) if ok else "—",
            _amount(row["baseline"]["expected"]) if ok else f"[yellow]{row['status']}[/]",
            _amount(row["incremental_revenue"]),
            fmt_rate(row["incremental_rate"]),
            _amount(row["dip"]["dip"] if ok else None),
        )
    console.print(campaigns)
    codes = Table(title=f"Discount codes ({currency})", box=box.SIMPLE_HEAD)
    codes.add_column("code")
    codes.add_column("campaign")
    for column in ("orders", "gross sales", "discounts", "net sales"):
        codes.add_column(column, justify="right")
    for row in report.codes:
        codes.add_row(
            row["code"],
            row["campaign"] or "[yellow]not in promotions[/]",
            fmt_count(row["orders"]),
            _amount(row["gross_sales"]),
            _amount(row["discounts"]),
            _amount(row["net_sales"]),
        )
    console.print(codes)
    console.print(
        "[dim]orders, net sales, discounts: orders with the campaign's codes; shop sales: the "
        "whole shop's gross − discounts on the campaign's days; "
        f"baseline: {report.method['estimator']} of the same weekday over the "
        f"{weeks} weeks before each campaign, other promotions left out; dip over the "
        f"{after_days} days after.[/]"
    )
