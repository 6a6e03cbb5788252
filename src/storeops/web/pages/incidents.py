"""Incidents: the list (active or resolved, per service, paged) with what they put at risk, an
incident's page (live revenue at risk, timeline, postmortem) and its forms: open one by hand,
acknowledge, note, severity, public status update, postmortem, resolve.

Every form posts with the session's CSRF token (pages/__init__.py checks it) and comes back to
the incident's page; a change the incident's state refuses is shown there (409).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markdown_it import MarkdownIt
from pydantic import ValidationError
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.core.settings import Settings
from storeops.db.users import User
from storeops.itsm import actions
from storeops.itsm.models import Incident, PublicStatus, Service, Severity
from storeops.itsm.queries import list_incidents, open_incidents, services, timeline
from storeops.itsm.schemas import IncidentCreate, IncidentNote, StatusUpdate
from storeops.web.deps import DbSession, SettingsDep, require
from storeops.web.permissions import can
from storeops.web.reliability import (
    IdPath,
    actor_of,
    current_time,
    get_or_404,
    revenue_rates,
)
from storeops.web.rendering import render
from storeops.web.tables import PER_PAGE_CHOICES, Direction, PageQuery, TablePage, url_with
from storeops.workflows.revenue_at_risk import live_amount, totals

router = APIRouter()
Reader = Annotated[User, Depends(require("incidents"))]
Writer = Annotated[User, Depends(require("incidents", write=True))]
VIEWS = {"active": "Active", "resolved": "Resolved", "all": "All"}
EVENT_LABELS = {
    "opened": "Opened",
    "monitor_failed": "Monitor failed",
    "monitor_recovered": "Monitor recovered",
    "slo_page": "SLO paged",
    "acknowledged": "Acknowledged",
    "severity": "Severity",
    "note": "Note",
    "status_update": "Public update",
    "postmortem": "Postmortem",
    "resolved": "Resolved",
}
# Raw HTML in a postmortem is shown as text: only Markdown formats it.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    return _MARKDOWN.render(text)


@router.get("/incidents")
def incidents_page(
    request: Request,
    user: Reader,
    db: DbSession,
    settings: SettingsDep,
    view: Annotated[Literal["active", "resolved", "all"], Query()] = "active",
    service: Annotated[str, Query(max_length=100)] = "",
    page: PageQuery = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 25,
) -> Response:
    return _list(request, db, user, settings, view, service, page, per_page)


def _list(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    view: str,
    service: str,
    page: int,
    per_page: int,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    catalogue = services(db)
    chosen = next((s for s in catalogue if s.name == service), None)
    found = list_incidents(
        db,
        status={"active": "active", "resolved": "resolved"}.get(view),
        service_id=chosen.id if chosen else None,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    rows = [_row(incident, svc, now) for incident, svc in found.rows]
    active = open_incidents(db)
    month = now.astimezone(ZoneInfo(settings.store.timezone)).strftime("%Y-%m")
    this_month = [t for t in totals(db, settings, now=now) if t.month == month]
    context = {
        "table": TablePage(
            rows=rows,
            total=found.total,
            page=page,
            pages=max(1, -(-found.total // per_page)),
            per_page=per_page,
            sort="opened_at",
            direction=Direction.desc,
        ),
        "views": VIEWS,
        "view": view,
        "service": service,
        "services": catalogue,
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: url_with(request, "/incidents", **changes),
        "active_count": len(active),
        "at_risk_now": sum((live_amount(i, now) for i in active), Decimal(0)),
        "month_total": sum((t.revenue_at_risk for t in this_month), Decimal(0)),
        "month_incidents": sum(t.incidents for t in this_month),
        "severities": [s.value for s in Severity],
        "can_write": can(user.role, "incidents", write=True),
        "form": form or {},
        "error": error,
    }
    return render(request, "incidents.html", context, status_code=status_code)


def _row(incident: Incident, service: Service, now: datetime) -> dict[str, Any]:
    end = incident.resolved_at or now
    return {
        "id": incident.id,
        "title": incident.title,
        "service": service.title,
        "severity": incident.severity,
        "status": incident.status,
        "public_status": incident.public_status,
        "opened_at": incident.opened_at,
        "minutes": (end - incident.opened_at).total_seconds() / 60,
        "revenue_at_risk": live_amount(incident, now),
        "live": incident.resolved_at is None,
    }


@router.post("/incidents")
def open_by_hand(
    request: Request,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    service: Annotated[str, Form(max_length=100)],
    title: Annotated[str, Form(max_length=300)] = "",
    severity: Annotated[str, Form(max_length=10)] = "sev2",
) -> Response:
    """Opens an incident for a service; its rate is the store's expected sales now × impact."""
    form = {"service": service, "title": title, "severity": severity}
    try:
        body = IncidentCreate.model_validate(form)
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        return _list(request, db, user, settings, "active", "", 1, 25, form=form, error=problems,
                     status_code=422)  # fmt: skip
    found = next((s for s in services(db) if s.name == body.service), None)
    if found is None:
        return _list(request, db, user, settings, "active", "", 1, 25, form=form,
                     error=f"service: no service named {service!r}", status_code=422)  # fmt: skip
    now = current_time(request)
    incident = actions.open_incident(
        db,
        service=found,
        title=body.title,
        source="manual",
        severity=body.severity,
        now=now,
        revenue_per_minute=revenue_rates(request).for_service(found, now).per_minute,
        actor=actor_of(user, "web"),
    )
    db.commit()
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


def _detail(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    incident: Incident,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    service = db.get(Service, incident.service_id)
    events = timeline(db, incident.id)
    end = incident.resolved_at or now
    context = {
        "incident": incident,
        "service": service,
        "events": events,
        "event_labels": EVENT_LABELS,
        "revenue_at_risk": live_amount(incident, now),
        "live": incident.resolved_at is None,
        "minutes": (end - incident.opened_at).total_seconds() / 60,
        "postmortem_html": render_markdown(incident.postmortem) if incident.postmortem else "",
        "severities": [s.value for s in Severity],
        "public_statuses": [s.value for s in PublicStatus],
        "can_write": can(user.role, "incidents", write=True),
        "error": error,
        "currency": settings.store.currency,
    }
    return render(request, "incident.html", context, status_code=status_code)


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, incident_id: IdPath, user: Reader, db: DbSession, settings: SettingsDep
) -> Response:
    incident = get_or_404(db, Incident, incident_id, "incident")
    return _detail(request, db, user, settings, incident)


def _act(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    incident_id: int,
    change: Callable[[Incident, datetime, str], object],
) -> Response:
    """Runs one action; back to the incident's page, or the page with the refusal."""
    incident = get_or_404(db, Incident, incident_id, "incident")
    try:
        change(incident, current_time(request), actor_of(user, "web"))
    except (UserError, ValidationError) as exc:
        db.rollback()
        message = (
            "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError)
            else str(exc)
        )
        status = 409 if isinstance(exc, UserError) else 422
        return _detail(request, db, user, settings, incident, error=message, status_code=status)
    db.commit()
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(
    request: Request, incident_id: IdPath, user: Writer, db: DbSession, settings: SettingsDep
) -> Response:
    return _act(
        request, db, user, settings, incident_id,
        lambda i, now, actor: actions.acknowledge(db, i, now=now, actor=actor),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/note")
def add_note(
    request: Request,
    incident_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    def note(incident: Incident, now: datetime, actor: str) -> object:
        body = IncidentNote.model_validate({"text": text})
        return actions.add_note(db, incident, body.text, now=now, actor=actor)

    return _act(request, db, user, settings, incident_id, note)


@router.post("/incidents/{incident_id}/severity")
def set_severity(
    request: Request,
    incident_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    severity: Annotated[Severity, Form()],
) -> Response:
    return _act(
        request, db, user, settings, incident_id,
        lambda i, now, actor: actions.set_severity(db, i, severity, now=now, actor=actor),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/update")
def post_update(
    request: Request,
    incident_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    status: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """A public update: the status page shows it."""

    def update(incident: Incident, now: datetime, actor: str) -> object:
        body = StatusUpdate.model_validate({"status": status, "text": text})
        return actions.post_status_update(db, incident, body, now=now, actor=actor)

    return _act(request, db, user, settings, incident_id, update)


@router.post("/incidents/{incident_id}/postmortem")
def write_postmortem(
    request: Request,
    incident_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    markdown: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    return _act(
        request, db, user, settings, incident_id,
        lambda i, now, actor: actions.write_postmortem(db, i, markdown, now=now, actor=actor),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    request: Request,
    incident_id: IdPath,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    return _act(
        request, db, user, settings, incident_id,
        lambda i, now, actor: actions.resolve_incident(db, i, now=now, actor=actor, text=text),
    )  # fmt: skip
