"""The public status page: what customers may see, and nothing else.

Components are the public services. Each is in outage while it has an unresolved sev1/sev2
incident, degraded with a sev3/sev4 one, under maintenance inside a maintenance window without
an incident, else operational. The bars are the daily uptime of the service's monitors over the
last 90 store-local days. Incidents show their public updates only, never staff notes or the
timeline's automatic events; an incident storeops opened by itself is named after its component
and its impact (its own title holds monitor names and error texts meant for staff).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storeops.itsm.models import Incident, IncidentStatus, Service, Severity
from storeops.itsm.queries import UNRESOLVED, services, timeline
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import Monitor
from storeops.monitoring.queries import daily_uptime, uptime

BAR_DAYS = 90
RECENT_DAYS = 14  # resolved incidents listed this long after they end
OUTAGE_SEVERITIES = (Severity.sev1, Severity.sev2)


class ComponentStatus(StrEnum):
    operational = "operational"
    maintenance = "maintenance"
    degraded = "degraded"
    outage = "outage"


# Worst first: the page's overall status is its worst component's.
_RANK = [
    ComponentStatus.outage,
    ComponentStatus.degraded,
    ComponentStatus.maintenance,
    ComponentStatus.operational,
]


@dataclass(frozen=True)
class DayBar:
    day: date
    uptime: float | None  # None: no check that day


@dataclass(frozen=True)
class Component:
    name: str
    title: str
    description: str
    status: ComponentStatus
    uptime: float | None  # over the bars' days
    bars: list[DayBar]


@dataclass(frozen=True)
class Update:
    at: datetime
    status: str  # investigating | identified | monitoring | resolved
    text: str


@dataclass(frozen=True)
class PublicIncident:
    id: int
    component: str  # the service's title
    title: str
    status: str  # the latest public status
    impact: ComponentStatus  # outage or degraded
    opened_at: datetime
    resolved_at: datetime | None
    updates: list[Update]  # newest first


@dataclass(frozen=True)
class StatusPage:
    status: ComponentStatus  # the worst component's
    components: list[Component]
    incidents: list[PublicIncident]  # unresolved, newest first
    recent: list[PublicIncident]  # resolved in the last RECENT_DAYS days, newest first
    generated_at: datetime

    def public(self) -> dict[str, Any]:
        """JSON-ready (the status page API): dates ISO 8601, uptimes floats in [0, 1]."""
        return {
            "status": self.status.value,
            "generated_at": self.generated_at.isoformat(),
            "components": [
                {
                    "name": c.name,
                    "title": c.title,
                    "description": c.description,
                    "status": c.status.value,
                    "uptime": c.uptime,
                    "bars": [{"day": b.day.isoformat(), "uptime": b.uptime} for b in c.bars],
                }
                for c in self.components
            ],
            "incidents": [_incident_json(i) for i in self.incidents],
            "recent": [_incident_json(i) for i in self.recent],
        }


def status_page(
    session: Session,
    *,
    now: datetime,
    timezone: str = "UTC",
    days: int = BAR_DAYS,
    recent_days: int = RECENT_DAYS,
) -> StatusPage:
    public = services(session, public_only=True)
    by_id = {service.id: service for service in public}
    unresolved, recent = _incidents(session, list(by_id), now - timedelta(days=recent_days))
    calendar = MaintenanceCalendar.load(session)
    components = [
        _component(session, service, unresolved, calendar, now, timezone, days)
        for service in public
    ]
    worst = min((c.status for c in components), key=_RANK.index, default=None)
    return StatusPage(
        status=worst or ComponentStatus.operational,
        components=components,
        incidents=[_public(session, i, by_id[i.service_id]) for i in unresolved],
        recent=[_public(session, i, by_id[i.service_id]) for i in recent],
        generated_at=now,
    )


def _incidents(
    session: Session, service_ids: list[int], since: datetime
) -> tuple[list[Incident], list[Incident]]:
    if not service_ids:
        return [], []
    found = session.scalars(
        select(Incident)
        .where(
            Incident.service_id.in_(service_ids),
            or_(Incident.status.in_(UNRESOLVED), Incident.resolved_at >= since),
        )
        .order_by(Incident.opened_at.desc(), Incident.id.desc())
    ).all()
    unresolved = [i for i in found if i.status != IncidentStatus.resolved]
    return unresolved, [i for i in found if i.status == IncidentStatus.resolved]


def _impact(incident: Incident) -> ComponentStatus:
    if incident.severity in OUTAGE_SEVERITIES:
        return ComponentStatus.outage
    return ComponentStatus.degraded


def _component(
    session: Session,
    service: Service,
    unresolved: Sequence[Incident],
    calendar: MaintenanceCalendar,
    now: datetime,
    timezone: str,
    days: int,
) -> Component:
    impacts = [_impact(i) for i in unresolved if i.service_id == service.id]
    if impacts:
        status = min(impacts, key=_RANK.index)
    elif calendar.covers(service.id, now):
        status = ComponentStatus.maintenance
    else:
        status = ComponentStatus.operational
    monitor_ids = list(session.scalars(select(Monitor.id).where(Monitor.service_id == service.id)))
    bars = [
        DayBar(day, value)
        for day, value in daily_uptime(session, monitor_ids, now=now, days=days, timezone=timezone)
    ]
    start = now - timedelta(days=days)
    return Component(
        name=service.name,
        title=service.title,
        description=service.description,
        status=status,
        uptime=uptime(session, monitor_ids, start, now) if monitor_ids else None,
        bars=bars,
    )


def _public(session: Session, incident: Incident, service: Service) -> PublicIncident:
    updates = [
        Update(event.at, event.public_status or incident.public_status, event.text)
        for event in reversed(timeline(session, incident.id, public_only=True))
    ]
    impact = _impact(incident)
    if incident.source == "manual":
        title = incident.title
    elif impact is ComponentStatus.outage:
        title = f"{service.title} outage"
    else:
        title = f"{service.title} degraded performance"
    return PublicIncident(
        id=incident.id,
        component=service.title,
        title=title,
        status=incident.public_status,
        impact=impact,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        updates=updates,
    )


def _incident_json(incident: PublicIncident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "component": incident.component,
        "title": incident.title,
        "status": incident.status,
        "impact": incident.impact.value,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "updates": [
            {"at": u.at.isoformat(), "status": u.status, "text": u.text} for u in incident.updates
        ],
    }
