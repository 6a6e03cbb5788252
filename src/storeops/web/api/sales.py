"""GET /api/v1/sales: the same JSON as `storeops sales --json` for the same parameters.

Keys (see storeops.cli.sales): from, to, currency, grain, by, totals, series, and with `by` a
breakdown {keys, returns_attributed, unattributed, rows}. As in the CLI, giving `grain` also gives
each breakdown row its own series; without it the series is per day and rows have none. The
page's filters and comparison add: filters{channel, category} (figures of those orders and
lines only), previous{from, to, totals, series} and change{metric: {absolute, relative}}.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.compare import changes
from storeops.commerce.period import Compare
from storeops.commerce.sales import (
    Dimension,
    Grain,
    sales_report,
    sales_report_json,
    sales_series,
    totals_of,
)
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import (
    ApiCompareQuery,
    CategoryQuery,
    ChannelQuery,
    FromQuery,
    ToQuery,
    api_period,
    chosen,
)

router = APIRouter(tags=["sales"])


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
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    compare: ApiCompareQuery = Compare.none,
) -> dict[str, Any]:
    """Sales per store-local day/ISO week/month and by a dimension (Shopify's definitions).

    Without `from`/`to`, the first/last day with orders. Money is a string with two decimals,
    counts integers, days ISO dates; average_order_value is null where not defined (per
    product or category, and for a category filter's line figures).
    """
    period = api_period(con, start, end)
    filters = {"channel": chosen(channel), "category": chosen(category)}
    report = sales_report(
        con,
        period=period,
        grain=grain or Grain.day,
        by=by,
        top=top,
        series_by_key=grain is not None,
        **filters,
    )
    data = sales_report_json(report, settings.store.currency)
    previous_period = period.compared(compare)
    if previous_period is not None:
        series = sales_series(con, period=previous_period, grain=report.grain, **filters)
        totals = totals_of(series, per_order=filters["category"] is None)
        data["previous"] = {**previous_period.as_json(), "totals": totals, "series": series}
        data["change"] = changes(report.totals, totals, report.totals)
    return jsonable(data)
