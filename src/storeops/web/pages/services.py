"""Services: the catalogue with each service's state, impact and the revenue its incidents put
at risk this month; a service's page with its monitors, SLOs and revenue at risk per month.

Services declared in storeops.toml are read-only here; the others can be added and changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.core.settings import Settings
from storeops.db.users import User
from storeops.itsm.actions import delete_service, upsert_service
from storeops.itsm.models import Origin, Service
from storeops.itsm.queries import list_incidents, open_incidents, services
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring.models import MaintenanceWindow, Monitor, Slo
from storeops.monitoring.queries import monitor_rows, uptime
from storeops.monitoring.slo import slo_status
from storeops.web.deps import DbSession, SettingsDep, require
from storeops.web.monitor_charts import monthly_revenue_figure
from storeops.web.pages.monitors import STATUS_LABELS
from storeops.web.permissions import can
from storeops.web.reliability import DAY, IdPath, actor_of, current_time, get_or_404
from storeops.web.rendering import render
from storeops.workflows.revenue_at_risk import live_amount, totals

router = APIRouter()
Reader = Annotated[User, Depends(require("reliability"))]
Writer = Annotated[User, Depends(require("reliability", write=True))]
# A service's state: its worst monitor (monitoring.queries' statuses), "none" without monitors.
_WORST = ("down", "degraded", "up", "pending", "paused")
MONTHS = 12


def _month(now: datetime, settings: Settings) -> str:
    return now.astimezone(ZoneInfo(settings.store.timezone)).strftime("%Y-%m")


def _rows(db: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    catalogue = services(db)
    statuses: dict[int, list[str]] = {}
    for row in monitor_rows(db, limit=None, now=now).rows:
        statuses.setdefault(row.service_id, []).append(row.status)
    active: dict[int, int] = {}
    for incident in open_incidents(db):
        active[incident.service_id] = active.get(incident.service_id, 0) + 1
    month = _month(now, settings)
    at_risk: dict[str, Decimal] = {}
    for total in totals(db, settings, now=now):
        if total.month == month:
            at_risk[total.service] = at_risk.get(total.service, Decimal(0)) + total.revenue_at_risk
    monitor_ids: dict[int, list[int]] = {}
    for monitor_id, service_id in db.execute(select(Monitor.id, Monitor.service_id)).all():
        monitor_ids.setdefault(service_id, []).append(monitor_id)
    slo_counts = dict(
        db.execute(select(Slo.service_id, func.count()).group_by(Slo.service_id)).all()
    )
    rows = []
    for service in catalogue:
        found = statuses.get(service.id, [])
        worst = min(found, key=_WORST.index) if found else "none"
        ids = monitor_ids.get(service.id, [])
        rows.append(
            {
                "service": service,
                "status": worst,
                "monitors": len(found),
                "slos": slo_counts.get(service.id, 0),
                "active_incidents": active.get(service.id, 0),
                "uptime_30d": uptime(db, ids, now - 30 * DAY, now) if ids else None,
                "revenue_at_risk": at_risk.get(service.name, Decimal(0)),
            }
        )
    return rows


def _list(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    context = {
        "rows": _rows(db, settings, now),
        "statuses": STATUS_LABELS | {"none": "No monitor"},
        "can_write": can(user.role, "reliability", write=True),
        "form": form or {},
        "error": error,
    }
    return render(request, "services.html", context, status_code=status_code)


@router.get("/services")
def services_page(request: Request, user: Reader, db: DbSession, settings: SettingsDep) -> Response:
    return _list(request, db, user, settings)


def _spec(name: str, title: str, impact: str, description: str, public: str) -> ServiceSpec | str:
    """The form as a ServiceSpec (impact typed as a percentage), or what is wrong with it."""
    try:
        share = float(impact.strip().rstrip("%")) / 100
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        return f"impact: {impact!r} is not a percentage of revenue from 0 to 100"
    try:
        return ServiceSpec(
            name=name.strip(),
            title=title.strip(),
            impact=share,
            description=description.strip(),
            public=public == "on",
        )
    except ValidationError as exc:
        return "; ".join(
            f"{error['loc'][0] if error['loc'] else 'service'}: "
            + error["msg"].removeprefix("Value error, ")
            for error in exc.errors()
        )


@router.post("/services")
def add_service(
    request: Request,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    impact: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    public: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {"name": name, "title": title, "impact": impact, "description": description}
    form["public"] = public
    spec = _spec(name, title, impact, description, public)
    if isinstance(spec, str):
        return _list(request, db, user, settings, form=form, error=spec, status_code=422)
    if db.scalars(select(Service.id).where(Service.name == spec.name)).first() is not None:
        message = f"a service named {spec.name!r} exists already"
        return _list(request, db, user, settings, form=form, error=message, status_code=409)
    service = upsert_service(db, spec, origin=Origin.api, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse(f"/services/{service.id}", status_code=303)


def _detail(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    service: Service,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    monitors = monitor_rows(db, limit=None, service_id=service.id, now=now).rows
    slos = list(db.scalars(select(Slo).where(Slo.service_id == service.id).order_by(Slo.name)))
    months = totals(db, settings, now=now, service_id=service.id)[-MONTHS:]
    incidents = list_incidents(db, service_id=service.id, limit=10).rows
    ids = [row.id for row in monitors]
    context = {
        "service": service,
        "monitors": monitors,
        "statuses": STATUS_LABELS,
        "slos": [(slo, slo_status(db, slo, now)) for slo in slos],
        "months": months,
        "figure": monthly_revenue_figure(
            [(f"{m.month}-01", float(m.revenue_at_risk)) for m in months],
            settings.store.currency,
        )
        if any(m.revenue_at_risk for m in months)
        else None,
        "incidents": [(incident, live_amount(incident, now)) for incident, _ in incidents],
        "uptime_24h": uptime(db, ids, now - DAY, now) if ids else None,
        "uptime_30d": uptime(db, ids, now - 30 * DAY, now) if ids else None,
        "can_write": can(user.role, "reliability", write=True),
        "editable": service.origin != Origin.config,
        "error": error,
    }
    return render(request, "service.html", context, status_code=status_code)


@router.get("/services/{service_id}")
def service_page(
    request: Request, service_id: IdPath, user: Reader, db: DbSession, settings: SettingsDep
) -> Response:
    return _detail(request, db, user, settings, get_or_404(db, Service, service_id, "service"))


@router.post("/services/{service_id}")
def change_service(
    request: Request,
    service_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=200)] = "",
    impact: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    public: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    service = get_or_404(db, Service, service_id, "service")
    if service.origin == Origin.config:
        message = "declared in storeops.toml: change it there"
        return _detail(request, db, user, settings, service, error=message, status_code=409)
    spec = _spec(service.name, title, impact, description, public)
    if isinstance(spec, str):
        return _detail(request, db, user, settings, service, error=spec, status_code=422)
    upsert_service(db, spec, origin=Origin.api, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse(f"/services/{service.id}", status_code=303)


@router.post("/services/{service_id}/delete")
def remove_service(
    request: Request, service_id: IdPath, user: Writer, db: DbSession, settings: SettingsDep
) -> Response:
    service = get_or_404(db, Service, service_id, "service")
    problem = None
    if service.origin == Origin.config:
        problem = "declared in storeops.toml: remove it there"
    for model, what in ((Monitor, "monitors"), (Slo, "SLOs"), (MaintenanceWindow, "maintenance")):
        if (
            problem is None
            and db.scalars(select(model.id).where(model.service_id == service.id)).first()
        ):
            problem = f"the service still has {what}: delete them first"
    if problem is None:
        try:
            delete_service(db, service, actor=actor_of(user, "web"))
        except UserError as exc:
            problem = str(exc)
    if problem is not None:
        db.rollback()
        return _detail(request, db, user, settings, service, error=problem, status_code=409)
    db.commit()
    return RedirectResponse("/services", status_code=303)
