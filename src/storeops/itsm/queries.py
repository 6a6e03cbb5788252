"""Reading services and incidents: open ones, a timeline, a filtered page, money and response
times per service and month."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeops.core.money import to_money
from storeops.itsm.models import Incident, IncidentEvent, IncidentStatus, Service
from storeops.itsm.revenue import incident_amount, minutes_between

UNRESOLVED = (IncidentStatus.open, IncidentStatus.acknowledged)
ACTIVE = "active"  # a status filter: open or acknowledged


def services(session: Session, *, public_only: bool = False) -> list[Service]:
    query = select(Service).order_by(Service.name)
    if public_only:
        query = query.where(Service.public.is_(True))
    return list(session.scalars(query))


def service_named(session: Session, name: str) -> Service | None:
    return session.scalars(select(Service).where(Service.name == name)).one_or_none()


def open_incidents(session: Session, *, service_id: int | None = None) -> list[Incident]:
    """Unresolved incidents, oldest first."""
    query = select(Incident).where(Incident.status.in_(UNRESOLVED))
    if service_id is not None:
        query = query.where(Incident.service_id == service_id)
    return list(session.scalars(query.order_by(Incident.opened_at, Incident.id)))


def open_incident_of(session: Session, service_id: int) -> Incident | None:
    """The service's open incident that new failures join (the oldest, should there be two)."""
    found = open_incidents(session, service_id=service_id)
    return found[0] if found else None


def timeline(
    session: Session, incident_id: int, *, public_only: bool = False
) -> list[IncidentEvent]:
    query = select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
    if public_only:
        query = query.where(IncidentEvent.public.is_(True))
    return list(session.scalars(query.order_by(IncidentEvent.at, IncidentEvent.id)))


@dataclass
class IncidentPage:
    rows: list[tuple[Incident, Service]]
    total: int


def list_incidents(
    session: Session,
    *,
    status: str | None = None,
    service_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> IncidentPage:
    """Newest first. status: open, acknowledged, resolved, or "active" (not resolved)."""
    query = select(Incident, Service).join(Service, Service.id == Incident.service_id)
    if status == ACTIVE:
        query = query.where(Incident.status.in_(UNRESOLVED))
    elif status is not None:
        query = query.where(Incident.status == IncidentStatus(status))
    if service_id is not None:
        query = query.where(Incident.service_id == service_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    return IncidentPage([(incident, service) for incident, service in session.execute(page)], total)


@dataclass
class MonthTotal:
    """Incidents of a service opened in one store-local month, and the revenue they put at risk."""

    service: str
    month: str  # "2025-03"
    incidents: int
    live: int  # still open: their amount grows
    revenue_at_risk: Decimal
    mtta_minutes: float | None  # mean time to acknowledge, of those acknowledged
    mttr_minutes: float | None  # mean time to resolve, of those resolved


def monthly_totals(
    session: Session,
    *,
    now: datetime,
    timezone: str,
    start: datetime | None = None,
    end: datetime | None = None,
    service_id: int | None = None,
) -> list[MonthTotal]:
    """Per service and month an incident opened in: resolved incidents at their frozen amount,
    open ones at their amount so far. Sorted by month, then service."""
    query = select(Incident, Service.name).join(Service, Service.id == Incident.service_id)
    if start is not None:
        query = query.where(Incident.opened_at >= start)
    if end is not None:
        query = query.where(Incident.opened_at < end)
    if service_id is not None:
        query = query.where(Incident.service_id == service_id)
    zone = ZoneInfo(timezone)
    groups: dict[tuple[str, str], list[Incident]] = defaultdict(list)
    for incident, name in session.execute(query):
        month = incident.opened_at.astimezone(zone).strftime("%Y-%m")
        groups[(month, name)].append(incident)
    return [
        MonthTotal(
            service=name,
            month=month,
            incidents=len(found),
            live=sum(i.status != IncidentStatus.resolved for i in found),
            revenue_at_risk=to_money(sum((incident_amount(i, now) for i in found), Decimal(0))),
            mtta_minutes=_mean_minutes(found, "acknowledged_at"),
            mttr_minutes=_mean_minutes(found, "resolved_at"),
        )
        for (month, name), found in sorted(groups.items())
    ]


def _mean_minutes(incidents: list[Incident], until: str) -> float | None:
    spans = [
        float(minutes_between(i.opened_at, getattr(i, until)))
        for i in incidents
        if getattr(i, until) is not None
    ]
    return statistics.fmean(spans) if spans else None
