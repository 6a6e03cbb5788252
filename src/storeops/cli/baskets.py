"""`storeops baskets`: products frequently bought together, with support, confidence and lift.

JSON keys (rates as floats in [0, 1]; lift is a ratio, 1 = independent):
  from, to, min_support, max_basket,
  orders: orders analysed (sale orders of the period with 1..max_basket SKUs),
  orders_excluded: orders left out for having more than max_basket SKUs,
  skus: SKUs in the orders analysed, skus_kept: those in at least min_support orders,
  pairs: [{sku_a, name_a, sku_b, name_b, orders (bought together), orders_a, orders_b,
           support, confidence_a_b, confidence_b_a, lift}], best lift first.
Definitions: storeops.commerce.baskets.
"""

from __future__ import annotations

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
from storeops.commerce.baskets import baskets_summary, bought_together

MinSupportOption = Annotated[
    int,
    typer.Option(
        "--min-support",
        min=1,
        help="Fewest orders a pair (and each of its SKUs) must be in.",
    ),
]
MaxBasketOption = Annotated[
    int,
    typer.Option("--max-basket", min=2, help="Leave out orders with more distinct SKUs than this."),
]
TopOption = Annotated[int, typer.Option("--top", min=1, help="How many pairs to show.")]


def baskets_command(
    start: FromOption = None,
    end: ToOption = None,
    min_support: MinSupportOption = 10,
    max_basket: MaxBasketOption = 20,
    top: TopOption = 20,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Products bought together: pairs of SKUs by lift, with support and confidence."""
    with warehouse_period(workspace, start, end) as (settings, con, period):
        report = bought_together(
            con, period=period, min_support=min_support, max_basket=max_basket, top=top
        )
    if as_json:
        print_json(baskets_summary(report))
        return
    title = (
        f"{settings.store.name}: bought together, {period.start:%d %b %Y} – {period.end:%d %b %Y}"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("product A", "product B"):
        table.add_column(column)
    for column in ("orders", "support", "A → B", "B → A", "lift"):
        table.add_column(column, justify="right")
    for pair in report.pairs:
        table.add_row(
            f"{pair['sku_a']}  {pair['name_a'] or ''}".strip(),
            f"{pair['sku_b']}  {pair['name_b'] or ''}".strip(),
            fmt_count(pair["orders"]),
            f"{pair['support']:.2%}",  # small by nature: 0.1% is a common pair
            fmt_rate(pair["confidence_a_b"]),
            fmt_rate(pair["confidence_b_a"]),
            f"{pair['lift']:.2f}",
        )
    console.print(table)
    console.print(
        f"{fmt_count(report.orders)} orders analysed, {fmt_count(report.orders_excluded)} left "
        f"out (more than {max_basket} SKUs); {fmt_count(report.skus_kept)} of "
        f"{fmt_count(report.skus)} SKUs in at least {min_support} orders"
    )
