"""Stock: SKUs about to run out, ABC/XYZ classes, dead and slow stock (storeops.commerce.stock).

One stock_health call per period shown: the view (`view`), the category filter (cards, tabs,
matrix and table alike), sorting and paging all work on its rows. The period's end is the as-of day and its start the first day
stock-outs are counted from; like `storeops stock`, they default to the last day with orders and
the 28-day demand window before it. Compared with the previous period (or the same dates last
year), the cards and each SKU's sales velocity, units sold and lost sales show how they moved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from ibis.backends import BaseBackend

from storeops.commerce.period import Compare, Period, data_period
from storeops.commerce.stock import (
    DEFAULT_LOOKBACK_DAYS,
    StockRow,
    StockView,
    stock_comparison,
    stock_health,
    stock_summary,
)
from storeops.db.users import User
from storeops.web import security
from storeops.web.datatable import Column, csv_response, page_of
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import COMPARE_LABELS, CompareQuery, FromQuery, ToQuery
from storeops.web.rendering import render
from storeops.web.tables import (
    PER_PAGE_CHOICES,
    Direction,
    DirQuery,
    PageQuery,
    PerPageQuery,
    TablePage,
    url_with,
)

router = APIRouter()
Reader = Annotated[User, Depends(require("stock"))]
TABLE_ID = "stock-table"

VIEW_LABELS = {
    StockView.risk: "About to run out",
    StockView.abc: "ABC / XYZ",
    StockView.dead: "Dead and slow",
    StockView.all: "All SKUs",
}
SKU = Column("sku", "SKU", sub="title")
CATEGORY = Column("category", "Category", hide="md")
VELOCITY = Column("velocity", "Units / day", "ratio", previous="previous_velocity")
LOST_SALES = Column(
    "lost_sales", "Lost sales", "money", previous="previous_lost_sales", worse_when_up=True
)
UNITS_SOLD = Column("units_sold", "Units sold", "count", previous="previous_units_sold")
COLUMNS: dict[StockView, tuple[Column, ...]] = {
    StockView.risk: (
        SKU,
        CATEGORY,
        Column("on_hand", "On hand", "count"),
        replace(VELOCITY, hide="sm"),
        Column("days_of_cover", "Days of cover", "days"),
        Column("stockout_date", "Runs out", "date", hide="sm"),
        Column("reorder_point", "Reorder point", "count", hide="md"),
        Column("reorder_qty", "Reorder qty", "count", hide="sm"),
        LOST_SALES,
    ),
    StockView.abc: (
        SKU,
        CATEGORY,
        Column("abc", "ABC"),
        Column("xyz", "XYZ"),
        Column("revenue", "Revenue", "money"),
        replace(UNITS_SOLD, hide="sm"),
        replace(VELOCITY, hide="sm"),
        Column("demand_sd", "Daily s.d.", "ratio", hide="md"),
        Column("on_hand", "On hand", "count", hide="sm"),
    ),
    StockView.dead: (
        SKU,
        CATEGORY,
        Column("on_hand", "On hand", "count"),
        Column("last_sold", "Last sold", "date", hide="sm"),
        Column("days_since_sale", "Days since sale", "count"),
        Column("days_of_cover", "Days of cover", "days", hide="md"),
        Column("sell_through", "Sell-through", "rate", hide="sm"),
        Column("stock_value", "Value tied up", "money"),
    ),
    StockView.all: (
        SKU,
        CATEGORY,
        Column("on_hand", "On hand", "count"),
        replace(VELOCITY, hide="sm"),
        Column("days_of_cover", "Days of cover", "days", hide="sm"),
        Column("stockout_days", "Stock-out days", "count", hide="md"),
        replace(LOST_SALES, hide="sm"),
        replace(UNITS_SOLD, hide="md"),
        Column("revenue", "Revenue", "money"),
        Column("stock_value", "Stock value", "money", hide="md"),
    ),
}
SortColumn = StrEnum(  # type: ignore[misc]
    "SortColumn", {c.key: c.key for columns in COLUMNS.values() for c in columns}
)

ViewQuery = Annotated[
    StockView, Query(description="risk, abc, dead or all (every SKU by revenue).")
]
CategoryQuery = Annotated[
    str | None, Query(max_length=200, description="Show the SKUs of this category only.")
]
SortQuery = Annotated[
    SortColumn | None, Query(description="A column of the view (default: the view's order).")
]


def stock_period(con: BaseBackend, start: date | None, end: date | None) -> Period | None:
    """As `storeops stock`: `to` defaults to the last day with orders, `from` to the start of
    the 28-day demand window ending on `to`. None when `to` is missing and there are no orders."""
    if end is None:
        known = data_period(con)
        if known is None:
            return None
        end = known.end
    start = start or end - timedelta(days=DEFAULT_LOOKBACK_DAYS - 1)
    if start > end:
        raise HTTPException(422, f"from {start} is after to {end}")
    return Period(start, end)


def _rows(data: dict[str, Any], compared: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The view's SKUs, with their figures of the compared period."""
    rows = data["skus"]
    for row in rows:
        row["_badge"] = (
            "dead" if row["dead"] else "slow" if row["slow"] else "out" if row["on_hand"] == 0
            else None
        )  # fmt: skip
        if compared is not None:
            earlier = compared["skus"][row["sku"]]["previous"]
            row |= {f"previous_{name}": value for name, value in earlier.items()}
    return rows


def abc_matrix(skus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """SKUs and revenue of each ABC × XYZ cell ('-' for SKUs without demand in the window)."""
    cells: dict[str, dict[str, Any]] = {
        f"{a}{x}": {"skus": 0, "revenue": Decimal(0)} for a in "ABC" for x in "XYZ-"
    }
    for row in skus:
        cell = cells[f"{row['abc']}{row['xyz'] or '-'}"]
        cell["skus"] += 1
        cell["revenue"] += row["revenue"]
    return cells


def _compute(
    con: BaseBackend,
    period: Period,
    view: StockView,
    currency: str,
    compare: Compare,
    category: str | None,
) -> tuple[dict[str, Any], list[str], dict[str, Any] | None]:
    """The view's data of the category's SKUs (one stock_health call), the categories of all
    SKUs, and the comparison with the compared period (None without one)."""
    health = stock_health(con, as_of=period.end, since=period.start)
    kept = in_category(health, category)
    data = stock_summary(kept, period=period, view=view, currency=currency)
    other = period.compared(compare)
    compared = None
    if other is not None:
        earlier = in_category(stock_health(con, as_of=other.end, since=other.start), category)
        compared = stock_comparison(kept, earlier, other)
    return data, sorted({r.category for r in health if r.category}), compared


def in_category(rows: list[StockRow], category: str | None) -> list[StockRow]:
    """The SKUs of `category` (all without one)."""
    return [row for row in rows if not category or row.category == category]


def _view_counts(totals: dict[str, Any]) -> dict[StockView, int]:
    return {
        StockView.risk: totals["at_risk"],
        StockView.abc: totals["skus"],
        StockView.dead: totals["dead_skus"] + totals["slow_skus"],
        StockView.all: totals["skus"],
    }


def _table(
    rows: list[dict[str, Any]], sort: Any, direction: Direction | None, page: int, per_page: int
) -> TablePage:
    return page_of(
        rows,
        sort=sort.value if sort else None,
        direction=direction or (_default_dir(sort) if sort else Direction.asc),
        page=page,
        per_page=per_page,
    )


@router.get("/stock")
def stock_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    view: ViewQuery = StockView.risk,
    category: CategoryQuery = None,
    sort: SortQuery = None,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
) -> Response:
    context: dict[str, Any] = {
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "view": view,
        "view_labels": VIEW_LABELS,
        "category": category or "",
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, **changes),
        "csv_url": url_with(request, "/stock.csv", page=None, per_page=None),
    }
    period = stock_period(con, start, end)
    if period is None:
        return render(request, "stock.html", context | {"period": None})
    data, categories, compared = _compute(
        con, period, view, settings.store.currency, compare, category
    )
    rows = _rows(data, compared)
    context |= {
        "period": period,
        "previous_period": period.compared(compare),
        "comparison": compared,
        "data": data,
        "categories": categories,
        "view_counts": _view_counts(data["totals"]),
        "columns": COLUMNS[view],
        "table": _table(rows, sort, direction, page, per_page),
    }
    if view is StockView.abc:
        context["matrix"] = abc_matrix(rows)
    table_only = security.is_htmx(request) and request.headers.get("HX-Target") == TABLE_ID
    return render(request, "stock_table.html" if table_only else "stock.html", context)


@router.get("/stock.csv")
def stock_csv(
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    view: ViewQuery = StockView.risk,
    category: CategoryQuery = None,
    sort: SortQuery = None,
    direction: DirQuery = None,
) -> Response:
    """The page's table as CSV: the view's columns, every row (filtered and sorted as shown),
    each compared figure followed by its value in the compared period (previous_*)."""
    period = stock_period(con, start, end)
    if period is None:
        return csv_response("stock.csv", COLUMNS[view], [])
    data, _, compared = _compute(con, period, view, settings.store.currency, compare, category)
    rows = _rows(data, compared)
    table = _table(rows, sort, direction, 1, max(len(rows), 1))
    name = f"stock_{view.value}_{period.start}_{period.end}.csv"
    return csv_response(name, COLUMNS[view], table.rows)


def _default_dir(sort: Any) -> Direction:
    """Names, classes and the days left read best ascending; amounts largest first."""
    ascending = {"sku", "category", "abc", "xyz", "stockout_date", "days_of_cover", "last_sold"}
    return Direction.asc if sort.value in ascending else Direction.desc
