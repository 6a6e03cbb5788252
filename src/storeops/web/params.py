"""Query parameters shared by pages and API: the period (`from`, `to`), its comparison, and the
channel and category filters (with the choices a page offers for them)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import ibis
from fastapi import HTTPException, Query
from ibis.backends import BaseBackend

from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import (
    FIRST_DAY,
    LAST_DAY,
    Compare,
    Period,
    data_period,
    resolve_period,
)

FromQuery = Annotated[
    date | None,
    Query(
        alias="from",
        description="First store-local day, YYYY-MM-DD (default: see each route).",
        ge=FIRST_DAY,
        le=LAST_DAY,
    ),
]
ToQuery = Annotated[
    date | None,
    Query(
        alias="to",
        description="Last store-local day, included, YYYY-MM-DD.",
        ge=FIRST_DAY,
        le=LAST_DAY,
    ),
]
CompareQuery = Annotated[
    Compare,
    Query(description="previous: the same number of days before; yoy: a year before; none."),
]
# The API's resources that the CLI also answers compare only when asked, so that their default
# answer stays the CLI's JSON.
ApiCompareQuery = Annotated[
    Compare,
    Query(
        description="Add previous{...} and change{...}: previous (the same number of days "
        "before), yoy (a year before) or none (default)."
    ),
]
ChannelQuery = Annotated[
    str | None,
    Query(max_length=200, description="Only the orders of this sales channel (empty: all)."),
]
CategoryQuery = Annotated[
    str | None,
    Query(max_length=200, description="Only the products of this category (empty: all)."),
]
COMPARE_LABELS = {
    Compare.previous: "previous period",
    Compare.yoy: "same dates last year",
    Compare.none: "no comparison",
}
# Pages open on the last 30 days with data; the API, like the CLI, defaults to all data.
PAGE_DAYS = 30


def _check_order(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise HTTPException(422, f"from {start} is after to {end}")


def api_period(con: BaseBackend, start: date | None, end: date | None) -> Period:
    """As `storeops kpis`: a missing bound is the first or last day with orders."""
    _check_order(start, end)
    return resolve_period(con, start, end)


def page_period(con: BaseBackend, start: date | None, end: date | None) -> Period | None:
    """The period a page shows: as asked, else the last 30 days with orders; None without data."""
    _check_order(start, end)
    if start and end:
        return Period(start, end)
    known = data_period(con)
    if known is None:
        return None
    end = end or known.end
    start = start or max(known.start, end - timedelta(days=PAGE_DAYS - 1))
    if start > end:  # `from` after the last day with data
        end = start
    return Period(start, end)


def chosen(value: str | None) -> str | None:
    """A filter as given: None for absent or empty (a form's "All ...")."""
    return value or None


def _distinct(table: ibis.Table, column: str) -> list[str]:
    values = table.filter(table[column].notnull()).select(column).distinct()
    return sorted(row[column] for row in values.to_pyarrow().to_pylist())


def filter_choices(con: BaseBackend, period: Period) -> dict[str, list[str]]:
    """The channels sold through in the period, and the catalog's categories."""
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(period.start, period.end))
    return {
        "channels": _distinct(orders, "channel"),
        "categories": _distinct(con.table("products"), "category"),
    }
