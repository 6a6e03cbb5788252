"""GET /api/v1/kpis: the same JSON as `storeops kpis --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from storeops.commerce.kpis import kpi_report, kpi_report_json
from storeops.commerce.period import Compare
from storeops.db.users import User
from storeops.web.cache import CachedWarehouse
from storeops.web.deps import SettingsDep, require
from storeops.web.params import CompareQuery, FromQuery, ToQuery, api_period

router = APIRouter(tags=["kpis"])


@router.get("/kpis")
def get_kpis(
    user: Annotated[User, Depends(require("overview"))],
    reads: CachedWarehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
) -> dict[str, Any]:
    """Sales KPIs of store-local days (Shopify's definitions) with a comparison.

    Without `from`/`to`, the first/last day with orders. Keys: from, to, currency,
    kpis{...}, and unless compare=none, previous{from, to, kpis} and change{kpi: {absolute,
    relative}}. Money is a string with two decimals, counts integers, rates floats, null when
    not computable.
    """
    period = reads.get(("api_period", start, end), lambda con: api_period(con, start, end))
    report = reads.get(("kpis", period, compare), lambda con: kpi_report(con, period, compare))
    return kpi_report_json(report, settings.store.currency)
