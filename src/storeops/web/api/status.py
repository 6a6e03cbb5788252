"""GET /api/v1/status: the public status page as JSON, for anyone (no token), like /status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeops.web.deps import DbSession, SettingsDep
from storeops.web.reliability import Now
from storeops.workflows.status_page import status_page

router = APIRouter(tags=["status"])


@router.get("/status")
def get_status(db: DbSession, settings: SettingsDep, now: Now) -> dict[str, Any]:
    """Public components (status, uptime, 90 daily bars), unresolved and recently resolved
    incidents with their public updates only. Keys: status, generated_at, components[...],
    incidents[...], recent[...]; uptimes in [0, 1], null for a day without checks."""
    return status_page(db, now=now, timezone=settings.store.timezone).public()
