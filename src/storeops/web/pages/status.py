"""The public status page, /status: no sign-in, nothing internal (workflows/status_page.py
decides what customers may see: public services, their 90-day bars, public updates only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from storeops.web.deps import DbSession, SettingsDep
from storeops.web.reliability import current_time
from storeops.web.rendering import render
from storeops.workflows.status_page import ComponentStatus, status_page

router = APIRouter()
HEADLINES = {
    ComponentStatus.operational: "All systems operational",
    ComponentStatus.maintenance: "Scheduled maintenance in progress",
    ComponentStatus.degraded: "Some systems are degraded",
    ComponentStatus.outage: "Some systems are down",
}
LABELS = {
    ComponentStatus.operational: "Operational",
    ComponentStatus.maintenance: "Maintenance",
    ComponentStatus.degraded: "Degraded performance",
    ComponentStatus.outage: "Outage",
}


def bar_class(uptime: float | None) -> str:
    """A day's bar: no data, good (99.9 % and up), minor (99 % and up) or bad."""
    if uptime is None:
        return "none"
    return "good" if uptime >= 0.999 else "minor" if uptime >= 0.99 else "bad"


@router.get("/status")
def public_status(request: Request, db: DbSession, settings: SettingsDep) -> Response:
    page = status_page(db, now=current_time(request), timezone=settings.store.timezone)
    context = {
        "page": page,
        "headline": HEADLINES[page.status],
        "labels": LABELS,
        "bar_class": bar_class,
    }
    return render(request, "status.html", context)
