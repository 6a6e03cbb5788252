"""/api/v1/monitors: list (paged, searchable, by service and status), create, read, change and
delete monitors, and their recent results.

A monitor's body is the same MonitorSpec as a [[monitors]] entry of storeops.toml. Monitors
declared there are read-only here (409: change them in the file); those created through the API
have origin "api". Credentials in URLs, secret-looking headers and body fields are never returned
("***"); sent back as "***", they keep the stored value (monitoring.redaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from storeops.core.jsonout import jsonable
from storeops.itsm.models import Service
from storeops.monitoring.actions import create_monitor, delete_monitor, update_monitor
from storeops.monitoring.models import CheckResult, Monitor
from storeops.monitoring.queries import STATUSES, monitor_rows, recent_results
from storeops.monitoring.redaction import keep_stored_secrets
from storeops.monitoring.spec import MonitorSpec
from storeops.web.deps import DbSession
from storeops.web.reliability import (
    IdPath,
    Now,
    Reader,
    Writer,
    actor_of,
    check_conditions,
    committing,
    delete_editable,
    editable_or_404,
    get_or_404,
    monitor_json,
    monitor_row_json,
    service_named,
)

router = APIRouter(tags=["monitors"])
StatusFilter = Literal[STATUSES]  # type: ignore[valid-type]


def with_stored_secrets(spec: MonitorSpec, stored: dict[str, Any] | None) -> MonitorSpec:
    """The spec with each "***" this API handed out back to the stored secret, so a client can
    write back what it read; 422 naming the field for one with nothing stored behind it, or sent
    to another host."""
    try:
        kept = keep_stored_secrets(spec.model_dump(mode="json"), stored)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return MonitorSpec.model_validate(kept)


@router.get("/monitors")
def list_monitors(
    user: Reader,
    db: DbSession,
    now: Now,
    search: Annotated[str | None, Query(max_length=100, description="Part of the name.")] = None,
    service: Annotated[str | None, Query(max_length=100, description="A service's name.")] = None,
    status: Annotated[
        StatusFilter | None,
        Query(description="up, down (failed its threshold), degraded, pending or paused."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Monitors by name with their state and 24-hour uptime: {total, monitors: [...]}."""
    found = service_named(db, service)
    page = monitor_rows(
        db,
        limit=limit,
        offset=offset,
        search=search,
        service_id=found.id if found else None,
        status=status,
        now=now,
    )
    names = dict(db.execute(select(Service.id, Service.name)).all())
    return jsonable(
        {"total": page.total, "monitors": [monitor_row_json(row, names) for row in page.rows]}
    )


@router.post("/monitors", status_code=201)
def create(spec: MonitorSpec, user: Writer, db: DbSession, now: Now) -> dict[str, Any]:
    """Adds a monitor (origin "api"); 422 for an unknown service or a condition that does not
    parse, 409 when the name is taken."""
    check_conditions(spec)
    spec = with_stored_secrets(spec, None)
    service = service_named(db, spec.service)
    assert service is not None
    with committing(db):
        monitor = create_monitor(
            db, spec, service_id=service.id, origin="api", actor=actor_of(user, "api")
        )
    return jsonable(monitor_json(db, monitor, service, now=now))


@router.get("/monitors/{monitor_id}")
def get_monitor(monitor_id: IdPath, user: Reader, db: DbSession, now: Now) -> dict[str, Any]:
    """The monitor's spec (credentials hidden), state, uptime over 24 hours and 30 days, and
    latency percentiles (ms) over 24 hours."""
    monitor = get_or_404(db, Monitor, monitor_id, "monitor")
    service = get_or_404(db, Service, monitor.service_id, "service")
    return jsonable(monitor_json(db, monitor, service, now=now))


@router.put("/monitors/{monitor_id}")
def update(
    monitor_id: IdPath, spec: MonitorSpec, user: Writer, db: DbSession, now: Now
) -> dict[str, Any]:
    """Replaces the spec of a monitor created through the API (409 for a declared one)."""
    monitor = editable_or_404(db, Monitor, monitor_id, "monitor")
    check_conditions(spec)
    spec = with_stored_secrets(spec, monitor.spec)
    service = service_named(db, spec.service)
    assert service is not None
    with committing(db):
        update_monitor(db, monitor, spec, service_id=service.id, actor=actor_of(user, "api"))
    return jsonable(monitor_json(db, monitor, service, now=now))


@router.delete("/monitors/{monitor_id}", status_code=204)
def delete(monitor_id: IdPath, user: Writer, db: DbSession) -> Response:
    """Deletes a monitor created through the API with its results (409 for a declared one)."""
    return delete_editable(
        db, Monitor, monitor_id, "monitor", delete_monitor, actor=actor_of(user, "api")
    )


@router.get("/monitors/{monitor_id}/results")
def results(
    monitor_id: IdPath,
    user: Reader,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before: Annotated[
        datetime | None, Query(description="Results that started before this time (paging).")
    ] = None,
) -> list[dict[str, Any]]:
    """The latest raw results, newest first: time, ok, duration, status, error and details
    (condition outcomes, journey steps, certificate days left)."""
    get_or_404(db, Monitor, monitor_id, "monitor")
    if before is not None and (before.tzinfo is None or not 1900 <= before.year <= 2200):
        raise HTTPException(422, "before: a time with its UTC offset, e.g. 2025-03-01T12:00:00Z")
    found = recent_results(db, monitor_id, limit=limit, before=before)
    return jsonable([result_json(result) for result in found])


def result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "at": result.at,
        "ok": result.ok,
        "duration_ms": result.duration_ms,
        "status_code": result.status_code,
        "error": result.error,
        "in_maintenance": result.in_maintenance,
        "details": result.details or {},
    }
