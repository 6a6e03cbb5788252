"""GET /api/v1/aftersales: the same JSON as `storeops aftersales --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from storeops.commerce.aftersales import (
    aftersales_comparison,
    aftersales_summary,
    returns_report,
    ticket_report,
)
from storeops.commerce.period import Compare
from storeops.core.jsonout import jsonable
from storeops.db.users import User
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.pages.aftersales import CategoryQuery
from storeops.web.params import ApiCompareQuery, FromQuery, ToQuery, api_period

router = APIRouter(tags=["aftersales"])


@router.get("/aftersales")
def get_aftersales(
    user: Annotated[User, Depends(require("aftersales"))],
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    limit: Annotated[int, Query(ge=1, description="SKUs to list in returns.by_sku.")] = 20,
    compare: ApiCompareQuery = Compare.none,
    category: CategoryQuery = None,
) -> dict[str, Any]:
    """Returns and refunds of the period's orders (by SKU, category and reason, stand-out
    SKUs) and support tickets against the SLA targets of [aftersales] in storeops.toml.

    Without `from`/`to`, the first/last day with orders. Keys: from, to, currency, targets,
    returns{totals, by_sku (largest refunds first, cut to `limit`), by_category, by_reason,
    standouts}, tickets{backlog, backlog_start, opened, answered, resolved,
    first_response_hours, resolution_hours, first_response_sla, resolution_sla, satisfaction,
    by_category}, alerts. Money as "12.50" strings, rates floats, null when not computable.
    `category` keeps the SKUs of that category in returns.by_sku (as the page's SKU table).
    With a comparison: previous{from, to, figures{refund_rate, unit_return_rate,
    order_refund_rate, refunded, first_response_sla, resolution_sla, first_response_p50_hours,
    backlog, satisfaction, tickets_opened}} and change{figure: {absolute, relative}} (rates'
    absolute changes in points).
    """
    period = api_period(con, start, end)
    targets = settings.aftersales
    returns = returns_report(con, period)
    tickets = ticket_report(con, period, targets, timezone=settings.store.timezone)
    data = aftersales_summary(
        returns,
        tickets,
        targets,
        currency=settings.store.currency,
        limit=None if category else limit,
    )
    if category:  # the page's filter of the SKU table
        by_sku = data["returns"]["by_sku"]
        data["returns"]["by_sku"] = [r for r in by_sku if r["category"] == category][:limit]
    other = period.compared(compare)
    if other is not None:
        zone = settings.store.timezone
        earlier = (returns_report(con, other), ticket_report(con, other, targets, timezone=zone))
        data |= aftersales_comparison((returns, tickets), earlier)
    return jsonable(data)
