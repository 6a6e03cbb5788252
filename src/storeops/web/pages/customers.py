"""Customers: new against returning customers over time (stacked), the monthly cohort retention
heat map, and RFM segments (table sorted on the server, bar chart), each table as CSV.

Definitions are storeops.commerce.customers'. The page opens on the twelve months up to the last
day with orders, so that cohorts have months to show. The channel and category filters narrow
every view to the orders they keep (their customers' first orders included); the cards compare
with the previous period or the same dates last year.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from ibis.backends import BaseBackend

from storeops.commerce.customers import (
    Cohorts,
    Grain,
    cohort_retention,
    customers_comparison,
    customers_headline,
    new_vs_returning,
    rfm_segments,
)
from storeops.commerce.period import Compare, Period, data_period
from storeops.db.users import User
from storeops.web import formatting
from storeops.web.charts import money_axis, money_hover
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.report_scaffolding import csv_download, report_context
from storeops.web.params import (
    CategoryQuery,
    ChannelQuery,
    CompareQuery,
    FromQuery,
    ToQuery,
    chosen,
    filter_choices,
    page_period,
)
from storeops.web.rendering import render
from storeops.web.tables import (
    Direction,
    DirQuery,
    PageQuery,
    PerPageQuery,
    sort_and_page,
    sort_rows,
)

router = APIRouter()
Reader = Annotated[User, Depends(require("customers"))]
DEFAULT_MONTHS = 12
NEW, RETURNING, GUESTS = "#2563eb", "#93c5fd", "#cbd5e1"
SEGMENT_COLUMNS = (  # (key, label, kind)
    ("segment", "Segment", ""),
    ("customers", "Customers", "count"),
    ("customer_share", "Share", "rate"),
    ("orders", "Orders", "count"),
    ("revenue", "Revenue", "money"),
    ("revenue_share", "Revenue share", "rate"),
    ("last_order_to", "Latest order", "date"),
)


class SegmentSort(StrEnum):
    segment = "segment"
    customers = "customers"
    customer_share = "customer_share"
    orders = "orders"
    revenue = "revenue"
    revenue_share = "revenue_share"
    last_order_to = "last_order_to"


class CsvTable(StrEnum):
    segments = "segments"
    cohorts = "cohorts"
    new_vs_returning = "new_vs_returning"


GrainQuery = Annotated[Grain, Query(description="Buckets of new against returning.")]
SortQuery = Annotated[SegmentSort | None, Query(description="Column of the RFM segments table.")]


def customers_period(con: BaseBackend, start: date | None, end: date | None) -> Period | None:
    """As asked; without either bound, the 12 calendar months up to the last day with orders."""
    if start or end:
        return page_period(con, start, end)
    known = data_period(con)
    if known is None:
        return None
    index = known.end.year * 12 + known.end.month - DEFAULT_MONTHS  # 11 months before
    first = date(index // 12, index % 12 + 1, 1)
    return Period(max(known.start, first), known.end)


def _bucket_text(start: date, grain: Grain) -> str:
    if grain is Grain.month:
        return f"{start:%b %Y}"
    prefix = "Week of " if grain is Grain.week else ""
    return f"{prefix}{start:%a} {start.day} {start:%b %Y}"


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 56, "r": 16, "t": 32, "b": 40},
        "height": 320,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def _xaxis(grain: Grain) -> dict[str, Any]:
    axis: dict[str, Any] = {"type": "date", "automargin": True}
    if grain is Grain.month:
        axis |= {"dtick": "M1", "tickformat": "%b %Y"}
    return axis


def new_returning_figures(
    buckets: list[dict[str, Any]], grain: Grain, currency: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Customers (new, returning) and net sales (new, returning, guests) per bucket, stacked."""
    x = [row["bucket"].isoformat() for row in buckets]
    text = [_bucket_text(row["bucket"], grain) for row in buckets]

    def bars(name: str, key: str, color: str, money: bool) -> dict[str, Any]:
        value = money_hover(currency) if money else "%{y:,}"
        return {
            "type": "bar",
            "name": name,
            "x": x,
            "y": [float(row[key]) if money else row[key] for row in buckets],
            "customdata": text,
            "marker": {"color": color},
            "hovertemplate": f"%{{customdata}}<br>{name}: {value}<extra></extra>",
        }

    customers = {
        "data": [
            bars("New", "new_customers", NEW, False),
            bars("Returning", "returning_customers", RETURNING, False),
        ],
        "layout": _layout(
            barmode="stack",
            hovermode="x unified",
            xaxis=_xaxis(grain),
            yaxis={"tickformat": ",d", "rangemode": "tozero", "automargin": True},
        ),
    }
    sales = {
        "data": [
            bars("New", "new_net_sales", NEW, True),
            bars("Returning", "returning_net_sales", RETURNING, True),
            bars("Guests", "guest_net_sales", GUESTS, True),
        ],
        "layout": _layout(
            barmode="relative",
            hovermode="x unified",
            xaxis=_xaxis(grain),
            yaxis=money_axis(currency, automargin=True),
        ),
    }
    return customers, sales


def cohort_figure(cohorts: Cohorts) -> dict[str, Any]:
    """Cohorts (rows, oldest on top, with their size) × months since the first order (columns),
    coloured by retention; months not yet seen are blank. Month +0 is 100% by definition and
    would flatten the scale: the colours span the later months."""
    rows = cohorts.cohorts
    x = [f"+{k}" for k in range(cohorts.months)]
    y = [f"{row['cohort']:%b %Y} · {row['size']:,}" for row in rows]
    z = [row["retention"] for row in rows]
    later = [v for row in z for v in row[1:] if v is not None]
    text = [["" if v is None else f"{v:.0%}" if v >= 0.1 or v == 0 else f"{v:.1%}" for v in r]
            for r in z]  # fmt: skip
    return {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": z,
                "text": text,
                "customdata": [row["active"] for row in rows],
                "texttemplate": "%{text}",
                "textfont": {"size": 11},
                "zmin": 0,
                "zmax": max(later) if later and max(later) > 0 else 1,
                "colorscale": [[0, "#f8fafc"], [0.5, "#60a5fa"], [1, "#1e3a8a"]],
                "xgap": 2,
                "ygap": 2,
                "colorbar": {"tickformat": ".0%", "thickness": 10, "outlinewidth": 0},
                "hovertemplate": "Cohort %{y}<br>Month %{x}: %{text} active "
                "(%{customdata:,} customers)<extra></extra>",
                "hoverongaps": False,
            }
        ],
        "layout": _layout(
            height=max(260, 34 * len(rows) + 90),
            margin={"l": 16, "r": 8, "t": 64, "b": 16},
            xaxis={
                "side": "top",
                "type": "category",
                "title": {"text": "Months since the first order", "standoff": 8},
            },
            yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        ),
    }


def segments_figure(rfm: dict[str, Any], currency: str) -> dict[str, Any]:
    """Share of customers against share of revenue per segment (grouped horizontal bars)."""
    segments = rfm["segments"]
    names = [row["segment"] for row in segments]

    def bars(name: str, share: str, absolute: str, color: str, money: bool) -> dict[str, Any]:
        shown = [
            formatting.money(row[absolute], currency) if money else f"{row[absolute]:,} customers"
            for row in segments
        ]
        return {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": names,
            "x": [row[share] or 0 for row in segments],
            "customdata": shown,
            "marker": {"color": color},
            "hovertemplate": f"%{{y}}<br>{name}: %{{x:.1%}} (%{{customdata}})<extra></extra>",
        }

    return {
        "data": [
            bars("Customers", "customer_share", "customers", NEW, False),
            bars("Revenue", "revenue_share", "revenue", "#f59e0b", True),
        ],
        "layout": _layout(
            barmode="group",
            height=max(260, 46 * len(segments) + 80),
            xaxis={"tickformat": ".0%", "rangemode": "tozero"},
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    }


def _segment_rows(rfm: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: row[k] for k, _, _ in SEGMENT_COLUMNS} for row in rfm["segments"]]


@router.get("/customers")
def customers_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    grain: GrainQuery = Grain.month,
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    sort: SortQuery = None,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
) -> Response:
    period = customers_period(con, start, end)
    kept = {"channel": chosen(channel), "category": chosen(category)}
    context = report_context(request, "/customers.csv", period, compare, grain, channel, category)
    context |= {
        "columns": SEGMENT_COLUMNS,
        # phones: the essentials (the chart above shows the shares)
        "narrow_hidden": ("customer_share", "orders", "revenue_share", "last_order_to"),
    }
    if period is not None:
        currency = settings.store.currency
        buckets = new_vs_returning(con, period=period, grain=grain, **kept)
        cohorts = cohort_retention(con, period=period, **kept)
        rfm = rfm_segments(con, period=period, **kept)
        headline = customers_headline(rfm, buckets)
        other = period.compared(compare)
        customers_chart, sales_chart = new_returning_figures(buckets, grain, currency)
        rows = _segment_rows(rfm)
        # Without a sort, the segments keep the grid's order (best customers first).
        table = sort_and_page(
            sort_rows(rows, sort.value, direction or Direction.desc) if sort else rows,
            sort=sort.value if sort else "",
            direction=direction or Direction.desc,
            page=page,
            per_page=per_page,
        )
        context |= {
            "headline": headline,
            "previous_period": other,
            "comparison": (
                customers_comparison(con, headline, other, **kept) if other is not None else None
            ),
            "choices": filter_choices(con, period),
            "customers_chart": customers_chart,
            "sales_chart": sales_chart,
            "cohorts": cohorts,
            "cohort_chart": cohort_figure(cohorts) if cohorts.cohorts else None,
            "rfm": rfm,
            "segments_chart": segments_figure(rfm, currency) if rfm["segments"] else None,
            "table": table,
        }
    return render(request, "customers.html", context)


@router.get("/customers.csv")
def customers_csv(
    user: Reader,
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    grain: GrainQuery = Grain.month,
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    sort: SortQuery = None,
    direction: DirQuery = None,
    table: Annotated[CsvTable, Query(description="Which table of the page.")] = CsvTable.segments,
) -> Response:
    """A view of the Customers page as CSV (money with two decimals, rates as fractions).

    segments: the RFM table; cohorts: one row per cohort and month since the first order
    (active customers and retention; months not yet seen are left out); new_vs_returning:
    one row per bucket.
    """
    period = customers_period(con, start, end)
    kept = {"channel": chosen(channel), "category": chosen(category)}
    rows: list[list[Any]]
    if table is CsvTable.segments:
        rows = [
            ["segment", "customers", "customer_share", "orders", "revenue", "revenue_share",
             "last_order_from", "last_order_to", "mean_recency", "mean_frequency", "mean_monetary"]
        ]  # fmt: skip
        if period is not None:
            segments = rfm_segments(con, period=period, **kept)["segments"]
            if sort:
                segments = sort_rows(segments, sort.value, direction or Direction.desc)
            for row in segments:
                scores = row["mean_scores"]
                rows.append(
                    [row[k] for k in ("segment", "customers", "customer_share", "orders",
                                      "revenue", "revenue_share", "last_order_from",
                                      "last_order_to")]
                    + [scores["recency"], scores["frequency"], scores["monetary"]]
                )  # fmt: skip
    elif table is CsvTable.cohorts:
        rows = [["cohort", "size", "month", "active", "retention"]]
        if period is not None:
            for row in asdict(cohort_retention(con, period=period, **kept))["cohorts"]:
                for k, (active, rate) in enumerate(
                    zip(row["active"], row["retention"], strict=True)
                ):
                    if active is not None:
                        rows.append([f"{row['cohort']:%Y-%m}", row["size"], k, active, rate])
    else:
        columns = ["new_customers", "new_orders", "new_net_sales", "returning_customers",
                   "returning_orders", "returning_net_sales", "guest_orders", "guest_net_sales"]  # fmt: skip
        rows = [["bucket", *columns]]
        if period is not None:
            for row in new_vs_returning(con, period=period, grain=grain, **kept):
                rows.append([row["bucket"], *(row[c] for c in columns)])
    name = f"customers_{table.value}_{period.start}_{period.end}.csv" if period else "customers.csv"
    return csv_download(name, rows)
