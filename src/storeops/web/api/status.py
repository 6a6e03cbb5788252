"""GET /api/v1/status: the public status page as JSON, for anyone (no token), like /status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from storeops.web.deps import DbSession, SettingsDep
from storeops.web.reliability import Now
from storeops.workflows.status_page import BAR_DAYS, status_page

router = APIRouter(tags=["status"])


@router.get("/status")
def get_status(
    db: DbSession,
    settings: SettingsDep,
    now: Now,
    days: Annotated[
        int, Query(ge=1, le=BAR_DAYS, description="Daily uptime bars, today included.")
    ] = BAR_DAYS,
) -> dict[str, Any]:
    """Public components (status, uptime over the bars' days, one bar per store-local day),
    unresolved and recently resolved incidents with their public updates only. Keys: status,
    generated_at, components[...], incidents[...], recent[...]; uptimes in [0, 1], null for a
    day without checks."""
    page = status_page(db, now=now, timezone=settings.store.timezone, days=days)
    return page.public()
