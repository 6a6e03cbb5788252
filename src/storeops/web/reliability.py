"""What the reliability pages and API share: who may read and write, ids in paths, looking rows
up, who acts, the rule that rows declared in storeops.toml change there and not through the web,
a change committed or refused (409) in one place, and the JSON shapes of monitors, services and
incidents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.core.settings import Settings
from storeops.db.models import Base, utcnow
from storeops.db.users import User
from storeops.itsm.models import Incident, IncidentEvent, Origin, Service
from storeops.monitoring import conditions
from storeops.monitoring.actions import monitor_public
from storeops.monitoring.models import Monitor
from storeops.monitoring.probes import validate
from storeops.monitoring.queries import MonitorRow, latency_percentiles, monitor_state, uptime
from storeops.monitoring.spec import MonitorSpec
from storeops.web.deps import require
from storeops.workflows.revenue_at_risk import RevenueRates, live_amount

Row = TypeVar("Row", bound=Base)
# Table ids are 32-bit on PostgreSQL: a larger number is no row, and must not reach the driver.
MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The row's id.")]
DAY = timedelta(days=1)
Reader = Annotated[User, Depends(require("reliability"))]
Writer = Annotated[User, Depends(require("reliability", write=True))]


def current_time(request: Request) -> datetime:
    """Now, from the app's clock when a test set one (app.state.clock), else the system's."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


Now = Annotated[datetime, Depends(current_time)]


def get_or_404(session: Session, model: type[Row], row_id: int, what: str) -> Row:
    row = session.get(model, row_id)
    if row is None:
        raise HTTPException(404, f"no {what} with id {row_id}")
    return row


def editable(row: Any, what: str) -> None:
    """Refuses (409) to change a row declared in storeops.toml: the next load would undo it."""
    if row.origin == Origin.config:
        raise HTTPException(
            409,
            f"{what} '{row.name}' is declared in storeops.toml: change it there "
            "(only rows created through the API or the pages change here)",
        )


def editable_or_404(session: Session, model: type[Row], row_id: int, what: str) -> Row:
    """The row to change: 404 when there is none, 409 when storeops.toml declares it."""
    row = get_or_404(session, model, row_id, what)
    editable(row, what)
    return row


def conflict(exc: UserError) -> HTTPException:
    """A domain refusal (a name taken, a service with incidents) as 409 with its message."""
    return HTTPException(409, str(exc))


@contextmanager
def committing(session: Session) -> Iterator[None]:
    """Runs one domain change: committed when it succeeds, a 409 when the domain refuses it."""
    try:
        yield
    except UserError as exc:
        raise conflict(exc) from None
    session.commit()


def delete_editable(
    session: Session,
    model: type[Row],
    row_id: int,
    what: str,
    delete: Callable[..., None],
    *,
    actor: str,
) -> Response:
    """DELETE of a row created through the web: `delete(session, row, actor=actor)`, then 204."""
    row = editable_or_404(session, model, row_id, what)
    with committing(session):
        delete(session, row, actor=actor)
    return Response(status_code=204)


def service_named(session: Session, name: str | None, field: str = "service") -> Service | None:
    """The service of that name (None for no name); an unknown name is a 422 naming the field."""
    if name is None:
        return None
    service = session.scalars(select(Service).where(Service.name == name)).one_or_none()
    if service is None:
        raise HTTPException(422, f"{field}: no service named {name!r}")
    return service


def check_conditions(spec: MonitorSpec) -> None:
    """The monitor's conditions and steps can work (monitoring.probes.validate, as for
    storeops.toml), else 422 naming the first that cannot."""
    no_nul(spec)
    places = [(f"conditions[{n}]", text) for n, text in enumerate(spec.conditions)]
    places += [
        (f"steps[{s}].conditions[{n}]", text)
        for s, step in enumerate(spec.steps)
        for n, text in enumerate(step.conditions)
    ]
    for where, text in places:
        try:
            conditions.parse(text)
        except ValueError as exc:
            raise HTTPException(422, f"{where}: condition {text!r}: {exc}") from None
    try:  # what the kind never observes, journey values no earlier step extracts
        validate(spec)
    except ValueError as exc:
        raise HTTPException(
            422, f"{'steps' if str(exc).startswith('step') else 'conditions'}: {exc}"
        ) from None


def no_nul(body: BaseModel) -> None:
    """Refuses (422) text with NUL characters, which PostgreSQL cannot store."""
    if "\\u0000" in body.model_dump_json().replace("\\\\", ""):
        raise HTTPException(422, "text may not contain NUL (\\u0000) characters")


def actor_of(user: User, via: str) -> str:
    """The audit log's actor: "api:EMAIL" or "web:EMAIL"."""
    return f"{via}:{user.email}"


def revenue_rates(request: Request) -> RevenueRates:
    """The app's revenue rates, which keep the store's baseline per hour between requests."""
    state = request.app.state
    if not hasattr(state, "revenue_rates"):
        state.revenue_rates = RevenueRates(state.settings)
    return state.revenue_rates


# -- JSON shapes ---------------------------------------------------------------------------------


def service_json(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": service.name,
        "title": service.title,
        "impact": service.impact,
        "description": service.description,
        "public": service.public,
        "origin": service.origin,
    }


def monitor_json(
    session: Session, monitor: Monitor, service: Service, *, now: datetime
) -> dict[str, Any]:
    """A monitor with its credentials hidden, its state, uptime and latency."""
    state = monitor_state(session, monitor.id)
    latency = latency_percentiles(session, [monitor.id], now - DAY, now)
    return monitor_public(monitor) | {
        "service": service.name,
        "enabled": monitor.enabled,
        "state": {
            "last_ok": state.last_ok if state else None,
            "last_checked_at": state.last_checked_at if state else None,
            "last_error": state.last_error if state else None,
            "consecutive_failures": state.consecutive_failures if state else 0,
            "consecutive_successes": state.consecutive_successes if state else 0,
            "incident_id": state.incident_id if state else None,
        },
        "uptime_24h": uptime(session, [monitor.id], now - DAY, now),
        "uptime_30d": uptime(session, [monitor.id], now - 30 * DAY, now),
        "latency_ms_24h": {f"p{q:g}": value for q, value in latency.items()},
    }


def monitor_row_json(row: MonitorRow, services: dict[int, str]) -> dict[str, Any]:
    return row.public() | {"service": services.get(row.service_id)}


def incident_json(
    incident: Incident, service: Service, *, now: datetime, settings: Settings
) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "service": service.name,
        "service_id": service.id,
        "severity": incident.severity,
        "status": incident.status,
        "public_status": incident.public_status,
        "source": incident.source,
        "opened_at": incident.opened_at,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": incident.resolved_at,
        "currency": settings.store.currency,
        "revenue_per_minute": incident.revenue_per_minute,
        "revenue_at_risk": live_amount(incident, now),
        "revenue_at_risk_live": incident.resolved_at is None,
    }


def event_json(event: IncidentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "author": event.author,
        "kind": event.kind,
        "text": event.text,
        "public_status": event.public_status,
        "public": event.public,
    }
