"""/api/v1/maintenance: maintenance windows, one-off or recurring (cron in a time zone).

Checks inside a window alert nobody and burn no error budget. Windows declared in
storeops.toml ([[maintenance]]) are read-only here (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select

from storeops.core.jsonout import jsonable
from storeops.itsm.models import Service
from storeops.monitoring.actions import (
    create_maintenance_window,
    delete_maintenance_window,
    maintenance_public,
    update_maintenance_window,
)
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import MaintenanceWindow
from storeops.monitoring.spec import MaintenanceSpec
from storeops.web.deps import DbSession
from storeops.web.reliability import (
    IdPath,
    Now,
    Reader,
    Writer,
    actor_of,
    committing,
    delete_editable,
    editable_or_404,
    no_nul,
    service_named,
)

router = APIRouter(tags=["maintenance"])
UPCOMING = 5


def window_json(
    window: MaintenanceWindow,
    services: dict[int, str],
    calendar: MaintenanceCalendar,
    now: datetime,
) -> dict[str, Any]:
    occurrences = MaintenanceCalendar.of([window]).upcoming(now, UPCOMING)
    active = [o for o in calendar.active(now) if o.window_id == window.id]
    return maintenance_public(window) | {
        "service": services.get(window.service_id) if window.service_id else None,
        "active": bool(active),
        "next": [{"starts_at": o.starts_at, "ends_at": o.ends_at} for o in occurrences],
    }


def _names(db: DbSession) -> dict[int, str]:
    return dict(db.execute(select(Service.id, Service.name)).all())


@router.get("/maintenance")
def list_windows(user: Reader, db: DbSession, now: Now) -> list[dict[str, Any]]:
    """Every window by name, whether it is open now and its next occurrences (UTC times)."""
    calendar = MaintenanceCalendar.load(db)
    windows = db.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.name))
    names = _names(db)
    return jsonable([window_json(window, names, calendar, now) for window in windows])


@router.post("/maintenance", status_code=201)
def create(spec: MaintenanceSpec, user: Writer, db: DbSession, now: Now) -> dict[str, Any]:
    """Adds a window for one service (`service`) or every service (no `service`)."""
    _check_span(spec)
    service = service_named(db, spec.service)
    with committing(db):
        window = create_maintenance_window(
            db,
            spec,
            service_id=service.id if service else None,
            origin="api",
            actor=actor_of(user, "api"),
        )
    return jsonable(window_json(window, _names(db), MaintenanceCalendar.load(db), now))


@router.put("/maintenance/{window_id}")
def update(
    window_id: IdPath, spec: MaintenanceSpec, user: Writer, db: DbSession, now: Now
) -> dict[str, Any]:
    window = editable_or_404(db, MaintenanceWindow, window_id, "maintenance window")
    _check_span(spec)
    service = service_named(db, spec.service)
    with committing(db):
        update_maintenance_window(
            db,
            window,
            spec,
            service_id=service.id if service else None,
            actor=actor_of(user, "api"),
        )
    return jsonable(window_json(window, _names(db), MaintenanceCalendar.load(db), now))


@router.delete("/maintenance/{window_id}", status_code=204)
def delete(window_id: IdPath, user: Writer, db: DbSession) -> Response:
    return delete_editable(
        db,
        MaintenanceWindow,
        window_id,
        "maintenance window",
        delete_maintenance_window,
        actor=actor_of(user, "api"),
    )


def _check_span(spec: MaintenanceSpec) -> None:
    """One-off windows within the years a shop has (the calendar works an hour around them)."""
    no_nul(spec)
    for name in ("starts_at", "ends_at"):
        value = getattr(spec, name)
        if value is not None and not 1900 <= value.year <= 2200:
            raise HTTPException(422, f"{name}: a time between the years 1900 and 2200")
