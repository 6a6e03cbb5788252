"""`storeops stock`: stock health per SKU (definitions in storeops.commerce.stock).

The period ends on --to (the as-of day, default: the last day with orders) and starts on --from
(default: the start of the 28-day demand window). Views: every SKU by revenue (default),
--risk (will run out within the lead time), --dead (dead and slow stock by value tied up),
--abc (ABC/XYZ classes).

JSON keys: from, to, as_of, currency, view ("all", "risk", "dead", "abc"), lookback_days,
lead_time_days, service_level, totals {skus, on_hand, stock_value, stockout_days, lost_sales,
at_risk, dead_skus, dead_value, slow_skus, slow_value}, classes (--abc only: {"A": {skus,
revenue, share}, ...} and matrix {"AX": n, ...}), skus: rows with sku, title, category, active,
price, cost, on_hand, velocity, demand_sd, days_of_cover, stockout_date, stockout_days,
lost_sales, safety_stock, reorder_point, reorder_qty, units_sold, revenue, abc, xyz,
sell_through, last_sold, days_since_sale, dead, slow, stock_value (money as "12.50", null when
unknown).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
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
from storeops.commerce.period import Period
from storeops.commerce.stock import (
    DEFAULT_LOOKBACK_DAYS,
    StockRow,
    StockView,
    stock_health,
    stock_summary,
    stock_view,
)
from storeops.core.errors import UserError


def stock_command(
    start: FromOption = None,
    end: ToOption = None,
    risk: Annotated[
        bool, typer.Option("--risk", help="SKUs that run out within the lead time.")
    ] = False,
    dead: Annotated[bool, typer.Option("--dead", help="Dead and slow stock, by value.")] = False,
    abc: Annotated[
        bool, typer.Option("--abc", help="ABC (revenue) and XYZ (demand) classes.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most N SKUs.")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stock health per SKU: cover, stock-outs and lost sales, reorder points, ABC/XYZ, dead stock."""
    if risk + dead + abc > 1:
        raise UserError("choose one of --risk, --dead and --abc")
    with warehouse_period(workspace, start, end) as (settings, con, period):
        if start is None:
            period = Period(period.end - timedelta(days=DEFAULT_LOOKBACK_DAYS - 1), period.end)
        rows = stock_health(con, as_of=period.end, since=period.start)
    view = (
        StockView.risk
        if risk
        else StockView.dead
        if dead
        else StockView.abc
        if abc
        else StockView.all
    )
    currency = settings.store.currency
    data = stock_summary(rows, period=period, view=view, currency=currency, limit=limit)
    if as_json:
        print_json(data)
        return
    _print(data, stock_view(rows, view)[:limit], view, currency)


def _print(data: dict[str, Any], rows: list[StockRow], view: StockView, currency: str) -> None:
    t = data["totals"]
    console.print(
        f"Stock as of {data['as_of']:%d %b %Y} (stock-outs since {data['from']}): "
        f"{fmt_count(t['skus'])} SKUs, {fmt_count(t['on_hand'])} units worth "
        f"{fmt_money(t['stock_value'], currency)}; {fmt_count(t['stockout_days'])} stock-out days "
        f"lost ~{fmt_money(t['lost_sales'], currency)}; {fmt_count(t['at_risk'])} at risk; "
        f"dead {fmt_count(t['dead_skus'])} ({fmt_money(t['dead_value'], currency)}), "
        f"slow {fmt_count(t['slow_skus'])} ({fmt_money(t['slow_value'], currency)})",
        highlight=False,
    )
    if view is StockView.abc:
        for name, c in data["classes"].items():
            console.print(
                f"  {name}: {fmt_count(c['skus'])} SKUs, {fmt_money(c['revenue'], currency)} "
                f"({fmt_rate(c['share'])})",
                highlight=False,
            )
    # Amounts in the table are in the currency of the summary line, to keep it narrow.
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("SKU", no_wrap=True)
    for name in ("on hand", "/day", "cover", "out days", "lost", "reorder", "class", "value"):
        table.add_column(name, justify="right")
    for r in rows:
        flag = " dead" if r.dead else " slow" if r.slow else ""
        table.add_row(
            r.sku,
            fmt_count(r.on_hand),
            "—" if r.velocity is None else f"{r.velocity:.2f}",
            "—" if r.days_of_cover is None else f"{r.days_of_cover:.1f}",
            fmt_count(r.stockout_days),
            _amount(r.lost_sales),
            "—" if r.reorder_point is None else f"{r.reorder_point}/{fmt_count(r.reorder_qty)}",
            f"{r.abc}{r.xyz or '-'}{flag}",
            _amount(r.stock_value),
        )
    console.print(table)


def _amount(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.0f}"
