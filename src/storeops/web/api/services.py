"""/api/v1/services: the service catalogue (what monitors and incidents belong to).

Services declared in storeops.toml ([[services]]) are read-only here (409); those created
through the API change and go through it. A service with incidents cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select

from storeops.core.errors import UserError
from storeops.core.jsonout import jsonable
from storeops.itsm.actions import delete_service, upsert_service
from storeops.itsm.models import Origin, Service
from storeops.itsm.queries import services
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring.models import MaintenanceWindow, Monitor, Slo
from storeops.monitoring.queries import monitor_rows
from storeops.web.deps import DbSession, SettingsDep
from storeops.web.reliability import (
    IdPath,
    Now,
    Reader,
    Writer,
    actor_of,
    committing,
    conflict,
    editable_or_404,
    get_or_404,
    no_nul,
    service_json,
)
from storeops.workflows.revenue_at_risk import totals

router = APIRouter(tags=["services"])


@router.get("/services")
def list_services(user: Reader, db: DbSession) -> list[dict[str, Any]]:
    """Every service by name: impact (share of revenue lost while it fails), public (a
    component of the status page), origin (config: declared in storeops.toml)."""
    return [service_json(service) for service in services(db)]


@router.post("/services", status_code=201)
def create_service(spec: ServiceSpec, user: Writer, db: DbSession) -> dict[str, Any]:
    """Adds a service (409 when the name is taken)."""
    no_nul(spec)
    if db.scalars(select(Service.id).where(Service.name == spec.name)).first() is not None:
        raise conflict(UserError(f"a service named {spec.name!r} exists already"))
    service = upsert_service(db, spec, origin=Origin.api, actor=actor_of(user, "api"))
    db.commit()
    return service_json(service)


@router.get("/services/{service_id}")
def get_service(
    service_id: IdPath, user: Reader, db: DbSession, settings: SettingsDep, now: Now
) -> dict[str, Any]:
    """The service with its monitors (state, 24-hour uptime), SLOs and revenue at risk per
    store-local month (incidents, amount, mean times to acknowledge and resolve)."""
    service = get_or_404(db, Service, service_id, "service")
    monitors = monitor_rows(db, limit=None, service_id=service.id, now=now).rows
    slos = db.scalars(select(Slo).where(Slo.service_id == service.id).order_by(Slo.name))
    months = totals(db, settings, now=now, service_id=service.id)
    return jsonable(
        service_json(service)
        | {
            "monitors": [row.public() for row in monitors],
            "slos": [{"id": slo.id, "name": slo.name} for slo in slos],
            "currency": settings.store.currency,
            "months": [
                {
                    "month": month.month,
                    "incidents": month.incidents,
                    "live": month.live,
                    "revenue_at_risk": month.revenue_at_risk,
                    "mtta_minutes": month.mtta_minutes,
                    "mttr_minutes": month.mttr_minutes,
                }
                for month in months
            ],
        }
    )


@router.put("/services/{service_id}")
def update_service(
    service_id: IdPath, spec: ServiceSpec, user: Writer, db: DbSession
) -> dict[str, Any]:
    """Changes a service created through the API (its name stays: 422 if it differs)."""
    service = editable_or_404(db, Service, service_id, "service")
    no_nul(spec)
    if spec.name != service.name:
        raise HTTPException(
            422, f"name: a service keeps its name ({service.name!r}); create another instead"
        )
    upsert_service(db, spec, origin=Origin.api, actor=actor_of(user, "api"))
    db.commit()
    return service_json(service)


@router.delete("/services/{service_id}", status_code=204)
def remove_service(service_id: IdPath, user: Writer, db: DbSession) -> Response:
    """Deletes a service created through the API, with no monitors, SLOs or incidents (409)."""
    service = editable_or_404(db, Service, service_id, "service")
    for model, what in (
        (Monitor, "monitors"),
        (Slo, "SLOs"),
        (MaintenanceWindow, "maintenance windows"),
    ):
        if db.scalars(select(model.id).where(model.service_id == service.id)).first():
            raise conflict(UserError(f"service {service.name!r} still has {what}"))
    with committing(db):
        delete_service(db, service, actor=actor_of(user, "api"))
    return Response(status_code=204)
