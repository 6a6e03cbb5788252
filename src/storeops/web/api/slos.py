"""/api/v1/slos: service level objectives with their error budget, burn rates and alerts.

An SLO covers every monitor of its service: availability (checks that passed) or latency
(checks that passed within latency_threshold_ms), over a 28- or 30-day window. Burn rate =
error ratio / (1 - objective) per window (5m, 30m, 1h, 6h, 3d); alerts follow the SRE
workbook's multiwindow policy. SLOs declared in storeops.toml ([[slos]]) are read-only here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.jsonout import jsonable
from storeops.itsm.models import Service
from storeops.monitoring.actions import create_slo, delete_slo, slo_public, update_slo
from storeops.monitoring.models import Slo, SloAlert
from storeops.monitoring.slo import slo_status
from storeops.monitoring.spec import SloSpec
from storeops.web.deps import DbSession
from storeops.web.reliability import (
    IdPath,
    Now,
    Reader,
    Writer,
    actor_of,
    committing,
    delete_editable,
    editable_or_404,
    get_or_404,
    no_nul,
    service_named,
)

router = APIRouter(tags=["slos"])
RECENT_ALERTS = 20


def alert_json(alert: SloAlert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "severity": alert.severity,
        "opened_at": alert.opened_at,
        "resolved_at": alert.resolved_at,
        "burn_long": alert.burn_long,
        "burn_short": alert.burn_short,
        "incident_id": alert.incident_id,
    }


def slo_json(session: Session, slo: Slo, now: datetime, *, alerts: int = 0) -> dict[str, Any]:
    """The SLO, its status now (SLI, budget left, burn rates) and its firing alerts, plus the
    last `alerts` resolved ones."""
    status = slo_status(session, slo, now)
    service = session.get(Service, slo.service_id)
    query = select(SloAlert).where(SloAlert.slo_id == slo.id)
    firing = session.scalars(query.where(SloAlert.resolved_at.is_(None)).order_by(SloAlert.id))
    answer = slo_public(slo) | {
        "service": service.name if service else None,
        "sli": status.sli,
        "budget_remaining": status.budget_remaining,
        "burn": dict(status.burn),
        "good": status.good,
        "total": status.total,
        "alerts": [alert_json(alert) for alert in firing],
    }
    if alerts:
        resolved = session.scalars(
            query.where(SloAlert.resolved_at.is_not(None))
            .order_by(SloAlert.opened_at.desc(), SloAlert.id.desc())
            .limit(alerts)
        )
        answer["resolved_alerts"] = [alert_json(alert) for alert in resolved]
    return answer


@router.get("/slos")
def list_slos(user: Reader, db: DbSession, now: Now) -> list[dict[str, Any]]:
    """Every SLO by name with its SLI, error budget left (1 untouched, below 0 overspent), burn
    rates and firing alerts."""
    slos = db.scalars(select(Slo).order_by(Slo.name))
    return jsonable([slo_json(db, slo, now) for slo in slos])


@router.post("/slos", status_code=201)
def create(spec: SloSpec, user: Writer, db: DbSession, now: Now) -> dict[str, Any]:
    no_nul(spec)
    service = service_named(db, spec.service)
    assert service is not None
    with committing(db):
        slo = create_slo(db, spec, service_id=service.id, origin="api", actor=actor_of(user, "api"))
    return jsonable(slo_json(db, slo, now))


@router.get("/slos/{slo_id}")
def get_slo(slo_id: IdPath, user: Reader, db: DbSession, now: Now) -> dict[str, Any]:
    """The SLO with its status, firing alerts and the last resolved ones."""
    return jsonable(slo_json(db, get_or_404(db, Slo, slo_id, "SLO"), now, alerts=RECENT_ALERTS))


@router.put("/slos/{slo_id}")
def update(slo_id: IdPath, spec: SloSpec, user: Writer, db: DbSession, now: Now) -> dict[str, Any]:
    slo = editable_or_404(db, Slo, slo_id, "SLO")
    no_nul(spec)
    service = service_named(db, spec.service)
    assert service is not None
    with committing(db):
        update_slo(db, slo, spec, service_id=service.id, actor=actor_of(user, "api"))
    return jsonable(slo_json(db, slo, now))


@router.delete("/slos/{slo_id}", status_code=204)
def delete(slo_id: IdPath, user: Writer, db: DbSession) -> Response:
    return delete_editable(db, Slo, slo_id, "SLO", delete_slo, actor=actor_of(user, "api"))
