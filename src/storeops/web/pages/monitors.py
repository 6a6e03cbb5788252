"""Monitors: the list (paged and searched in the database, so it stays fast with 10,000
monitors), a monitor's page (state, uptime, latency chart, recent results with each condition's
outcome), and adding, changing and deleting monitors made here or through the API.

Monitors declared in storeops.toml are shown read-only: the file is where they change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db.users import User
from storeops.itsm.models import Service
from storeops.itsm.queries import services
from storeops.monitoring.actions import create_monitor, delete_monitor, update_monitor
from storeops.monitoring.models import Monitor
from storeops.monitoring.queries import (
    STATUSES,
    MonitorPage,
    monitor_rows,
    monitor_state,
    recent_results,
    window_stats,
)
from storeops.monitoring.redaction import keep_stored_secrets, redact_url
from storeops.monitoring.spec import Kind, MonitorSpec
from storeops.web import security
from storeops.web.deps import DbSession, require
from storeops.web.monitor_charts import latency_figure
from storeops.web.permissions import can
from storeops.web.reliability import (
    DAY,
    IdPath,
    actor_of,
    check_conditions,
    current_time,
    get_or_404,
)
from storeops.web.rendering import render
from storeops.web.tables import PER_PAGE_CHOICES, Direction, PageQuery, TablePage, url_with

router = APIRouter()
Reader = Annotated[User, Depends(require("reliability"))]
Writer = Annotated[User, Depends(require("reliability", write=True))]
TABLE_ID = "monitors-table"
STATUS_LABELS = {
    "up": "Up",
    "degraded": "Degraded",
    "down": "Down",
    "pending": "Not checked yet",
    "paused": "Paused",
}
# Form-made monitors: every kind but journeys, whose steps are declared in storeops.toml or
# sent to the API as JSON.
FORM_KINDS = [kind.value for kind in Kind if kind is not Kind.journey]
CHART_RESULTS = 1440  # a day of checks at one a minute


def monitors_table(
    session: Session, page: MonitorPage, number: int, per_page: int, now: datetime
) -> TablePage:
    """The page's rows with their service, 30-day uptime and 24-hour p95 (two more queries)."""
    ids = [row.id for row in page.rows]
    day = window_stats(session, ids, now - DAY, now, with_latency=True)
    month = window_stats(session, ids, now - 30 * DAY, now)
    names = dict(session.execute(select(Service.id, Service.name)).all())
    rows = []
    for row in page.rows:
        rows.append(
            row.public()
            | {
                "service": names.get(row.service_id, ""),
                "uptime_30d": month[row.id].uptime if row.id in month else None,
                "p95_ms": day[row.id].percentile(95) if row.id in day else None,
            }
        )
    return TablePage(
        rows=rows,
        total=page.total,
        page=number,
        pages=max(1, -(-page.total // per_page)),
        per_page=per_page,
        sort="name",
        direction=Direction.asc,
    )


@router.get("/monitors")
def monitors_page(
    request: Request,
    user: Reader,
    db: DbSession,
    q: Annotated[str, Query(max_length=100, description="Part of a monitor's name.")] = "",
    service: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[Literal["", *STATUSES], Query()] = "",  # type: ignore[valid-type]
    page: PageQuery = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    catalogue = services(db)
    chosen = next((s for s in catalogue if s.name == service), None)
    now = current_time(request)
    found = monitor_rows(
        db,
        limit=per_page,
        offset=(page - 1) * per_page,
        search=q or None,
        service_id=chosen.id if chosen else None,
        status=status or None,
        now=now,
    )
    table = monitors_table(db, found, page, per_page, now)
    context = {
        "table": table,
        "q": q,
        "service": service,
        "status": status,
        "statuses": STATUS_LABELS,
        "services": catalogue,
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, **changes),
        "can_write": can(user.role, "reliability", write=True),
        "kinds": FORM_KINDS,
        "form": {},
    }
    table_only = security.is_htmx(request) and request.headers.get("HX-Target") == TABLE_ID
    return render(request, "monitors_table.html" if table_only else "monitors.html", context)


FORM_FIELDS = (
    "name", "kind", "service", "url", "keyword", "host", "port", "interval_seconds",
    "timeout_seconds", "retries", "failure_threshold", "success_threshold",
)  # fmt: skip


def spec_from_form(form: dict[str, str], stored: dict[str, Any] | None = None) -> MonitorSpec:
    """A MonitorSpec from the form's fields (blank ones unset, conditions one per line) over
    the stored spec, so what the form does not show (headers, body, method) stays. The form
    shows the URL with its secrets hidden: a "***" sent back keeps the stored one (ValueError
    when there is none, or the host changed)."""
    data: dict[str, Any] = dict(stored or {})
    for name in FORM_FIELDS:
        value = form.get(name, "").strip()
        if value:
            data[name] = value
        else:
            data.pop(name, None)
    data = keep_stored_secrets(data, stored)
    data["conditions"] = [
        line.strip() for line in form.get("conditions", "").splitlines() if line.strip()
    ]
    data["enabled"] = form.get("enabled") == "on"
    return MonitorSpec.model_validate(data)


def form_problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'monitor'}: "
        + error["msg"].removeprefix("Value error, ")
        for error in exc.errors()
    )


async def _form(request: Request) -> dict[str, str]:
    return {name: str(value) for name, value in (await request.form()).items()}


def _save(db: Session, user: User, form: dict[str, str], monitor: Monitor | None) -> Monitor | str:
    """Creates or updates the monitor from the form; the problem as text when it cannot."""
    try:
        spec = spec_from_form(form, monitor.spec if monitor else None)
        check_conditions(spec)
    except ValidationError as exc:
        return form_problems(exc)
    except ValueError as exc:  # a "***" that keeps no stored secret
        return str(exc)
    except HTTPException as exc:  # a condition that does not parse
        return str(exc.detail)
    service = db.scalars(select(Service).where(Service.name == spec.service)).one_or_none()
    if service is None:
        return f"service: no service named {spec.service!r}"
    actor = actor_of(user, "web")
    try:
        if monitor is None:
            monitor = create_monitor(db, spec, service_id=service.id, origin="api", actor=actor)
        else:
            update_monitor(db, monitor, spec, service_id=service.id, actor=actor)
    except UserError as exc:
        db.rollback()
        return str(exc)
    db.commit()
    return monitor


@router.post("/monitors")
async def add_monitor(request: Request, user: Writer, db: DbSession) -> Response:
    form = await _form(request)
    saved = _save(db, user, form, None)
    if isinstance(saved, Monitor):
        return RedirectResponse(f"/monitors/{saved.id}", status_code=303)
    now = current_time(request)
    found = monitor_rows(db, limit=50, now=now)
    context = {
        "table": monitors_table(db, found, 1, 50, now),
        "q": "",
        "service": "",
        "status": "",
        "statuses": STATUS_LABELS,
        "services": services(db),
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, "/monitors", **changes),
        "can_write": True,
        "kinds": FORM_KINDS,
        "form": form,
        "error": saved,
    }
    return render(request, "monitors.html", context, status_code=422)


def _form_of(monitor: Monitor) -> dict[str, str]:
    """The edit form's fields from the stored spec."""
    spec = monitor.spec
    fields = {name: "" if spec.get(name) is None else str(spec[name]) for name in FORM_FIELDS}
    if spec.get("url"):
        fields["url"] = redact_url(spec["url"])
    fields["conditions"] = "\n".join(spec.get("conditions") or [])
    fields["enabled"] = "on" if spec.get("enabled", True) else ""
    return fields


def _detail(
    request: Request,
    db: Session,
    user: User,
    monitor: Monitor,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    service = db.get(Service, monitor.service_id)
    day = window_stats(db, [monitor.id], now - DAY, now, with_latency=True).get(monitor.id)
    month = window_stats(db, [monitor.id], now - 30 * DAY, now).get(monitor.id)
    results = recent_results(db, monitor.id, limit=CHART_RESULTS)
    since = now - DAY
    chart = [r for r in results if r.at >= since]
    status = _status_of(db, monitor, now)
    certificate = next(
        (
            r.details["certificate_days_left"]
            for r in results
            if r.details and "certificate_days_left" in r.details
        ),
        None,
    )
    context = {
        "monitor": monitor,
        "spec": monitor.spec,
        "monitor_url": redact_url(monitor.spec["url"]) if monitor.spec.get("url") else None,
        "effective_conditions": _effective_conditions(monitor),
        "service": service,
        "state": monitor_state(db, monitor.id),
        "status": status,
        "statuses": STATUS_LABELS,
        "uptime_24h": day.uptime if day else None,
        "uptime_30d": month.uptime if month else None,
        "latency": {q: day.percentile(q) if day else None for q in (50, 95, 99)},
        "checks_24h": day.checks if day else 0,
        "certificate_days_left": certificate,
        "figure": latency_figure(chart) if chart else None,
        "results": results[:50],
        "can_write": can(user.role, "reliability", write=True),
        "editable": monitor.origin != "config",
        "kinds": FORM_KINDS,
        "services": services(db),
        "form": form or _form_of(monitor),
        "error": error,
    }
    return render(request, "monitor.html", context, status_code=status_code)


def _effective_conditions(monitor: Monitor) -> list[str]:
    try:
        return MonitorSpec.model_validate(monitor.spec).effective_conditions()
    except ValidationError:  # a spec stored by an older release: show what it says
        return list(monitor.spec.get("conditions") or [])


def _status_of(db: Session, monitor: Monitor, now: datetime) -> str:
    """The list's status of one monitor (the same rule: monitoring.queries.STATUS)."""
    page = monitor_rows(db, limit=None, search=monitor.name, service_id=monitor.service_id, now=now)
    return next((row.status for row in page.rows if row.id == monitor.id), "pending")


@router.get("/monitors/{monitor_id}")
def monitor_page(request: Request, monitor_id: IdPath, user: Reader, db: DbSession) -> Response:
    return _detail(request, db, user, get_or_404(db, Monitor, monitor_id, "monitor"))


@router.post("/monitors/{monitor_id}")
async def change_monitor(
    request: Request, monitor_id: IdPath, user: Writer, db: DbSession
) -> Response:
    monitor = get_or_404(db, Monitor, monitor_id, "monitor")
    form = await _form(request)
    if monitor.origin == "config":
        message = "declared in storeops.toml: change it there"
        return _detail(request, db, user, monitor, error=message, status_code=409)
    saved = _save(db, user, form, monitor)
    if isinstance(saved, Monitor):
        return RedirectResponse(f"/monitors/{monitor.id}", status_code=303)
    db.refresh(monitor)
    return _detail(request, db, user, monitor, form=form, error=saved, status_code=422)


@router.post("/monitors/{monitor_id}/delete")
def remove_monitor(
    request: Request,
    monitor_id: IdPath,
    user: Writer,
    db: DbSession,
    confirm: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    monitor = get_or_404(db, Monitor, monitor_id, "monitor")
    if monitor.origin == "config":
        message = "declared in storeops.toml: remove it there"
        return _detail(request, db, user, monitor, error=message, status_code=409)
    if confirm != monitor.name:
        message = f"type the monitor's name ({monitor.name}) to delete it"
        return _detail(request, db, user, monitor, error=message, status_code=422)
    delete_monitor(db, monitor, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse("/monitors", status_code=303)
