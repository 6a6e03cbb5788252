"""Changes to services and incidents. The caller commits.

Every incident change lands on its timeline (IncidentEvent). What a person does (`actor` is
"web:ana@shop.example", "cli:ana"...) is also audited with record_change, before and after;
what storeops does by itself (actor SYSTEM: a monitor failed, an SLO paged) is on the timeline
only, with author "storeops".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.core.money import money_str
from storeops.db.audit import create_audited, delete_audited, record_change, update_audited
from storeops.itsm.models import (
    Incident,
    IncidentEvent,
    IncidentStatus,
    Origin,
    PublicStatus,
    Service,
    Severity,
)
from storeops.itsm.revenue import amount_at_risk, frozen_rate
from storeops.itsm.schemas import ServiceSpec, StatusUpdate

SYSTEM = "storeops"
SOURCES = ("monitor", "slo", "manual")


def author_of(actor: str) -> str:
    """The timeline's author: a web user's e-mail, else the actor as the audit log has it."""
    return actor.removeprefix("web:")


def service_public(service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "title": service.title,
        "impact": service.impact,
        "description": service.description,
        "public": service.public,
        "origin": service.origin,
    }


def incident_public(incident: Incident) -> dict[str, Any]:
    """What the audit log keeps of an incident (no postmortem text: that change has its own)."""
    return {
        "id": incident.id,
        "service_id": incident.service_id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "public_status": incident.public_status,
        "source": incident.source,
        "revenue_per_minute": money_str(incident.revenue_per_minute)
        if incident.revenue_per_minute is not None
        else None,
        "revenue_at_risk": money_str(incident.revenue_at_risk)
        if incident.revenue_at_risk is not None
        else None,
    }


# -- services ------------------------------------------------------------------------------------


def upsert_service(session: Session, spec: ServiceSpec, *, origin: Origin, actor: str) -> Service:
    """Creates the service named spec.name, or brings it to `spec`; audited when it changes."""
    service = session.scalars(select(Service).where(Service.name == spec.name)).one_or_none()
    fields = {
        "title": spec.display_title(),
        "impact": spec.impact,
        "description": spec.description,
        "public": spec.public,
        "origin": str(origin),
    }
    if service is None:
        service = Service(name=spec.name, **fields)
        return create_audited(session, service, kind="service", public=service_public, actor=actor)
    update_audited(session, service, fields, kind="service", public=service_public, actor=actor)
    return service


def delete_service(session: Session, service: Service, *, actor: str) -> None:
    """Removes a service without incidents (their history keeps the service it hit)."""
    has_incidents = session.scalars(
        select(Incident.id).where(Incident.service_id == service.id).limit(1)
    ).first()
    if has_incidents is not None:
        raise UserError(
            f"service {service.name!r} has incidents and cannot be deleted "
            "(make it private instead: public = false)"
        )
    delete_audited(session, service, kind="service", public=service_public, actor=actor)


# -- incidents: opening, joining, closing ---------------------------------------------------------


def record_event(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    now: datetime,
    text: str = "",
    author: str = SYSTEM,
    public_status: str | None = None,
    public: bool = False,
) -> IncidentEvent:
    event = IncidentEvent(
        incident_id=incident.id,
        at=now,
        author=author,
        kind=kind,
        text=text,
        public_status=public_status,
        public=public,
    )
    session.add(event)
    session.flush()
    return event


def open_incident(
    session: Session,
    *,
    service: Service,
    title: str,
    source: str,
    severity: Severity | str,
    now: datetime,
    revenue_per_minute: Decimal,
    actor: str,
) -> Incident:
    """A new open incident of `service`, its revenue rate frozen for the incident's life."""
    if source not in SOURCES:
        raise ValueError(f"unknown incident source {source!r}")
    incident = Incident(
        service_id=service.id,
        title=title[:300],
        severity=str(Severity(severity)),
        status=IncidentStatus.open,
        public_status=PublicStatus.investigating,
        source=source,
        opened_at=now,
        revenue_per_minute=frozen_rate(revenue_per_minute),
        postmortem="",
    )
    session.add(incident)
    session.flush()
    record_event(session, incident, kind="opened", now=now, text=title, author=author_of(actor))
    if actor != SYSTEM:
        record_change(
            session,
            actor=actor,
            action="incident.open",
            target=f"incident:{incident.id}",
            after=incident_public(incident),
        )
    return incident


def join_incident(
    session: Session, incident: Incident, *, kind: str, text: str, now: datetime
) -> IncidentEvent:
    """Another failure of the same service (kind monitor_failed, slo_page...) joins the open
    incident instead of opening a second one."""
    if incident.status == IncidentStatus.resolved:
        raise ValueError(f"incident #{incident.id} is resolved: open a new one")
    return record_event(session, incident, kind=kind, now=now, text=text)


def resolve_incident(
    session: Session, incident: Incident, *, now: datetime, actor: str, text: str = ""
) -> Incident:
    """Closes the incident; its revenue at risk is frozen at rate × minutes open."""
    if incident.status == IncidentStatus.resolved:
        raise UserError(f"incident #{incident.id} is resolved already")
    before = incident_public(incident)
    incident.status = IncidentStatus.resolved
    incident.public_status = PublicStatus.resolved
    incident.resolved_at = now
    incident.revenue_at_risk = amount_at_risk(incident.revenue_per_minute, incident.opened_at, now)
    record_event(session, incident, kind="resolved", now=now, text=text, author=author_of(actor))
    if actor != SYSTEM:
        record_change(
            session,
            actor=actor,
            action="incident.resolve",
            target=f"incident:{incident.id}",
            before=before,
            after=incident_public(incident),
        )
    return incident


# -- what people do ------------------------------------------------------------------------------


def _audited(
    session: Session, incident: Incident, action: str, actor: str, before: dict[str, Any]
) -> None:
    record_change(
        session,
        actor=actor,
        action=action,
        target=f"incident:{incident.id}",
        before=before,
        after=incident_public(incident),
    )


def acknowledge(session: Session, incident: Incident, *, now: datetime, actor: str) -> Incident:
    """Someone owns the incident now; only once, and only while it is open."""
    if incident.status == IncidentStatus.resolved:
        raise UserError(f"incident #{incident.id} is resolved: nothing to acknowledge")
    if incident.acknowledged_at is not None:
        raise UserError(
            f"incident #{incident.id} was acknowledged by {incident.acknowledged_by} already"
        )
    before = incident_public(incident)
    incident.status = IncidentStatus.acknowledged
    incident.acknowledged_at = now
    incident.acknowledged_by = author_of(actor)
    record_event(session, incident, kind="acknowledged", now=now, author=author_of(actor))
    _audited(session, incident, "incident.acknowledge", actor, before)
    return incident


def add_note(
    session: Session, incident: Incident, text: str, *, now: datetime, actor: str
) -> IncidentEvent:
    """A staff note on the timeline (never shown on the status page)."""
    event = record_event(
        session, incident, kind="note", now=now, text=text, author=author_of(actor)
    )
    record_change(
        session,
        actor=actor,
        action="incident.note",
        target=f"incident:{incident.id}",
        after={"event_id": event.id, "text": text},
    )
    return event


def set_severity(
    session: Session, incident: Incident, severity: Severity | str, *, now: datetime, actor: str
) -> Incident:
    new = str(Severity(severity))
    if new == incident.severity:
        return incident
    before = incident_public(incident)
    text = f"{incident.severity} → {new}"
    incident.severity = new
    record_event(session, incident, kind="severity", now=now, text=text, author=author_of(actor))
    _audited(session, incident, "incident.severity", actor, before)
    return incident


def post_status_update(
    session: Session, incident: Incident, update: StatusUpdate, *, now: datetime, actor: str
) -> IncidentEvent:
    """A public update for the status page. "resolved" also resolves an unresolved incident."""
    before = incident_public(incident)
    status = str(update.status)
    event = record_event(
        session,
        incident,
        kind="status_update",
        now=now,
        text=update.text,
        author=author_of(actor),
        public_status=status,
        public=True,
    )
    incident.public_status = status
    record_change(
        session,
        actor=actor,
        action="incident.status_update",
        target=f"incident:{incident.id}",
        before=before,
        after={**incident_public(incident), "event_id": event.id, "text": update.text},
    )
    if update.status is PublicStatus.resolved and incident.status != IncidentStatus.resolved:
        resolve_incident(session, incident, now=now, actor=actor)
    return event


def write_postmortem(
    session: Session, incident: Incident, markdown: str, *, now: datetime, actor: str
) -> Incident:
    """The incident's postmortem (markdown), written or rewritten at any time."""
    before = incident.postmortem or ""
    if markdown == before:
        return incident
    incident.postmortem = markdown
    record_event(
        session,
        incident,
        kind="postmortem",
        now=now,
        text="postmortem written" if not before else "postmortem updated",
        author=author_of(actor),
    )
    record_change(
        session,
        actor=actor,
        action="incident.postmortem",
        target=f"incident:{incident.id}",
        before={"postmortem": before},
        after={"postmortem": markdown},
    )
    return incident
