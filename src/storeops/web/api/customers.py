"""GET /api/v1/customers: the same JSON as `storeops customers --json` for the same parameters.

Keys (see storeops.cli.customers): from, to, currency and, each only when asked for (all three
when none is), new_vs_returning {grain, buckets}, cohorts {months, guest_orders, cohorts},
rfm {as_of, customers, revenue, guest_orders, guest_revenue, segments}.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.customers import (
    Grain,
    customers_comparison,
    customers_headline,
    customers_summary,
    new_vs_returning,
    rfm_segments,
)
from storeops.commerce.period import Compare
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

router = APIRouter(tags=["customers"])


@router.get("/customers")
def get_customers(
    user: Annotated[User, Depends(require("customers"))],
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    cohorts: Annotated[bool, Query(description="Monthly cohort retention.")] = False,
    rfm: Annotated[bool, Query(description="RFM segments as of `to`.")] = False,
    new_returning: Annotated[
        bool, Query(alias="new_vs_returning", description="New against returning customers.")
    ] = False,
    grain: Annotated[Grain, Query(description="Buckets of new_vs_returning.")] = Grain.month,
    channel: ChannelQuery = None,
    category: CategoryQuery = None,
    compare: ApiCompareQuery = Compare.none,
) -> dict[str, Any]:
    """New against returning customers, monthly cohort retention and RFM segments.

    Without `from`/`to`, the first/last day with orders. Money is a string with two decimals,
    rates floats, days ISO dates; retention months not yet seen are null. `channel` and
    `category` keep the sale orders of the channel holding a line of the category (adding
    filters{...}); a comparison adds figures{customers, new_customers, revenue, guest_orders,
    guest_revenue}, previous{from, to, figures{...}} and change{figure: {absolute, relative}}.
    """
    period = api_period(con, start, end)
    kept = {"channel": chosen(channel), "category": chosen(category)}
    views = {
        name
        for name, on in (("cohorts", cohorts), ("rfm", rfm), ("new_vs_returning", new_returning))
        if on
    }
    data = customers_summary(con, period=period, views=views, grain=grain, **kept)
    other = period.compared(compare)
    if other is not None:
        figures = customers_headline(
            rfm_segments(con, period=period, **kept),
            new_vs_returning(con, period=period, grain=Grain.month, **kept),
        )
        data |= {"figures": figures, **customers_comparison(con, figures, other, **kept)}
    return jsonable({**period.as_json(), "currency": settings.store.currency, **data})
