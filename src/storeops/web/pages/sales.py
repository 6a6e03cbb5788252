"""Sales: the period's totals against a comparison, net sales per day/week/month with the
comparison overlaid, a breakdown by channel, category, product, country or discount code (sorted
and paged on the server), the top products, and CSV downloads of each table.

Filters: `channel` and `category` narrow everything on the page, the comparison included
(storeops.commerce.sales' filters: a category gives line figures, without an average order value).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storeops.commerce.compare import changes
from storeops.commerce.period import Compare, Period
from storeops.commerce.sales import (
    LINE_DIMENSIONS,
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
from storeops.web.charts import DATE_TICKS, day_axis, money_axis, money_hover
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.report_scaffolding import csv_download, report_context
from storeops.web.params import (
    COMPARE_LABELS,
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
Reader = Annotated[User, Depends(require("sales"))]
TOP_PRODUCTS = 10
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
CARD_LABELS = {
    "net_sales": "Net sales",
    "orders": "Orders",
    "average_order_value": "Average order value",
    "gross_sales": "Gross sales",
    "discounts": "Discounts",
    "returns": "Returns",
}
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
SortQuery = Annotated[SortColumn, Query(description="Column of the breakdown to sort by.")]


def filter_notes(category: str | None) -> list[str]:
    """What a filter changes in the figures, said on the page."""
    if not category:
        return []
    return [
        f"Figures of {category} are its order lines: orders holding one, line discounts and "
        "refund lines. Order-level discounts and refunds without lines cannot be split by "
        "category, and an average order value is not defined for a category."
    ]


def _default_direction(sort: SortColumn) -> Direction:
    return Direction.asc if sort in (SortColumn.key, SortColumn.name) else Direction.desc


def series_figure(
    series: list[dict[str, Any]],
    previous: list[dict[str, Any]] | None,
    *,
    period: Period,
    grain: Grain,
    currency: str,
    previous_label: str,
) -> dict[str, Any]:
    """Net sales per bucket (bars), the comparison's bucket i drawn over bucket i (a line)."""
    # Buckets at their calendar start (Monday, 1st), even when the period cuts one: even bars.
    starts = [bucket_start(row["start"], grain) for row in series]
    x = [day.isoformat() for day in starts]
    hover = f"%{{customdata}}<br>{money_hover(currency)}<extra></extra>"
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
    return {
        "data": data,
        "layout": {
            "margin": {"l": 48, "r": 16, "t": 32, "b": 40},
            "height": 320,
            "hovermode": "x unified",
            "bargap": 0.25,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "yaxis": money_axis(currency, automargin=True),
            "xaxis": bucket_axis(period, grain, starts),
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


def bucket_axis(period: Period, grain: Grain, starts: list[date]) -> dict[str, Any]:
    """The x axis of the buckets: days span the period exactly; weeks and months span their
    buckets (a bar stands at its bucket's start), a tick each when they are few."""
    if grain is Grain.day or not starts:
        return day_axis(period.start, period.end)
    half = 3 if grain is Grain.week else 15  # days: half a bucket either side
    axis = day_axis(starts[0] - timedelta(days=half), starts[-1] + timedelta(days=half))
    if grain is Grain.week and len(starts) <= DATE_TICKS * 2:
        axis |= {"dtick": 7 * 86_400_000, "tick0": starts[0].isoformat()}
    if grain is Grain.month:
        axis |= {"dtick": "M1" if len(starts) <= 12 else "M3", "tickformat": "%b %Y"}
    return axis


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
    channel, category = chosen(channel), chosen(category)
    filters = {"channel": channel, "category": category}
    # Average order value is defined per order: not per product or category, nor for the
    # line figures of a category filter.
    per_order = by not in LINE_DIMENSIONS and category is None
    context = report_context(request, "/sales.csv", period, compare, grain, channel, category)
    context |= {
        "by": by,
        "dimension_labels": DIMENSION_LABELS,
        "none_label": NONE_LABELS[by],
        "metrics": [m for m in METRICS if m[0] != "average_order_value" or per_order],
        "notes": filter_notes(category),
    }
    if period is None:
        return render(request, "sales.html", context)
    # Sorting and paging swap the breakdown alone: only it is computed then.
    table_only = security.is_htmx(request) and request.headers.get("HX-Target") == "breakdown"
    if table_only:
        breakdown = sales_by(con, period=period, by=by, **filters)
    else:
        report = sales_report(con, period=period, grain=grain, by=by, **filters)
        assert report.breakdown is not None
        breakdown = report.breakdown
        previous_period = period.compared(compare)
        previous = (
            sales_series(con, period=previous_period, grain=grain, **filters)
            if previous_period
            else None
        )
        previous_totals = (
            totals_of(previous, per_order=category is None) if previous is not None else None
        )
        context |= {
            "totals": report.totals,
            "cards": CARDS,
            "card_labels": CARD_LABELS,
            "worse_when_up": WORSE_WHEN_UP,
            "previous_period": previous_period,
            "previous_totals": previous_totals,
            "changes": changes(report.totals, previous_totals, CARDS) if previous_totals else {},
            "figure": series_figure(
                report.series,
                previous,
                period=period,
                grain=grain,
                currency=settings.store.currency,
                previous_label=COMPARE_LABELS[compare].capitalize(),
            ),
            "top": top_products(con, period=period, limit=TOP_PRODUCTS, **filters),
            "choices": filter_choices(con, period),
        }
    context |= {
        "breakdown": breakdown,
        "table": sort_and_page(
            breakdown.rows, sort=sort.value, direction=direction, page=page, per_page=per_page
        ),
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
    channel, category = chosen(channel), chosen(category)
    filters = {"channel": channel, "category": category}
    metrics = [name for name, _, _ in METRICS]
    rows: list[list[Any]]
    if table is CsvTable.series:
        rows = [
            ["label", "start", "end", *metrics, "previous_start", "previous_end",
             "previous_net_sales"]
        ]  # fmt: skip
        if period is not None:
            series = sales_series(con, period=period, grain=grain, **filters)
            previous_period = period.compared(compare)
            previous = (
                sales_series(con, period=previous_period, grain=grain, **filters)
                if previous_period
                else []
            )
            for i, row in enumerate(series):
                other = previous[i] if i < len(previous) else None
                extra = (
                    [other["start"], other["end"], other["net_sales"]] if other else ["", "", ""]
                )
                rows.append([row["label"], row["start"], row["end"], *_cells(row, metrics), *extra])
    else:
        product_columns = table is CsvTable.top or by is Dimension.product
        if product_columns or by in LINE_DIMENSIONS or category:  # as on the page: no AOV
            metrics.remove("average_order_value")
        key = "sku" if product_columns else by.value.replace("-", "_")
        rows = [[key, *(["name"] if product_columns else []), *metrics]]
        if period is not None:
            if table is CsvTable.top:
                sold = top_products(con, period=period, limit=TOP_PRODUCTS, **filters)
            else:
                sold = sales_by(con, period=period, by=by, **filters).rows
                sold = sort_rows(sold, sort.value, direction or _default_direction(sort))
            for row in sold:
                names = [row.get("name") or ""] if product_columns else []
                rows.append([row["key"] or "", *names, *_cells(row, metrics)])
    suffix = by.value if table is CsvTable.breakdown else table.value
    name = f"sales_{suffix}_{period.start}_{period.end}.csv" if period else f"sales_{suffix}.csv"
    return csv_download(name, rows)


def _cells(row: dict[str, Any], metrics: list[str]) -> list[Any]:
    return ["" if row[name] is None else row[name] for name in metrics]
