"""GET /api/v1/baskets: the same JSON as `storeops baskets --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from storeops.commerce.baskets import baskets_comparison, baskets_summary, bought_together
from storeops.commerce.period import Compare
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import Warehouse, require
from storeops.web.pages.baskets import MaxBasketQuery, MinSupportQuery, TopQuery
from storeops.web.params import ApiCompareQuery, FromQuery, ToQuery, api_period

router = APIRouter(tags=["baskets"])


@router.get("/baskets")
def get_baskets(
    user: Annotated[User, Depends(require("baskets"))],
    con: Warehouse,
    start: FromQuery = None,
    end: ToQuery = None,
    min_support: MinSupportQuery = 10,
    max_basket: MaxBasketQuery = 20,
    top: TopQuery = 20,
    compare: ApiCompareQuery = Compare.none,
) -> dict[str, Any]:
    """Products bought together: the `top` SKU pairs by lift among those bought together in at
    least `min_support` sale orders, orders with more than `max_basket` SKUs left out.

    Without `from`/`to`, the first/last day with orders. Keys: from, to, min_support,
    max_basket, orders, orders_excluded, skus, skus_kept, pairs[{sku_a, name_a, sku_b, name_b,
    orders, orders_a, orders_b, support, confidence_a_b, confidence_b_a, lift}]; rates floats.
    With a comparison: previous{from, to, orders}, and each pair gains previous{orders,
    orders_a, orders_b, support, confidence_a_b, confidence_b_a, lift} (the same pair then, same
    max_basket, no support floor; null where a base is 0) and change{figure: {absolute,
    relative}}.
    """
    period = api_period(con, start, end)
    report = bought_together(
        con, period=period, min_support=min_support, max_basket=max_basket, top=top
    )
    data = baskets_summary(report)
    other = period.compared(compare)
    if other is not None:
        data |= baskets_comparison(con, report, other)
    return jsonable(data)
