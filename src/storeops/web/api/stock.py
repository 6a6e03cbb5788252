"""GET /api/v1/stock: the same JSON as `storeops stock --json` (view and limit as its flags)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.period import Compare
from storeops.commerce.stock import StockView, stock_comparison, stock_health, stock_summary
from storeops.core.errors import UserError
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.stock import CategoryQuery, ViewQuery, in_category, stock_period
from storeops.web.params import ApiCompareQuery, FromQuery, ToQuery

router = APIRouter(tags=["stock"])


@router.get("/stock")
def get_stock(
    user: Annotated[User, Depends(require("stock"))],
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    view: ViewQuery = StockView.all,
    limit: Annotated[int | None, Query(ge=1, description="At most this many SKUs.")] = None,
    compare: ApiCompareQuery = Compare.none,
    category: CategoryQuery = None,
) -> dict[str, Any]:
    """Stock health per SKU as of `to` (default: the last day with orders), stock-outs counted
    from `from` (default: the 28-day demand window): cover, stock-out date, reorder point and
    quantity, lost sales, ABC/XYZ, dead and slow stock.

    view: all (every SKU by revenue), risk (runs out within the lead time, fewest days of cover
    first), dead (dead then slow stock, by value tied up), abc (by class; adds classes and the
    ABC × XYZ matrix). Keys: from, to, as_of, currency, view, lookback_days, lead_time_days,
    service_level, totals{...}, [classes, matrix,] skus[...]; money as "12.50" strings, days
    ISO, null when unknown (the key list is in `storeops stock --help`'s module). `category`
    keeps its SKUs (totals included), as the page's filter. With a
    comparison (stock health as of the compared period's last day): previous{from, to,
    totals{...}}, change{totals{figure: {absolute, relative}}}, and each SKU gains
    previous{velocity, units_sold, revenue, stockout_days, lost_sales} and change{...}.
    """
    period = stock_period(con, start, end)
    if period is None:
        raise UserError("the warehouse has no orders yet (import some, or run storeops demo)")
    rows = in_category(stock_health(con, as_of=period.end, since=period.start), category or None)
    data = stock_summary(
        rows, period=period, view=view, currency=settings.store.currency, limit=limit
    )
    other = period.compared(compare)
    if other is not None:
        earlier = in_category(
            stock_health(con, as_of=other.end, since=other.start), category or None
        )
        compared = stock_comparison(rows, earlier, other)
        data |= {"previous": compared["previous"], "change": compared["change"]}
        data["skus"] = [sku | compared["skus"][sku["sku"]] for sku in data["skus"]]
    return jsonable(data)
