"""The public status page, on SQLite and PostgreSQL: public components with their status and
90 daily uptime bars, open and recent incidents with public updates only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy.orm import Session

from storeops.itsm import actions
from storeops.itsm.models import Origin, PublicStatus
from storeops.itsm.schemas import ServiceSpec, StatusUpdate
from storeops.monitoring import actions as monitoring_actions
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import ResultWriter
from storeops.monitoring.spec import MaintenanceSpec
from storeops.workflows.status_page import ComponentStatus, status_page
from tests.workflows.watch_setup import ACTOR, add_monitor

NOW = datetime(2025, 3, 25, 13, 20, tzinfo=UTC)  # 14:20 on Tuesday 25 March in Paris
ANA = "web:ana@shop.example"


def service(session: Session, name: str, impact: float, public: bool = True):  # type: ignore[no-untyped-def]
    spec = ServiceSpec(name=name, impact=impact, public=public, description=f"The {name}")
    return actions.upsert_service(session, spec, origin=Origin.config, actor=ACTOR)


def results(session: Session, monitor, oks: list[bool], start: datetime) -> None:  # type: ignore[no-untyped-def]
    writer = ResultWriter()
    for i, ok in enumerate(oks):
        at = start + timedelta(minutes=10 * i)
        writer.add(monitor.id, at, ProbeResult(ok=ok, duration_ms=30.0), False)
    writer.flush(session, start)


def incident(session: Session, svc, title: str, severity: str, at: datetime, source="monitor"):  # type: ignore[no-untyped-def]
    return actions.open_incident(
        session,
        service=svc,
        title=title,
        source=source,
        severity=severity,
        now=at,
        revenue_per_minute=D("1"),
        actor=actions.SYSTEM if source != "manual" else ANA,
    )


def test_components_bars_and_public_updates_only(session) -> None:
    checkout = service(session, "checkout", 1.0)
    search = service(session, "search", 0.3)
    emails = service(session, "emails", 0.0)
    internal = service(session, "batch", 0.0, public=False)
    home = add_monitor(session, "home", checkout)
    search_api = add_monitor(session, "search-api", search)
    add_monitor(session, "batch-job", internal)
    # 24 March in Paris: home 3 of 4 checks up; search-api 2 of 2. 25 March: home 2 of 2.
    results(session, home, [True, False, True, True], datetime(2025, 3, 24, 9, tzinfo=UTC))
    results(session, home, [True, True], datetime(2025, 3, 25, 8, tzinfo=UTC))
    results(session, search_api, [True, True], datetime(2025, 3, 24, 9, tzinfo=UTC))
    # A check at 23:30 UTC on 23 March is 00:30 on 24 March in Paris: a 24 March failure.
    results(session, search_api, [False], datetime(2025, 3, 23, 23, 30, tzinfo=UTC))
    monitoring_actions.create_maintenance_window(
        session,
        MaintenanceSpec(
            name="mail-upgrade",
            service="emails",
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=1),
        ),
        service_id=emails.id,
        origin="config",
        actor=ACTOR,
    )

    down = incident(session, checkout, "home failing: HTTP 500 from 10.0.0.5", "sev1", NOW)
    actions.add_note(session, down, "Primary DB password rotated", now=NOW, actor=ANA)
    actions.post_status_update(
        session,
        down,
        StatusUpdate(status=PublicStatus.identified, text="Checkout fails; we know why."),
        now=NOW + timedelta(minutes=5),
        actor=ANA,
    )
    slow = incident(
        session, search, "Search results slow", "sev3", NOW - timedelta(hours=1), source="manual"
    )
    incident(session, internal, "batch-job failing", "sev1", NOW)  # not public
    last_week = incident(session, checkout, "cart failing", "sev2", NOW - timedelta(days=3))
    actions.post_status_update(
        session,
        last_week,
        StatusUpdate(status=PublicStatus.resolved, text="Fixed."),
        now=NOW - timedelta(days=3) + timedelta(minutes=20),
        actor=ANA,
    )
    old = incident(session, search, "search failing", "sev2", NOW - timedelta(days=20))
    actions.resolve_incident(session, old, now=NOW - timedelta(days=20), actor=actions.SYSTEM)
    session.commit()

    page = status_page(session, now=NOW + timedelta(minutes=10), timezone="Europe/Paris")
    assert page.status is ComponentStatus.outage
    assert [(c.name, c.status) for c in page.components] == [
        ("checkout", ComponentStatus.outage),
        ("emails", ComponentStatus.maintenance),
        ("search", ComponentStatus.degraded),
    ]
    by_name = {c.name: c for c in page.components}
    bars = by_name["checkout"].bars
    assert len(bars) == 90 and bars[0].day == date(2024, 12, 26)
    assert [(b.day, b.uptime) for b in bars[-2:]] == [
        (date(2025, 3, 24), 0.75),
        (date(2025, 3, 25), 1.0),
    ]
    assert all(b.uptime is None for b in bars[:-2])
    assert by_name["checkout"].uptime == pytest.approx(5 / 6)
    assert [(b.day, b.uptime) for b in by_name["search"].bars[-2:]] == [
        (date(2025, 3, 24), pytest.approx(2 / 3)),
        (date(2025, 3, 25), None),
    ]
    assert by_name["emails"].uptime is None and by_name["emails"].bars[-1].uptime is None

    assert [(i.id, i.title, i.status, i.impact) for i in page.incidents] == [
        (down.id, "Checkout outage", "identified", ComponentStatus.outage),
        (slow.id, "Search results slow", "investigating", ComponentStatus.degraded),
    ]
    [update] = page.incidents[0].updates
    assert (update.status, update.text) == ("identified", "Checkout fails; we know why.")
    assert page.incidents[1].updates == []
    [recent] = page.recent
    assert (recent.id, recent.title, recent.status) == (last_week.id, "Checkout outage", "resolved")
    assert [u.text for u in recent.updates] == ["Fixed."]

    published = json.dumps(page.public())
    for secret in ("password", "10.0.0.5", "batch", "home failing", "cart failing"):
        assert secret not in published
    assert json.loads(published)["components"][0]["bars"][-1] == {
        "day": "2025-03-25",
        "uptime": 1.0,
    }


def test_a_quiet_shop_is_operational(session) -> None:
    service(session, "checkout", 1.0)
    session.commit()
    page = status_page(session, now=NOW)
    assert page.status is ComponentStatus.operational
    [component] = page.components
    assert (component.status, component.uptime, len(component.bars)) == (
        ComponentStatus.operational,
        None,
        90,
    )
    assert page.incidents == [] and page.recent == []


def test_no_public_service_no_components(session) -> None:
    service(session, "batch", 0.0, public=False)
    session.commit()
    page = status_page(session, now=NOW)
    assert (page.status, page.components, page.incidents) == (
        ComponentStatus.operational,
        [],
        [],
    )
