"""/api/v1/incidents: list, open by hand, read with the timeline and the live revenue at risk,
and what people do to one: acknowledge, note, severity, public status update, postmortem,
resolve.

Notes are for staff; status updates are public (the status page shows them). Revenue at risk
is the rate frozen when the incident opened × the minutes it has been open: live while open,
frozen once resolved. A change the incident's state refuses (acknowledging twice, resolving a
resolved incident) is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from storeops.core.jsonout import jsonable
from storeops.core.settings import Settings
from storeops.db.users import User
from storeops.itsm import actions
from storeops.itsm.models import Incident, Service, Severity
from storeops.itsm.queries import list_incidents, timeline
from storeops.itsm.schemas import IncidentCreate, IncidentNote, StatusUpdate
from storeops.web.deps import DbSession, SettingsDep, require
from storeops.web.reliability import (
    IdPath,
    Now,
    actor_of,
    committing,
    event_json,
    get_or_404,
    incident_json,
    no_nul,
    revenue_rates,
    service_named,
)

router = APIRouter(tags=["incidents"])
Reader = Annotated[User, Depends(require("incidents"))]
Writer = Annotated[User, Depends(require("incidents", write=True))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeverityChange(_Strict):
    severity: Severity


class Postmortem(_Strict):
    markdown: str = Field(max_length=200_000, description="The postmortem, in Markdown.")


class Resolution(_Strict):
    text: str = Field(default="", max_length=5_000, description="What fixed it (timeline).")


@router.get("/incidents")
def get_incidents(
    user: Reader,
    db: DbSession,
    settings: SettingsDep,
    now: Now,
    status: Annotated[
        Literal["active", "open", "acknowledged", "resolved"] | None,
        Query(description="active (open or acknowledged), open, acknowledged or resolved."),
    ] = None,
    service: Annotated[str | None, Query(max_length=100, description="A service's name.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Newest first, with each one's revenue at risk: {total, currency, incidents: [...]}."""
    found = service_named(db, service)
    page = list_incidents(
        db, status=status, service_id=found.id if found else None, limit=limit, offset=offset
    )
    return jsonable(
        {
            "total": page.total,
            "currency": settings.store.currency,
            "incidents": [
                incident_json(incident, svc, now=now, settings=settings)
                for incident, svc in page.rows
            ],
        }
    )


@router.post("/incidents", status_code=201)
def open_incident(
    body: IncidentCreate,
    request: Request,
    user: Writer,
    db: DbSession,
    settings: SettingsDep,
    now: Now,
) -> dict[str, Any]:
    """Opens an incident by hand (source "manual"); its revenue rate is the store's expected
    sales per minute now × the service's impact."""
    no_nul(body)
    service = service_named(db, body.service)
    assert service is not None
    rate = revenue_rates(request).for_service(service, now)
    incident = actions.open_incident(
        db,
        service=service,
        title=body.title,
        source="manual",
        severity=body.severity,
        now=now,
        revenue_per_minute=rate.per_minute,
        actor=actor_of(user, "api"),
    )
    db.commit()
    return _detail(db, incident, settings, now)


@router.get("/incidents/{incident_id}")
def get_incident(
    incident_id: IdPath, user: Reader, db: DbSession, settings: SettingsDep, now: Now
) -> dict[str, Any]:
    """The incident, its live revenue at risk, postmortem (Markdown) and whole timeline (staff
    notes included; `public` marks what the status page shows)."""
    return _detail(db, get_or_404(db, Incident, incident_id, "incident"), settings, now)


def _detail(db: DbSession, incident: Incident, settings: Any, now: datetime) -> dict[str, Any]:
    service = get_or_404(db, Service, incident.service_id, "service")
    return jsonable(
        incident_json(incident, service, now=now, settings=settings)
        | {
            "postmortem": incident.postmortem,
            "timeline": [event_json(event) for event in timeline(db, incident.id)],
        }
    )


@dataclass(frozen=True)
class _IncidentAction:
    """What every action route on one incident shares: which incident, who acts, and when."""

    incident_id: int
    actor: str
    db: Session
    settings: Settings
    now: datetime

    def run(self, action: Callable[..., object], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Runs `action(db, incident, *args, now=, actor=, **kwargs)` (404 when there is no such
        incident, 409 when its state refuses), commits, answers the incident."""
        incident = get_or_404(self.db, Incident, self.incident_id, "incident")
        with committing(self.db):
            action(self.db, incident, *args, now=self.now, actor=self.actor, **kwargs)
        return _detail(self.db, incident, self.settings, self.now)


def _incident_action(
    incident_id: IdPath, user: Writer, db: DbSession, settings: SettingsDep, now: Now
) -> _IncidentAction:
    return _IncidentAction(incident_id, actor_of(user, "api"), db, settings, now)


# The path's incident, for a user who may change incidents.
IncidentAction = Annotated[_IncidentAction, Depends(_incident_action)]


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(act: IncidentAction) -> dict[str, Any]:
    """You own it now (once; 409 when acknowledged already or resolved)."""
    return act.run(actions.acknowledge)


@router.post("/incidents/{incident_id}/notes", status_code=201)
def add_note(body: IncidentNote, act: IncidentAction) -> dict[str, Any]:
    """A staff note on the timeline (never on the status page)."""
    no_nul(body)
    return act.run(actions.add_note, body.text)


@router.put("/incidents/{incident_id}/severity")
def set_severity(body: SeverityChange, act: IncidentAction) -> dict[str, Any]:
    return act.run(actions.set_severity, body.severity)


@router.post("/incidents/{incident_id}/updates", status_code=201)
def post_update(body: StatusUpdate, act: IncidentAction) -> dict[str, Any]:
    """A public update for the status page: investigating, identified, monitoring or resolved
    (which also resolves the incident)."""
    no_nul(body)
    return act.run(actions.post_status_update, body)


@router.put("/incidents/{incident_id}/postmortem")
def write_postmortem(body: Postmortem, act: IncidentAction) -> dict[str, Any]:
    """Writes (or rewrites) the postmortem, in Markdown."""
    no_nul(body)
    return act.run(actions.write_postmortem, body.markdown)


@router.post("/incidents/{incident_id}/resolve")
def resolve(act: IncidentAction, body: Resolution | None = None) -> dict[str, Any]:
    """Resolves it; its revenue at risk is frozen (409 when resolved already)."""
    if body is not None:
        no_nul(body)
    return act.run(actions.resolve_incident, text=body.text if body else "")
