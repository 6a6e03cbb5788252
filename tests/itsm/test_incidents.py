"""Services and incidents: actions, their timeline and audit, and the reads, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db.models import AuditEntry
from storeops.itsm import actions, queries
from storeops.itsm.models import (
    Incident,
    IncidentStatus,
    Origin,
    PublicStatus,
    Service,
    Severity,
)
from storeops.itsm.schemas import ServiceSpec, StatusUpdate

ANA = "web:ana@shop.example"
T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def audit(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def checkout(session: Session, impact: float = 1.0) -> Service:
    spec = ServiceSpec(name="checkout", impact=impact)
    return actions.upsert_service(session, spec, origin=Origin.config, actor="cli:ops")


def auto_incident(session: Session, service: Service, rate: str = "20.5713", at=T0) -> Incident:
    return actions.open_incident(
        session,
        service=service,
        title="checkout-page failing: HTTP 500",
        source="monitor",
        severity=Severity.sev1,
        now=at,
        revenue_per_minute=D(rate),
        actor=actions.SYSTEM,
    )


def test_upsert_service_creates_updates_and_audits_only_changes(session) -> None:
    service = checkout(session, impact=0.8)
    assert (service.name, service.title, service.impact, service.origin) == (
        "checkout",
        "Checkout",
        0.8,
        "config",
    )
    again = checkout(session, impact=0.8)
    assert again.id == service.id
    assert [e.action for e in audit(session)] == ["service.create"]
    checkout(session, impact=1.0)
    session.commit()
    update = audit(session)[-1]
    assert update.action == "service.update" and update.target == "service:checkout"
    assert (update.before["impact"], update.after["impact"]) == (0.8, 1.0)


def test_an_automatic_incident_freezes_its_rate_and_is_on_the_timeline_not_in_the_audit(
    session,
) -> None:
    service = checkout(session)
    incident = auto_incident(session, service, rate="20.571349")
    session.commit()
    assert incident.status == IncidentStatus.open
    assert incident.public_status == PublicStatus.investigating
    assert incident.revenue_per_minute == D("20.5713")
    assert incident.revenue_at_risk is None
    [opened] = queries.timeline(session, incident.id)
    assert (opened.kind, opened.author, opened.text, opened.public) == (
        "opened",
        "storeops",
        "checkout-page failing: HTTP 500",
        False,
    )
    assert [e.action for e in audit(session)] == ["service.create"]


def test_a_manual_incident_is_audited(session) -> None:
    service = checkout(session)
    incident = actions.open_incident(
        session,
        service=service,
        title="Card payments declined",
        source="manual",
        severity="sev2",
        now=T0,
        revenue_per_minute=D("3"),
        actor=ANA,
    )
    session.commit()
    entry = audit(session)[-1]
    assert (entry.actor, entry.action, entry.target) == (
        ANA,
        "incident.open",
        f"incident:{incident.id}",
    )
    assert entry.after["revenue_per_minute"] == "3.00" and entry.after["severity"] == "sev2"
    assert queries.timeline(session, incident.id)[0].author == "ana@shop.example"
    with pytest.raises(ValueError):
        actions.open_incident(
            session,
            service=service,
            title="x",
            source="rumour",
            severity="sev2",
            now=T0,
            revenue_per_minute=D(0),
            actor=ANA,
        )


def test_a_second_failure_joins_the_open_incident(session) -> None:
    service = checkout(session)
    incident = auto_incident(session, service)
    assert queries.open_incident_of(session, service.id).id == incident.id
    actions.join_incident(
        session,
        incident,
        kind="monitor_failed",
        text="payment-api: timeout",
        now=T0 + timedelta(minutes=2),
    )
    session.commit()
    assert [e.kind for e in queries.timeline(session, incident.id)] == ["opened", "monitor_failed"]
    actions.resolve_incident(session, incident, now=T0 + timedelta(minutes=5), actor=actions.SYSTEM)
    assert queries.open_incident_of(session, service.id) is None
    with pytest.raises(ValueError):
        actions.join_incident(session, incident, kind="monitor_failed", text="", now=T0)


def test_acknowledge_once_by_a_person(session) -> None:
    incident = auto_incident(session, checkout(session))
    actions.acknowledge(session, incident, now=T0 + timedelta(minutes=3), actor=ANA)
    session.commit()
    assert incident.status == IncidentStatus.acknowledged
    assert (incident.acknowledged_by, incident.acknowledged_at) == (
        "ana@shop.example",
        T0 + timedelta(minutes=3),
    )
    entry = audit(session)[-1]
    assert entry.action == "incident.acknowledge"
    assert (entry.before["status"], entry.after["status"]) == ("open", "acknowledged")
    with pytest.raises(UserError, match="acknowledged by ana@shop.example"):
        actions.acknowledge(session, incident, now=T0, actor="web:bob@shop.example")
    # Still a live incident: new failures join it.
    assert queries.open_incident_of(session, incident.service_id).id == incident.id


def test_resolving_freezes_rate_times_minutes_open(session) -> None:
    incident = auto_incident(session, checkout(session), rate="20.5713")
    # 42 min 30 s: 20.5713 × 42.5 = 874.28025 -> 874.28
    actions.resolve_incident(
        session, incident, now=T0 + timedelta(minutes=42, seconds=30), actor=actions.SYSTEM
    )
    session.commit()
    session.expire_all()
    incident = session.get(Incident, incident.id)
    assert incident.revenue_at_risk == D("874.28")
    assert (incident.status, incident.public_status) == ("resolved", "resolved")
    assert incident.resolved_at == T0 + timedelta(minutes=42, seconds=30)
    assert queries.timeline(session, incident.id)[-1].kind == "resolved"
    with pytest.raises(UserError, match="resolved already"):
        actions.resolve_incident(session, incident, now=T0, actor=ANA)
    with pytest.raises(UserError, match="nothing to acknowledge"):
        actions.acknowledge(session, incident, now=T0, actor=ANA)


def test_notes_severity_and_public_updates(session) -> None:
    incident = auto_incident(session, checkout(session))
    actions.add_note(
        session, incident, "DB primary at 100% CPU", now=T0 + timedelta(minutes=1), actor=ANA
    )
    actions.set_severity(session, incident, Severity.sev2, now=T0 + timedelta(minutes=2), actor=ANA)
    actions.set_severity(
        session, incident, "sev2", now=T0 + timedelta(minutes=2), actor=ANA
    )  # no-op
    update = StatusUpdate(
        status=PublicStatus.identified, text="Payments fail; a fix is on its way."
    )
    actions.post_status_update(session, incident, update, now=T0 + timedelta(minutes=3), actor=ANA)
    session.commit()
    assert incident.severity == "sev2" and incident.public_status == "identified"
    assert incident.status == IncidentStatus.open
    kinds = [(e.kind, e.public) for e in queries.timeline(session, incident.id)]
    assert kinds == [
        ("opened", False),
        ("note", False),
        ("severity", False),
        ("status_update", True),
    ]
    [public] = queries.timeline(session, incident.id, public_only=True)
    assert (public.public_status, public.text) == (
        "identified",
        "Payments fail; a fix is on its way.",
    )
    assert [e.action for e in audit(session)][1:] == [
        "incident.note",
        "incident.severity",
        "incident.status_update",
    ]
    severity = audit(session)[2]
    assert (severity.before["severity"], severity.after["severity"]) == ("sev1", "sev2")
    # A public "resolved" closes the incident.
    done = StatusUpdate(status=PublicStatus.resolved, text="Payments work again.")
    actions.post_status_update(session, incident, done, now=T0 + timedelta(minutes=10), actor=ANA)
    session.commit()
    assert incident.status == IncidentStatus.resolved
    assert incident.revenue_at_risk == D("205.71")  # 20.5713 × 10
    assert audit(session)[-1].action == "incident.resolve"


def test_postmortem_is_audited_with_before_and_after(session) -> None:
    incident = auto_incident(session, checkout(session))
    actions.write_postmortem(session, incident, "# What happened\n", now=T0, actor=ANA)
    actions.write_postmortem(session, incident, "# What happened\n", now=T0, actor=ANA)  # same
    actions.write_postmortem(session, incident, "# What happened\nDisk full.\n", now=T0, actor=ANA)
    session.commit()
    entries = [e for e in audit(session) if e.action == "incident.postmortem"]
    assert [(e.before, e.after) for e in entries] == [
        ({"postmortem": ""}, {"postmortem": "# What happened\n"}),
        ({"postmortem": "# What happened\n"}, {"postmortem": "# What happened\nDisk full.\n"}),
    ]
    texts = [e.text for e in queries.timeline(session, incident.id) if e.kind == "postmortem"]
    assert texts == ["postmortem written", "postmortem updated"]


def test_a_service_with_incidents_cannot_be_deleted(session) -> None:
    service = checkout(session)
    search = actions.upsert_service(
        session, ServiceSpec(name="search", impact=0.3), origin=Origin.api, actor=ANA
    )
    auto_incident(session, service)
    with pytest.raises(UserError, match="has incidents"):
        actions.delete_service(session, service, actor=ANA)
    actions.delete_service(session, search, actor=ANA)
    session.commit()
    assert [s.name for s in queries.services(session)] == ["checkout"]
    assert audit(session)[-1].action == "service.delete"


def test_list_incidents_filters_and_pages_newest_first(session) -> None:
    service = checkout(session)
    search = actions.upsert_service(
        session, ServiceSpec(name="search", impact=0.3), origin=Origin.api, actor=ANA
    )
    made = [
        auto_incident(session, service if i % 2 == 0 else search, at=T0 + timedelta(hours=i))
        for i in range(5)
    ]
    actions.resolve_incident(session, made[0], now=T0 + timedelta(minutes=30), actor=ANA)
    actions.acknowledge(session, made[1], now=T0 + timedelta(hours=1, minutes=1), actor=ANA)
    session.commit()
    everything = queries.list_incidents(session)
    assert everything.total == 5
    assert [i.id for i, _ in everything.rows] == [m.id for m in reversed(made)]
    active = queries.list_incidents(session, status="active")
    assert active.total == 4
    assert queries.list_incidents(session, status="acknowledged").rows[0][0].id == made[1].id
    page = queries.list_incidents(session, service_id=service.id, limit=2, offset=1)
    assert page.total == 3
    assert [(i.id, s.name) for i, s in page.rows] == [
        (made[2].id, "checkout"),
        (made[0].id, "checkout"),
    ]
    with pytest.raises(ValueError):
        queries.list_incidents(session, status="sleeping")
    assert [i.id for i in queries.open_incidents(session)] == [m.id for m in made[1:]]


def test_monthly_totals_add_frozen_and_live_amounts_per_store_local_month(session) -> None:
    service = checkout(session)
    search = actions.upsert_service(
        session, ServiceSpec(name="search", impact=0.3), origin=Origin.api, actor=ANA
    )
    # 31 March 22:30 UTC is 1 April 00:30 in Paris (summer time): an April incident.
    april = auto_incident(session, service, rate="10", at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC))
    march = auto_incident(session, service, rate="10", at=datetime(2025, 3, 31, 21, 30, tzinfo=UTC))
    actions.acknowledge(session, march, now=datetime(2025, 3, 31, 21, 36, tzinfo=UTC), actor=ANA)
    actions.resolve_incident(
        session, march, now=datetime(2025, 3, 31, 21, 50, tzinfo=UTC), actor=ANA
    )  # 20 min × 10 = 200.00
    other = auto_incident(session, search, rate="1.5", at=datetime(2025, 3, 10, 8, 0, tzinfo=UTC))
    actions.resolve_incident(
        session, other, now=datetime(2025, 3, 10, 9, 0, tzinfo=UTC), actor=ANA
    )  # 60 min × 1.5 = 90.00
    session.commit()
    now = datetime(2025, 3, 31, 23, 0, 45, tzinfo=UTC)  # the April one: 30.75 min × 10 = 307.50
    totals = queries.monthly_totals(session, now=now, timezone="Europe/Paris")
    assert [
        (t.month, t.service, t.incidents, t.live, t.revenue_at_risk, t.mtta_minutes, t.mttr_minutes)
        for t in totals
    ] == [
        ("2025-03", "checkout", 1, 0, D("200.00"), 6.0, 20.0),
        ("2025-03", "search", 1, 0, D("90.00"), None, 60.0),
        ("2025-04", "checkout", 1, 1, D("307.50"), None, None),
    ]
    assert april.revenue_at_risk is None
    only = queries.monthly_totals(
        session,
        now=now,
        timezone="UTC",
        service_id=service.id,
        start=datetime(2025, 3, 31, tzinfo=UTC),
    )
    assert [(t.month, t.incidents, t.revenue_at_risk) for t in only] == [
        ("2025-03", 2, D("507.50"))
    ]
