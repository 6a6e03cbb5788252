"""GET /api/v1/stock: the same JSON as `storeops stock --json` (view and limit as its flags)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.stock import StockView, stock_health, stock_summary
from storeops.core.errors import UserError
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.stock import ViewQuery, stock_period
from storeops.web.params import FromQuery, ToQuery

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
) -> dict[str, Any]:
    """Stock health per SKU as of `to` (default: the last day with orders), stock-outs counted
    from `from` (default: the 28-day demand window): cover, stock-out date, reorder point and
    quantity, lost sales, ABC/XYZ, dead and slow stock.

    view: all (every SKU by revenue), risk (runs out within the lead time, fewest days of cover
    first), dead (dead then slow stock, by value tied up), abc (by class; adds classes and the
    ABC × XYZ matrix). Keys: from, to, as_of, currency, view, lookback_days, lead_time_days,
    service_level, totals{...}, [classes, matrix,] skus[...]; money as "12.50" strings, days
    ISO, null when unknown (the key list is in `storeops stock --help`'s module).
    """
    period = stock_period(con, start, end)
    if period is None:
        raise UserError("the warehouse has no orders yet (import some, or run storeops demo)")
    rows = stock_health(con, as_of=period.end, since=period.start)
    data = stock_summary(
        rows, period=period, view=view, currency=settings.store.currency, limit=limit
    )
    return jsonable(data)
