"""After-sales: returns of the period's orders by reason and by SKU (the SKUs whose returns
stand out highlighted), and ticket service levels against the targets of [aftersales]
(storeops.commerce.aftersales).

One returns_report and one ticket_report per period shown (and per compared period: the
cards show how return rates, ticket service levels, backlog and satisfaction moved since);
sorting and paging the SKU table (htmx) computes returns_report alone.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storeops.commerce.aftersales import (
    ReturnsReport,
    aftersales_comparison,
    aftersales_summary,
    returns_report,
    ticket_report,
)
from storeops.commerce.period import Compare
from storeops.db.users import User
from storeops.web import security
from storeops.web.charts import money_axis, money_hover
from storeops.web.datatable import Column, csv_response, page_of
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import COMPARE_LABELS, CompareQuery, FromQuery, ToQuery, page_period
from storeops.web.rendering import render
from storeops.web.tables import (
    PER_PAGE_CHOICES,
    Direction,
    DirQuery,
    PageQuery,
    PerPageQuery,
    url_with,
)

router = APIRouter()
Reader = Annotated[User, Depends(require("aftersales"))]
TABLE_ID = "returns-table"

COLUMNS = (
    Column("key", "SKU"),
    Column("category", "Category", hide="sm"),
    Column("units_sold", "Units sold", "count", hide="sm"),
    Column("units_returned", "Units returned", "units", hide="sm"),
    Column("unit_return_rate", "Unit return rate", "rate"),
    Column("net_sales", "Net sales", "money", hide="sm"),
    Column("refunded", "Refunded", "money"),
    Column("refund_rate", "Refund rate", "rate", hide="sm"),
)


class SortColumn(StrEnum):
    key = "key"
    category = "category"
    units_sold = "units_sold"
    units_returned = "units_returned"
    unit_return_rate = "unit_return_rate"
    net_sales = "net_sales"
    refunded = "refunded"
    refund_rate = "refund_rate"


CategoryQuery = Annotated[
    str | None, Query(max_length=200, description="Show the SKUs of this category only.")
]
SortQuery = Annotated[SortColumn, Query(description="A column of the SKU table.")]


def sku_rows(returns: ReturnsReport, category: str | None) -> list[dict[str, Any]]:
    """The SKU table's rows: largest refunds first; stand-out SKUs flagged and highlighted."""
    standouts = {s.sku: s for s in returns.standouts}
    rows = []
    for row in sorted(returns.by_sku, key=lambda r: (-r.refunded, r.key)):
        if category and row.category != category:
            continue
        found = standouts.get(row.key)
        rows.append(
            asdict(row)
            | {
                "standout": found is not None,
                "baseline_rate": found.baseline_rate if found else None,
                "_class": "standout" if found else None,
                "_badge": "stands out" if found else None,
            }
        )
    return rows


def reason_figure(by_reason: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Refunded value by reason, largest at the top, with each reason's share."""
    rows = sorted(by_reason, key=lambda r: r["refunded"])
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [float(r["refunded"]) for r in rows],
                "y": [r["reason"] for r in rows],
                "text": [f"{r['share']:.0%}" if r["share"] is not None else "" for r in rows],
                "textposition": "auto",
                "customdata": [r["refunds"] for r in rows],
                "marker": {"color": "#2563eb"},
                "hovertemplate": (
                    f"%{{y}}<br>{money_hover(currency, 'x')} · %{{customdata}} refunds"
                    "<extra></extra>"
                ),
            }
        ],
        "layout": {
            "margin": {"l": 8, "r": 16, "t": 8, "b": 40},
            "height": max(200, 36 * len(rows) + 60),
            "xaxis": money_axis(currency, rangemode="tozero"),
            "yaxis": {"automargin": True},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


@router.get("/aftersales")
def aftersales_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    category: CategoryQuery = None,
    sort: SortQuery = SortColumn.refunded,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
) -> Response:
    period = page_period(con, start, end)
    context: dict[str, Any] = {
        "period": period,
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "category": category or "",
        "columns": COLUMNS,
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, **changes),
        "csv_url": url_with(request, "/aftersales.csv", page=None, per_page=None),
    }
    if period is None:
        return render(request, "aftersales.html", context)
    returns = returns_report(con, period)
    rows = sku_rows(returns, category)
    context["table"] = page_of(
        rows,
        sort=sort.value,
        direction=direction or _default_dir(sort),
        page=page,
        per_page=per_page,
    )
    if security.is_htmx(request) and request.headers.get("HX-Target") == TABLE_ID:
        return render(request, "aftersales_table.html", context)
    targets, currency, zone = settings.aftersales, settings.store.currency, settings.store.timezone
    tickets = ticket_report(con, period, targets, timezone=zone)
    # limit=0: the SKU table above has its own rows (all SKUs, filtered, sorted, paged)
    data = aftersales_summary(returns, tickets, targets, currency=currency, limit=0)
    other = period.compared(compare)
    context |= {"previous_period": other, "comparison": None}
    if other is not None:
        earlier = (returns_report(con, other), ticket_report(con, other, targets, timezone=zone))
        context["comparison"] = aftersales_comparison((returns, tickets), earlier)
    context |= {
        "data": data,
        "categories": sorted({r.category for r in returns.by_sku if r.category}),
        "reason_figure": reason_figure(data["returns"]["by_reason"], currency),
    }
    return render(request, "aftersales.html", context)


@router.get("/aftersales.csv")
def aftersales_csv(
    user: Reader,
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    category: CategoryQuery = None,
    sort: SortQuery = SortColumn.refunded,
    direction: DirQuery = None,
) -> Response:
    """The returns by SKU as CSV: every row, filtered and sorted as on the page; stand-out SKUs
    with standout=yes and the rate of the rest of their category (baseline_rate)."""
    period = page_period(con, start, end)
    columns = (*COLUMNS, Column("standout", "Stands out"), Column("baseline_rate", "Rest", "rate"))
    if period is None:
        return csv_response("aftersales.csv", columns, [])
    rows = sku_rows(returns_report(con, period), category)
    table = page_of(
        rows,
        sort=sort.value,
        direction=direction or _default_dir(sort),
        page=1,
        per_page=max(len(rows), 1),
    )
    return csv_response(f"returns_by_sku_{period.start}_{period.end}.csv", columns, table.rows)


def _default_dir(sort: SortColumn) -> Direction:
    return Direction.asc if sort in (SortColumn.key, SortColumn.category) else Direction.desc
