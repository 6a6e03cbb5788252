"""SLOs: each objective's SLI, error budget left and burn rates over the alert windows, the
alerts firing and the latest ones; adding and deleting SLOs made here or through the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db.users import User
from storeops.itsm.models import Service
from storeops.itsm.queries import services
from storeops.monitoring.actions import create_slo, delete_slo
from storeops.monitoring.burn import POLICY, WINDOWS
from storeops.monitoring.models import Slo, SloAlert
from storeops.monitoring.slo import slo_status
from storeops.monitoring.spec import SloSpec
from storeops.web.deps import DbSession, require
from storeops.web.permissions import can
from storeops.web.reliability import IdPath, actor_of, current_time, get_or_404
from storeops.web.rendering import render

router = APIRouter()
Reader = Annotated[User, Depends(require("reliability"))]
Writer = Annotated[User, Depends(require("reliability", write=True))]
RECENT_ALERTS = 20


def _page(
    request: Request,
    db: Session,
    user: User,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    names = dict(db.execute(select(Service.id, Service.title)).all())
    slos = list(db.scalars(select(Slo).order_by(Slo.name)))
    by_id = {slo.id: slo for slo in slos}
    firing: dict[int, list[SloAlert]] = {}
    for alert in db.scalars(select(SloAlert).where(SloAlert.resolved_at.is_(None))):
        firing.setdefault(alert.slo_id, []).append(alert)
    recent = db.scalars(
        select(SloAlert)
        .order_by(SloAlert.opened_at.desc(), SloAlert.id.desc())
        .limit(RECENT_ALERTS)
    )
    context: dict[str, Any] = {
        "rows": [
            {
                "slo": slo,
                "service": names.get(slo.service_id, ""),
                "status": slo_status(db, slo, now),
                "firing": firing.get(slo.id, []),
            }
            for slo in slos
        ],
        "alerts": [(alert, by_id.get(alert.slo_id)) for alert in recent],
        "windows": list(WINDOWS),
        "policy": POLICY,
        "services": services(db),
        "can_write": can(user.role, "reliability", write=True),
        "form": form or {},
        "error": error,
    }
    return render(request, "slos.html", context, status_code=status_code)


@router.get("/slos")
def slos_page(request: Request, user: Reader, db: DbSession) -> Response:
    return _page(request, db, user)


@router.post("/slos")
def add_slo(
    request: Request,
    user: Writer,
    db: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    service: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=20)] = "availability",
    objective: Annotated[str, Form(max_length=20)] = "",
    window_days: Annotated[str, Form(max_length=5)] = "30",
    latency_threshold_ms: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Objective typed as a percentage (99.9)."""
    form = {"name": name, "service": service, "kind": kind, "objective": objective}
    form |= {"window_days": window_days, "latency_threshold_ms": latency_threshold_ms}
    try:
        share = float(objective.strip().rstrip("%")) / 100
    except ValueError:
        share = -1.0
    found = db.scalars(select(Service).where(Service.name == service)).one_or_none()
    problem = None
    if not 0 < share < 1:
        problem = f"objective: {objective!r} is not a percentage between 0 and 100 (e.g. 99.9)"
    elif found is None:
        problem = f"service: no service named {service!r}"
    if problem is None:
        assert found is not None
        try:
            spec = SloSpec.model_validate(
                {
                    "name": name.strip(),
                    "service": service,
                    "kind": kind,
                    "objective": share,
                    "window_days": window_days or 30,
                    "latency_threshold_ms": latency_threshold_ms.strip() or None,
                }
            )
            create_slo(db, spec, service_id=found.id, origin="api", actor=actor_of(user, "web"))
        except ValidationError as exc:
            problem = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'SLO'}: "
                + e["msg"].removeprefix("Value error, ")
                for e in exc.errors()
            )
        except UserError as exc:
            db.rollback()
            problem = str(exc)
    if problem is not None:
        return _page(request, db, user, form=form, error=problem, status_code=422)
    db.commit()
    return RedirectResponse("/slos", status_code=303)


@router.post("/slos/{slo_id}/delete")
def remove_slo(request: Request, slo_id: IdPath, user: Writer, db: DbSession) -> Response:
    slo = get_or_404(db, Slo, slo_id, "SLO")
    if slo.origin == "config":
        message = f"SLO '{slo.name}' is declared in storeops.toml: remove it there"
        return _page(request, db, user, error=message, status_code=409)
    delete_slo(db, slo, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse("/slos", status_code=303)
