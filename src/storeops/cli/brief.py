"""`storeops brief`: the one-screen morning briefing (the demo's main job ends with it)."""

from __future__ import annotations

from decimal import Decimal

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from storeops.cli.common import (
    FromOption,
    JsonOption,
    ToOption,
    WorkspaceOption,
    console,
    fmt_money,
    print_json,
    settings_for,
)
from storeops.cli.kpis import fmt_change, fmt_kpi
from storeops.commerce.anomalies import Anomaly
from storeops.commerce.brief import Brief, brief_period, morning_brief
from storeops.commerce.period import resolve_period
from storeops.core.settings import Settings
from storeops.warehouse.engine import open_warehouse

HEADLINE = (
    "net_sales",
    "orders",
    "average_order_value",
    "conversion_rate",
    "returns",
    "gross_margin",
)
TITLES = {
    "net_sales": "Net sales",
    "orders": "Orders",
    "average_order_value": "AOV",
    "conversion_rate": "Conversion",
    "returns": "Returns",
    "gross_margin": "Gross margin",
}


def build_brief(settings: Settings, start, end) -> Brief:  # type: ignore[no-untyped-def]
    with open_warehouse(settings) as con:
        if start is None and end is None:
            period = brief_period(con)
        else:
            period = resolve_period(
                con, start.date() if start else None, end.date() if end else None
            )
        return morning_brief(
            con, period=period, targets=settings.aftersales, timezone=settings.store.timezone
        )


def render_brief(brief: Brief, settings: Settings) -> None:
    currency = settings.store.currency
    report = brief.kpis
    kpis = Table(box=box.SIMPLE_HEAD, expand=True)
    for name in HEADLINE:
        kpis.add_column(TITLES[name], justify="right")
    kpis.add_row(*(_headline(n, report.kpis[n]) for n in HEADLINE))
    kpis.add_row(*(fmt_change(n, report.change.get(n)) for n in HEADLINE))
    period = f"{report.period.start:%a %d %b} – {report.period.end:%a %d %b %Y}"
    parts = [
        Panel(
            kpis, title=f"{settings.store.name} · {period} vs the {report.period.days} days before"
        )
    ]

    parts.append(Panel(_anomalies(brief.anomalies, currency), title="What looks wrong"))
    parts.append(Panel(_stock(brief, currency), title="About to run out"))
    alerts = (
        "\n".join(f"• {escape(a['message'])}" for a in brief.aftersales) or "No after-sales alert."
    )
    parts.append(Panel(alerts, title="After-sales"))
    console.print(Group(*parts))


def _headline(name: str, value: object) -> str:
    """Money without its currency code (the panel's title names it), to fit one screen."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return fmt_kpi(name, value, "")


def _anomalies(anomalies: list[Anomaly], currency: str) -> Table | str:
    if not anomalies:
        return "No anomaly: every day is within its expected range."
    table = Table(box=None, expand=True, show_header=True)
    for column in ("day", "what", "revenue gap", "severity", "main cause"):
        table.add_column(column, justify="right" if column == "revenue gap" else "left")
    for a in anomalies:
        where = "shop" if a.dimension == "total" else f"{a.dimension} {a.member}"
        cause = a.explanation[0] if a.explanation else None
        cause_text = f"{cause['dimension']} {cause['member']}" if cause else ""
        colour = "red" if a.direction == "drop" else "yellow"
        table.add_row(
            f"{a.day:%a %d %b}",
            escape(f"{a.metric.replace('_', ' ')} {a.direction} ({where})"),
            f"[{colour}]{fmt_money(a.revenue_gap, currency)}[/]",
            a.severity,
            escape(cause_text),
        )
    return table


def _stock(brief: Brief, currency: str) -> Table | str:
    if not brief.stock_risks:
        return "No SKU runs out within its lead time."
    table = Table(box=None, expand=True)
    table.add_column("SKU", no_wrap=True, min_width=15)
    table.add_column("product", no_wrap=True, overflow="ellipsis", max_width=22)
    # Short headers: the panel must fit an 80-column terminal.
    for column in ("stock", "cover (d)", "out on", "reorder"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in brief.stock_risks:
        cover = "out" if (row.on_hand or 0) <= 0 else f"{row.days_of_cover:.1f}"
        table.add_row(
            escape(row.sku),
            escape(row.title or ""),
            f"{row.on_hand:,}" if row.on_hand is not None else "—",
            cover if row.days_of_cover is not None else "—",
            f"{row.stockout_date:%d %b}" if row.stockout_date else "—",
            f"{row.reorder_qty:,}" if row.reorder_qty else "—",
        )
    return table


def brief_command(
    start: FromOption = None,
    end: ToOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """The morning briefing: KPIs vs the period before, anomalies, stock-outs ahead, after-sales."""
    settings = settings_for(workspace)
    brief = build_brief(settings, start, end)
    if as_json:
        print_json(brief.as_json(settings.store.currency))
    else:
        render_brief(brief, settings)
