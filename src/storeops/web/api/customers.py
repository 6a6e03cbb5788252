"""GET /api/v1/customers: the same JSON as `storeops customers --json` for the same parameters.

Keys (see storeops.cli.customers): from, to, currency and, each only when asked for (all three
when none is), new_vs_returning {grain, buckets}, cohorts {months, guest_orders, cohorts},
rfm {as_of, customers, revenue, guest_orders, guest_revenue, segments}.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.customers import Grain, cohort_retention, new_vs_returning, rfm_segments
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.jsonout import jsonable
from storeops.web.params import FromQuery, ToQuery, api_period

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
) -> dict[str, Any]:
    """New against returning customers, monthly cohort retention and RFM segments.

    Without `from`/`to`, the first/last day with orders. Money is a string with two decimals,
    rates floats, days ISO dates; retention months not yet seen are null.
    """
    period = api_period(con, start, end)
    every = not (cohorts or rfm or new_returning)
    data: dict[str, Any] = {**period.as_json(), "currency": settings.store.currency}
    if every or new_returning:
        buckets = new_vs_returning(con, period=period, grain=grain)
        data["new_vs_returning"] = {"grain": grain.value, "buckets": buckets}
    if every or cohorts:
        data["cohorts"] = asdict(cohort_retention(con, period=period))
    if every or rfm:
        data["rfm"] = rfm_segments(con, period=period)
    return jsonable(data)
