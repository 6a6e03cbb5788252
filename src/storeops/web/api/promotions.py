"""GET /api/v1/promotions: the same JSON as `storeops promotions --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from storeops.commerce.period import Compare
from storeops.commerce.promotions import (
    Estimator,
    promotion_report,
    promotions_comparison,
    promotions_summary,
)
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.promotions import AfterDaysQuery, EstimatorQuery, WeeksQuery
from storeops.web.params import ApiCompareQuery, FromQuery, ToQuery, api_period

router = APIRouter(tags=["promotions"])


@router.get("/promotions")
def get_promotions(
    user: Annotated[User, Depends(require("promotions"))],
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    weeks: WeeksQuery = 4,
    after_days: AfterDaysQuery = 7,
    estimator: EstimatorQuery = Estimator.median,
    compare: ApiCompareQuery = Compare.none,
) -> dict[str, Any]:
    """Discount codes and campaign runs of the period: orders, gross and net sales, discount
    cost, and against a same-weekday baseline of the `weeks` before each run (other
    promotions left out), the incremental revenue and the dip of the `after_days` after it.

    Without `from`/`to`, the first/last day with orders. Keys: from, to, currency,
    method{weeks, after_days, estimator}, codes[...], campaigns[{campaign, codes, first_day,
    last_day, orders, gross_sales, discounts, net_sales, status, reason, baseline{lookback,
    actual, expected, days[...]}, incremental_revenue, incremental_rate, dip{...}}]. Money as
    "12.50" strings, days ISO; baseline figures null unless status is "ok". With a
    comparison: coded{orders, gross_sales, discounts, net_sales} (orders with any code, each
    once), previous{from, to, coded{...}}, change{coded{figure: {absolute, relative}}}, and each
    code gains previous{...} (the same code in the compared period) and change{...}.
    """
    period = api_period(con, start, end)
    report = promotion_report(
        con,
        period=period,
        timezone=settings.store.timezone,
        weeks=weeks,
        after_days=after_days,
        estimator=estimator,
    )
    data = promotions_summary(report, settings.store.currency)
    other = period.compared(compare)
    if other is not None:
        data |= promotions_comparison(con, report, other)
    return jsonable(data)
