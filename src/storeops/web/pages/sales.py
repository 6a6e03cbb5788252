"""Sales: the period's totals against a comparison, net sales per day/week/month with the
comparison overlaid, a breakdown by channel, category, product, country or discount code (sorted
and paged on the server), the top products, and CSV downloads of each table.

Filters: storeops.commerce.sales has no channel or category filter, so totals, the chart and the
comparison are always the whole shop. The filters narrow what the tables show: `channel` the
channel breakdown; `category` the category and product breakdowns and the top products.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from ibis.backends import BaseBackend

from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Compare, Period
from storeops.commerce.sales import (
    LINE_DIMENSIONS,
    Breakdown,
    Dimension,
    Grain,
    bucket_start,
    sales_by,
    sales_report,
    sales_series,
    top_products,
    totals_of,
)
from storeops.db.users import User
from storeops.web import security
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import CompareQuery, FromQuery, ToQuery, page_period
from storeops.web.rendering import render
from storeops.web.tables import (
    PER_PAGE_CHOICES,
    Direction,
    DirQuery,
    PageQuery,
    PerPageQuery,
    sort_and_page,
    sort_rows,
    url_with,
)

router = APIRouter()
Reader = Annotated[User, Depends(require("sales"))]
TOP_PRODUCTS = 10
COMPARE_LABELS = {
    Compare.previous: "previous period",
    Compare.yoy: "same dates last year",
    Compare.none: "no comparison",
}
DIMENSION_LABELS = {
    Dimension.channel: "Channel",
    Dimension.category: "Category",
    Dimension.product: "Product",
    Dimension.country: "Country",
    Dimension.discount_code: "Discount code",
}
NONE_LABELS = {
    Dimension.channel: "(unknown channel)",
    Dimension.category: "(no category)",
    Dimension.product: "(no SKU)",
    Dimension.country: "(unknown country)",
    Dimension.discount_code: "(no code)",
}
METRICS = (  # (key, label, kind) in table order
    ("orders", "Orders", "count"),
    ("gross_sales", "Gross sales", "money"),
    ("discounts", "Discounts", "money"),
    ("returns", "Returns", "money"),
    ("net_sales", "Net sales", "money"),
    ("units_sold", "Units", "count"),
    ("average_order_value", "AOV", "money"),
)
CARDS = ("net_sales", "orders", "average_order_value", "gross_sales", "discounts", "returns")
WORSE_WHEN_UP = frozenset({"discounts", "returns"})


class SortColumn(StrEnum):
    key = "key"
    name = "name"
    orders = "orders"
    gross_sales = "gross_sales"
    discounts = "discounts"
    returns = "returns"
    net_sales = "net_sales"
    units_sold = "units_sold"
    average_order_value = "average_order_value"


class CsvTable(StrEnum):
    breakdown = "breakdown"
    series = "series"
    top = "top"


GrainQuery = Annotated[Grain, Query(description="Buckets of the chart: day, week or month.")]
ByQuery = Annotated[Dimension, Query(description="Dimension of the breakdown table.")]
ChannelQuery = Annotated[
    str | None, Query(max_length=200, description="Show this channel only (channel breakdown).")
]
CategoryQuery = Annotated[
    str | None,
    Query(max_length=200, description="Show this category only (category/product tables)."),
]
SortQuery = Annotated[SortColumn, Query(description="Column of the breakdown to sort by.")]


def _distinct(table: ibis.Table, column: str) -> list[str]:
    values = table.filter(table[column].notnull()).select(column).distinct()
    return sorted(row[column] for row in values.to_pyarrow().to_pylist())


def _filter_choices(con: BaseBackend, period: Period) -> dict[str, list[str]]:
    """The channels sold through in the period, and the catalog's categories."""
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(period.start, period.end))
    return {
        "channels": _distinct(orders, "channel"),
        "categories": _distinct(con.table("products"), "category"),
    }


def _skus_in(con: BaseBackend, category: str) -> set[str]:
    products = con.table("products")
    return set(_distinct(products.filter(products.category == category), "sku"))


def _filtered_rows(
    con: BaseBackend, breakdown: Breakdown, channel: str | None, category: str | None
) -> list[dict[str, Any]]:
    """The breakdown rows the filters keep (a filter that does not apply keeps them all)."""
    rows = breakdown.rows
    if channel and breakdown.by is Dimension.channel:
        rows = [row for row in rows if row["key"] == channel]
    if category and breakdown.by is Dimension.category:
        rows = [row for row in rows if row["key"] == category]
    if category and breakdown.by is Dimension.product:
        skus = _skus_in(con, category)
        rows = [row for row in rows if row["key"] in skus]
    return rows


def _top_products(con: BaseBackend, period: Period, category: str | None) -> list[dict[str, Any]]:
    if not category:
        return top_products(con, period=period, limit=TOP_PRODUCTS)
    skus = _skus_in(con, category)
    rows = sales_by(con, period=period, by=Dimension.product).rows
    return [row for row in rows if row["key"] in skus][:TOP_PRODUCTS]


def filter_notes(by: Dimension, channel: str | None, category: str | None) -> list[str]:
    """What each active filter does and does not narrow, said on the page."""
    notes = []
    if channel and by is not Dimension.channel:
        notes.append(
            f"The channel filter applies to the channel breakdown only: sales by "
            f"{DIMENSION_LABELS[by].lower()} are not split by channel."
        )
    if category and by not in LINE_DIMENSIONS:
        notes.append(
            f"The category filter applies to the category and product tables: sales by "
            f"{DIMENSION_LABELS[by].lower()} are not split by category."
        )
    if channel or category:
        notes.append("Totals and the chart are the whole shop's.")
    return notes


def _default_direction(sort: SortColumn) -> Direction:
    return Direction.asc if sort in (SortColumn.key, SortColumn.name) else Direction.desc


def trend(name: str, change: Decimal | int | None) -> str:
    if not change:
        return ""
    return "good" if (change > 0) != (name in WORSE_WHEN_UP) else "bad"


def _changes(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Absolute and relative change of each card (relative None when the base is 0 or None)."""
    changes: dict[str, dict[str, Any]] = {}
    for name in CARDS:
        now, before = current[name], previous[name]
        if now is None or before is None:
            changes[name] = {"absolute": None, "relative": None}
            continue
        absolute = now - before
        relative = float(absolute / before) if before else None
        changes[name] = {"absolute": absolute, "relative": relative}
    return changes


def series_figure(
    series: list[dict[str, Any]],
    previous: list[dict[str, Any]] | None,
    *,
    grain: Grain,
    currency: str,
    previous_label: str,
) -> dict[str, Any]:
    """Net sales per bucket (bars), the comparison's bucket i drawn over bucket i (a line)."""
    # Buckets at their calendar start (Monday, 1st), even when the period cuts one: even bars.
    x = [bucket_start(row["start"], grain).isoformat() for row in series]
    hover = f"%{{customdata}}<br>%{{y:,.2f}} {currency}<extra></extra>"
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "Net sales",
            "x": x,
            "y": [float(row["net_sales"]) for row in series],
            "customdata": [_bucket_text(row, grain) for row in series],
            "marker": {"color": "#2563eb"},
            "hovertemplate": hover,
        }
    ]
    if previous:
        shown = previous[: len(x)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(shown) <= 62 else "lines",
                "name": previous_label,
                "x": x[: len(shown)],
                "y": [float(row["net_sales"]) for row in shown],
                "customdata": [_bucket_text(row, grain) for row in shown],
                "line": {"color": "#f59e0b", "width": 2, "dash": "dot"},
                "marker": {"size": 5},
                "hovertemplate": hover,
            }
        )
    xaxis: dict[str, Any] = {"type": "date"}
    if grain is Grain.week and len(x) <= 16:  # one tick per week, not Plotly's own days
        xaxis["dtick"] = 7 * 86_400_000
    if grain is Grain.month:
        xaxis |= {"dtick": "M1", "tickformat": "%b %Y"}
    return {
        "data": data,
        "layout": {
            "margin": {"l": 56, "r": 16, "t": 32, "b": 40},
            "height": 320,
            "hovermode": "x unified",
            "bargap": 0.25,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "yaxis": {"tickformat": ",.0f", "ticksuffix": f" {currency}", "automargin": True},
            "xaxis": xaxis | {"automargin": True},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _bucket_text(row: dict[str, Any], grain: Grain) -> str:
    start: date = row["start"]
    end: date = row["end"]
    if grain is Grain.day:
        return f"{start:%a} {start.day} {start:%b %Y}"
    if grain is Grain.month:
        return f"{start:%B %Y}" + ("" if start.day == 1 else f" (from {start.day})")
    return f"{row['label']}: {start.day} {start:%b} – {end.day} {end:%b %Y}"


@router.get("/sales")
def sales_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    grain: GrainQuery = Grain.day,
    by: ByQuery = Dimension.channel,
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    sort: SortQuery = SortColumn.net_sales,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
) -> Response:
    period = page_period(con, start, end)
    direction = direction or _default_direction(sort)
    context: dict[str, Any] = {
        "period": period,
        "compare": compare,
        "grain": grain,
        "by": by,
        "channel": channel or "",
        "category": category or "",
        "compare_labels": COMPARE_LABELS,
        "dimension_labels": DIMENSION_LABELS,
        "none_label": NONE_LABELS[by],
        # Average order value is not defined per product or category.
        "metrics": [
            m for m in METRICS if m[0] != "average_order_value" or by not in LINE_DIMENSIONS
        ],
        "per_page_choices": PER_PAGE_CHOICES,
        "url": lambda **changes: url_with(request, **changes),
        "csv_url": lambda table: url_with(request, "/sales.csv", table=table, page=None),
        "notes": filter_notes(by, channel, category),
    }
    if period is None:
        return render(request, "sales.html", context)
    # Sorting and paging swap the breakdown alone: only it is computed then.
    table_only = security.is_htmx(request) and request.headers.get("HX-Target") == "breakdown"
    if table_only:
        breakdown = sales_by(con, period=period, by=by)
    else:
        report = sales_report(con, period=period, grain=grain, by=by)
        assert report.breakdown is not None
        breakdown = report.breakdown
        previous_period = period.compared(compare)
        previous = (
            sales_series(con, period=previous_period, grain=grain) if previous_period else None
        )
        previous_totals = totals_of(previous) if previous is not None else None
        context |= {
            "totals": report.totals,
            "cards": CARDS,
            "previous_period": previous_period,
            "previous_totals": previous_totals,
            "changes": _changes(report.totals, previous_totals) if previous_totals else {},
            "trend": trend,
            "figure": series_figure(
                report.series,
                previous,
                grain=grain,
                currency=settings.store.currency,
                previous_label=COMPARE_LABELS[compare].capitalize(),
            ),
            "top": _top_products(con, period, category),
            "choices": _filter_choices(con, period),
        }
    rows = _filtered_rows(con, breakdown, channel, category)
    context |= {
        "breakdown": breakdown,
        "table": sort_and_page(
            rows, sort=sort.value, direction=direction, page=page, per_page=per_page
        ),
        "filtered": len(rows) != len(breakdown.rows),
    }
    return render(request, "sales_table.html" if table_only else "sales.html", context)


@router.get("/sales.csv")
def sales_csv(
    user: Reader,
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    grain: GrainQuery = Grain.day,
    by: ByQuery = Dimension.channel,
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    sort: SortQuery = SortColumn.net_sales,
    direction: DirQuery = None,
    table: Annotated[CsvTable, Query(description="Which table of the page.")] = CsvTable.breakdown,
) -> Response:
    """A table of the Sales page as CSV, every row (not one page), money with two decimals.

    breakdown: key[, name], metrics (sorted and filtered as on the page); series: each bucket's
    metrics with the comparison's net sales beside it; top: the top products.
    """
    period = page_period(con, start, end)
    metrics = [name for name, _, _ in METRICS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if table is CsvTable.series:
        writer.writerow(
            ["label", "start", "end", *metrics, "previous_start", "previous_end",
             "previous_net_sales"]
        )  # fmt: skip
        if period is not None:
            series = sales_series(con, period=period, grain=grain)
            previous_period = period.compared(compare)
            previous = (
                sales_series(con, period=previous_period, grain=grain) if previous_period else []
            )
            for i, row in enumerate(series):
                other = previous[i] if i < len(previous) else None
                extra = (
                    [other["start"], other["end"], other["net_sales"]] if other else ["", "", ""]
                )
                writer.writerow(
                    [row["label"], row["start"], row["end"], *_cells(row, metrics), *extra]
                )
    else:
        product_columns = table is CsvTable.top or by is Dimension.product
        if product_columns or by in LINE_DIMENSIONS:  # as on the page: no AOV per line key
            metrics.remove("average_order_value")
        key = "sku" if product_columns else by.value.replace("-", "_")
        writer.writerow([key, *(["name"] if product_columns else []), *metrics])
        if period is not None:
            if table is CsvTable.top:
                rows = _top_products(con, period, category)
            else:
                rows = _filtered_rows(con, sales_by(con, period=period, by=by), channel, category)
                rows = sort_rows(rows, sort.value, direction or _default_direction(sort))
            for row in rows:
                names = [row.get("name") or ""] if product_columns else []
                writer.writerow([row["key"] or "", *names, *_cells(row, metrics)])
    suffix = by.value if table is CsvTable.breakdown else table.value
    name = f"sales_{suffix}_{period.start}_{period.end}.csv" if period else f"sales_{suffix}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cells(row: dict[str, Any], metrics: list[str]) -> list[Any]:
    return ["" if row[name] is None else row[name] for name in metrics]
