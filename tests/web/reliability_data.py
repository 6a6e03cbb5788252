"""A small, real reliability state for the web tests, written through the domain's own actions
and result writer (no hand-made rows), at fixed times.

At NOW (2025-03-10 12:00 UTC):
- services: checkout (impact 1.0, public), search (0.3, public), back-office (0.0, private).
- monitors (origin api unless said): checkout-page (http, checkout; declared in storeops.toml:
  origin config), checkout-api (json, checkout), search-api (http, search, 4 of its 6 checks
  failed), shop-cert (tls, checkout; 42.5 certificate days left), admin-page (http,
  back-office).
- results: one check a minute over the last CHECKS minutes for each monitor, durations
  DURATIONS_MS (cycled), so the day rollups hold them all.
- an SLO "checkout-availability" (99.9 %, 30 days) on checkout.
- incident 1 on search, opened 90 minutes before NOW at 2.00/min: acknowledged, a staff note
  (INTERNAL_NOTE) and a public update (PUBLIC_UPDATE, "identified"); still open.
- incident 2 on checkout, opened and resolved on 2025-03-01 (30 minutes at 10.00/min: 300.00),
  with a public "resolved" update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeops.cli.workspace import prepare_stores
from storeops.core.settings import DatabaseSettings, Settings
from storeops.db.engine import engine_for, session_factory
from storeops.itsm import actions as itsm
from storeops.itsm.models import Origin, PublicStatus, Service
from storeops.itsm.schemas import ServiceSpec, StatusUpdate
from storeops.monitoring.actions import create_monitor, create_slo
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import PendingResult, ResultWriter
from storeops.monitoring.spec import MonitorSpec, SloSpec
from storeops.web.app import create_app
from tests.web.conftest import SignedIn, add_users, csrf_in, email_of, sign_in

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CHECKS = 6
DURATIONS_MS = (40.0, 60.0, 90.0, 120.0, 180.0, 400.0)
SEARCH_FAILURES = 4  # of search-api's CHECKS checks, the last ones
CERT_DAYS = 42.5
INTERNAL_NOTE = "INTERNAL: the search cluster's disk is full, ssh to es-3"
PUBLIC_UPDATE = "Search is slow; we found the cause and are fixing it."
RESOLVED_UPDATE = "Payments work again."
ACTOR = "web:it@shop.example"


@dataclass
class Ids:
    services: dict[str, int]
    monitors: dict[str, int]
    slo: int
    open_incident: int
    resolved_incident: int


def _service(session: Session, name: str, impact: float, public: bool = True) -> Service:
    spec = ServiceSpec(name=name, impact=impact, public=public)
    return itsm.upsert_service(session, spec, origin=Origin.api, actor=ACTOR)


def _monitor(session: Session, service: Service, origin: str = "api", **fields: object) -> int:
    spec = MonitorSpec.model_validate({"service": service.name, **fields})
    return create_monitor(session, spec, service_id=service.id, origin=origin, actor=ACTOR).id


def seed(session: Session) -> Ids:
    checkout = _service(session, "checkout", 1.0)
    search = _service(session, "search", 0.3)
    back = _service(session, "back-office", 0.0, public=False)
    monitors = {
        "checkout-page": _monitor(
            session, checkout, origin="config", name="checkout-page", kind="http",
            url="https://shop.example/checkout",
        ),
        "checkout-api": _monitor(
            session, checkout, name="checkout-api", kind="json",
            url="https://user:hunter2@api.shop.example/cart", conditions=["[STATUS] == 200"],
        ),
        "search-api": _monitor(
            session, search, name="search-api", kind="http", url="https://shop.example/search"
        ),
        "shop-cert": _monitor(
            session, checkout, name="shop-cert", kind="tls", url="https://shop.example"
        ),
        "admin-page": _monitor(
            session, back, name="admin-page", kind="http", url="https://admin.shop.example"
        ),
    }  # fmt: skip
    batch = []
    for name, monitor_id in monitors.items():
        for n in range(CHECKS):
            failed = name == "search-api" and n >= CHECKS - SEARCH_FAILURES
            details: dict[str, object] = {
                "conditions": [
                    {"condition": "[STATUS] == 200", "ok": not failed, "actual": "503" if failed else "200"}
                ]
            }  # fmt: skip
            if name == "shop-cert":
                details["certificate_days_left"] = CERT_DAYS
            result = ProbeResult(
                ok=not failed,
                duration_ms=DURATIONS_MS[n % len(DURATIONS_MS)],
                status_code=503 if failed else 200,
                error="[STATUS] (503) == 200" if failed else None,
                details=details,
            )
            at = NOW - timedelta(minutes=CHECKS - n)
            batch.append(PendingResult(monitor_id, at, result, False))
    ResultWriter().write(session, batch, NOW)
    slo = create_slo(
        session,
        SloSpec(name="checkout-availability", service="checkout", objective=0.999),
        service_id=checkout.id,
        origin="api",
        actor=ACTOR,
    )

    opened = NOW - timedelta(minutes=90)
    slow = itsm.open_incident(
        session, service=search, title="Search is failing", source="monitor", severity="sev3",
        now=opened, revenue_per_minute=Decimal("2.00"), actor="storeops",
    )  # fmt: skip
    itsm.acknowledge(session, slow, now=opened + timedelta(minutes=5), actor=ACTOR)
    itsm.add_note(session, slow, INTERNAL_NOTE, now=opened + timedelta(minutes=6), actor=ACTOR)
    update = StatusUpdate(status=PublicStatus.identified, text=PUBLIC_UPDATE)
    itsm.post_status_update(session, slow, update, now=opened + timedelta(minutes=7), actor=ACTOR)

    then = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    down = itsm.open_incident(
        session, service=checkout, title="Payments refused", source="manual", severity="sev1",
        now=then, revenue_per_minute=Decimal("10.00"), actor=ACTOR,
    )  # fmt: skip
    done = StatusUpdate(status=PublicStatus.resolved, text=RESOLVED_UPDATE)
    itsm.post_status_update(session, down, done, now=then + timedelta(minutes=30), actor=ACTOR)
    session.flush()
    return Ids(
        services={s.name: s.id for s in (checkout, search, back)},
        monitors=monitors,
        slo=slo.id,
        open_incident=slow.id,
        resolved_incident=down.id,
    )


def seed_workspace(settings: Settings) -> Ids:
    engine = engine_for(settings)
    try:
        with session_factory(engine).begin() as session:
            return seed(session)
    finally:
        engine.dispose()


@dataclass
class Seeded:
    """The web app over a seeded state DB, its clock stopped at NOW."""

    app: FastAPI
    ids: Ids
    tokens: dict[str, str]  # role -> API token
    settings: Settings

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def seeded(workspace: Settings, database_url: str) -> Iterator[Seeded]:
    """The reliability state above on SQLite and on PostgreSQL, with one user per role."""
    settings = workspace.model_copy(update={"database": DatabaseSettings(url=database_url)})
    prepare_stores(settings)
    tokens = add_users(settings)
    ids = seed_workspace(settings)
    app = create_app(settings)
    app.state.clock = lambda: NOW
    yield Seeded(app, ids, tokens, settings)


@pytest.fixture
def signed_in(seeded: Seeded) -> Iterator[Callable[[str | None], SignedIn]]:
    """A client of the seeded app signed in as a role (None: anonymous), with its CSRF token."""
    opened: list[TestClient] = []

    def make(role: str | None) -> SignedIn:
        client = TestClient(seeded.app, follow_redirects=False)
        opened.append(client)
        if role is None:
            return SignedIn(client, "")
        sign_in(client, email_of(role))
        return SignedIn(client, csrf_in(client.get("/monitors").text))

    yield make
    for client in opened:
        client.close()
