"""GET /api/v1/sales: the same JSON as `storeops sales --json` for the same parameters.

Keys (see storeops.cli.sales): from, to, currency, grain, by, totals, series, and with `by` a
breakdown {keys, returns_attributed, unattributed, rows}. As in the CLI, giving `grain` also gives
each breakdown row its own series; without it the series is per day and rows have none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.sales import Dimension, Grain, SalesReport, sales_report, sales_report_json
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import FromQuery, ToQuery, api_period

router = APIRouter(tags=["sales"])


def sales_json(report: SalesReport, currency: str) -> dict[str, Any]:
    """The report in `storeops sales --json`'s shape."""
    return jsonable(sales_report_json(report, currency))


@router.get("/sales")
def get_sales(
    user: Annotated[User, Depends(require("sales"))],
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    grain: Annotated[
        Grain | None,
        Query(description="day (default), week or month; also gives breakdown rows a series."),
    ] = None,
    by: Annotated[
        Dimension | None,
        Query(description="channel, category, product, country or discount-code."),
    ] = None,
    top: Annotated[
        int | None, Query(ge=1, description="Only the N keys with the most net sales.")
    ] = None,
) -> dict[str, Any]:
    """Sales per store-local day/ISO week/month and by a dimension (Shopify's definitions).

    Without `from`/`to`, the first/last day with orders. Money is a string with two decimals,
    counts integers, days ISO dates; average_order_value is null where not defined.
    """
    report = sales_report(
        con,
        period=api_period(con, start, end),
        grain=grain or Grain.day,
        by=by,
        top=top,
        series_by_key=grain is not None,
    )
    return sales_json(report, settings.store.currency)
