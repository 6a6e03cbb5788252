"""Baskets: products bought together, pairs of SKUs with support, confidence and lift
(storeops.commerce.baskets), with controls for the minimum support and the largest basket.

One bought_together call per request; the table sorts and pages its `top` pairs (best lift).
Against the previous period (or the same dates last year), each pair's orders and lift then
(storeops.commerce.baskets.baskets_comparison) show whether it is a lasting affinity.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storeops.commerce.baskets import BasketReport, baskets_comparison, bought_together
from storeops.commerce.period import Compare
from storeops.db.users import User
from storeops.web.datatable import Column, csv_response, page_of
from storeops.web.deps import Warehouse, require
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
Reader = Annotated[User, Depends(require("baskets"))]
TOP_CHOICES = (20, 50, 100, 200)

COLUMNS = (
    Column("sku_a", "Product A", sub="name_a"),
    Column("sku_b", "Product B", sub="name_b"),
    Column("orders", "Orders together", "count", previous="previous_orders"),
    Column("support", "Support", "share", hide="sm"),
    Column("confidence_a_b", "A → B", "rate", hide="sm"),
    Column("confidence_b_a", "B → A", "rate", hide="sm"),
    Column("lift", "Lift", "ratio", previous="previous_lift"),
)
SortColumn = StrEnum("SortColumn", {c.key: c.key for c in COLUMNS})  # type: ignore[misc]

MinSupportQuery = Annotated[
    int, Query(ge=1, description="Fewest orders a pair (and each of its SKUs) must be in.")
]
MaxBasketQuery = Annotated[
    int, Query(ge=2, le=1000, description="Leave out orders with more distinct SKUs than this.")
]
TopQuery = Annotated[int, Query(ge=1, le=1000, description="How many pairs, best lift first.")]


def _report(con: Any, start: Any, end: Any, min_support: int, max_basket: int, top: int) -> Any:
    period = page_period(con, start, end)
    if period is None:
        return None
    return bought_together(
        con, period=period, min_support=min_support, max_basket=max_basket, top=top
    )


def compared_rows(
    con: Any, report: BasketReport, compare: Compare
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The report's pairs with their orders and lift in the compared period (previous_orders,
    previous_lift), and the comparison (None without one)."""
    other = report.period.compared(compare)
    if other is None:
        return report.pairs, None
    comparison = baskets_comparison(con, report, other)
    rows = [
        pair
        | {"previous_orders": pair["previous"]["orders"], "previous_lift": pair["previous"]["lift"]}
        for pair in comparison["pairs"]
    ]
    return rows, comparison


def _default_dir(sort: Any) -> Direction:
    return Direction.asc if sort.value in ("sku_a", "sku_b") else Direction.desc


@router.get("/baskets")
def baskets_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    min_support: MinSupportQuery = 10,
    max_basket: MaxBasketQuery = 20,
    top: TopQuery = 20,
    sort: Annotated[SortColumn | None, Query(description="A column (default: lift).")] = None,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
) -> Response:
    report = _report(con, start, end, min_support, max_basket, top)
    context: dict[str, Any] = {
        "report": report,
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "period": report.period if report else None,
        "min_support": min_support,
        "max_basket": max_basket,
        "top": top,
        "top_choices": sorted({*TOP_CHOICES, top}),
        "columns": COLUMNS,
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, **changes),
        "csv_url": url_with(request, "/baskets.csv", page=None, per_page=None),
    }
    if report is not None:
        rows, comparison = compared_rows(con, report, compare)
        context |= {
            "comparison": comparison,
            "previous_period": report.period.compared(compare),
            "lift_rose": sum(
                1
                for r in rows
                if r.get("previous_lift") is not None and r["lift"] > r["previous_lift"]
            ),
            "seen_then": sum(1 for r in rows if r.get("previous_lift") is not None),
        }
        context["table"] = page_of(
            rows,
            sort=sort.value if sort else None,
            direction=direction or (_default_dir(sort) if sort else Direction.desc),
            page=page,
            per_page=per_page,
        )
    return render(request, "baskets.html", context)


@router.get("/baskets.csv")
def baskets_csv(
    user: Reader,
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    min_support: MinSupportQuery = 10,
    max_basket: MaxBasketQuery = 20,
    top: TopQuery = 20,
    sort: Annotated[SortColumn | None, Query(description="A column (default: lift).")] = None,
    direction: DirQuery = None,
) -> Response:
    """The pairs as CSV, sorted as on the page, with each SKU's own order count and the
    pair's orders and lift in the compared period."""
    report = _report(con, start, end, min_support, max_basket, top)
    columns = (*COLUMNS, Column("orders_a", "Orders with A"), Column("orders_b", "Orders with B"))
    if report is None:
        return csv_response("baskets.csv", columns, [])
    pairs, _ = compared_rows(con, report, compare)
    rows = page_of(
        pairs,
        sort=sort.value if sort else None,
        direction=direction or (_default_dir(sort) if sort else Direction.desc),
        page=1,
        per_page=max(len(pairs), 1),
    ).rows
    period = report.period
    return csv_response(f"baskets_{period.start}_{period.end}.csv", columns, rows)
