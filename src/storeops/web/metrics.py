"""GET /metrics: the reliability state in Prometheus' text format, for a Prometheus server to scrape.

Prometheus scrapes with an API token of a role that may read reliability
(`authorization: {credentials: TOKEN}` in the scrape config); a signed-in browser session of such
a role may look too. Anyone else gets 401 (no token), or 403 (a role that may not read it).

    storeops_monitor_up{monitor,service,kind}              1 when the last check passed, else 0
    storeops_monitor_response_time_seconds{monitor,service} histogram of every check (day rollups)
    storeops_certificate_days_left{monitor,service}        from the last TLS check's certificate
    storeops_slo_error_budget_remaining{slo,service}       share of the budget left (1 untouched)
    storeops_slo_burn_rate{slo,service,window}             error ratio / allowed ratio
    storeops_incidents_open{service,severity}              incidents not resolved
    storeops_revenue_at_risk{service,currency}             live amount of the open incidents

The histogram's counters add the day rollups of each monitor, so they only grow (until the day
rollups are pruned, which Prometheus sees as a counter reset); the bounds are
monitoring/latency.py's, so they match the percentiles the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeops.db.users import User, user_for_token
from storeops.itsm.models import Incident, IncidentStatus, Service
from storeops.monitoring.latency import BOUNDS_MS, BUCKETS, add_into, empty_histogram
from storeops.monitoring.models import CheckResult, Monitor, MonitorState, ResultRollup, Slo
from storeops.monitoring.slo import slo_status
from storeops.web.deps import DbSession, Login, SettingsDep, bearer
from storeops.web.permissions import can
from storeops.web.reliability import Now
from storeops.workflows.revenue_at_risk import live_amount

router = APIRouter(include_in_schema=False)
AREA = "reliability"


def scraper(
    db: DbSession,
    login: Login,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The token's user (else the session's) when their role may read reliability."""
    if credentials is not None:
        user = user_for_token(db, credentials.credentials)
        if user is None:
            raise HTTPException(401, "the API token is unknown or revoked", _challenge())
        db.commit()  # its last use
    elif login is not None:
        user = login.user
    else:
        raise HTTPException(401, "send Authorization: Bearer TOKEN", _challenge())
    if not can(user.role, AREA):
        raise HTTPException(403, f"the {user.role} role may not see {AREA}")
    return user


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer"}


class ReliabilityCollector(Collector):
    """Reads the state DB once per scrape (prometheus_client calls `collect` per exposition)."""

    def __init__(self, session: Session, *, currency: str, now: datetime) -> None:
        self.session = session
        self.currency = currency
        self.now = now

    def collect(self) -> Iterator[Metric]:
        services = dict(self.session.execute(select(Service.id, Service.name)).all())
        monitors = self.session.scalars(select(Monitor).order_by(Monitor.name)).all()
        yield self._up(monitors, services)
        yield self._response_time(monitors, services)
        yield self._certificates(monitors, services)
        yield from self._slos(services)
        yield self._incidents(services)
        yield self._revenue(services)

    def _up(self, monitors: list[Monitor], services: dict[int, str]) -> Metric:
        family = GaugeMetricFamily(
            "storeops_monitor_up",
            "1 when the monitor's last check passed, 0 when it failed (unchecked: absent).",
            labels=["monitor", "service", "kind"],
        )
        last_ok = dict(
            self.session.execute(select(MonitorState.monitor_id, MonitorState.last_ok)).all()
        )
        for monitor in monitors:
            ok = last_ok.get(monitor.id)
            if monitor.enabled and ok is not None:
                family.add_metric(
                    [monitor.name, services.get(monitor.service_id, ""), monitor.kind],
                    1.0 if ok else 0.0,
                )
        return family

    def _response_time(self, monitors: list[Monitor], services: dict[int, str]) -> Metric:
        family = HistogramMetricFamily(
            "storeops_monitor_response_time_seconds",
            "How long the monitor's checks took, every check counted once.",
            labels=["monitor", "service"],
        )
        totals: dict[int, tuple[list[int], float]] = {}
        rows = self.session.execute(
            select(ResultRollup.monitor_id, ResultRollup.histogram, ResultRollup.duration_sum_ms)
            .where(ResultRollup.resolution == "day")
            .order_by(ResultRollup.monitor_id)
        )
        for monitor_id, histogram, duration_sum in rows:
            counts, seconds = totals.get(monitor_id, (empty_histogram(), 0.0))
            totals[monitor_id] = (add_into(counts, histogram), seconds + duration_sum / 1000)
        for monitor in monitors:
            if monitor.id not in totals:
                continue
            counts, seconds = totals[monitor.id]
            cumulative, buckets = 0, []
            for index in range(BUCKETS):
                cumulative += counts[index]
                bound = f"{BOUNDS_MS[index] / 1000:g}" if index < len(BOUNDS_MS) else "+Inf"
                buckets.append((bound, float(cumulative)))
            family.add_metric(
                [monitor.name, services.get(monitor.service_id, "")], buckets, seconds
            )
        return family

    def _certificates(self, monitors: list[Monitor], services: dict[int, str]) -> Metric:
        family = GaugeMetricFamily(
            "storeops_certificate_days_left",
            "Days until the certificate seen by the monitor's last TLS check expires.",
            labels=["monitor", "service"],
        )
        latest = (
            select(CheckResult.monitor_id, func.max(CheckResult.at).label("at"))
            .join(Monitor, Monitor.id == CheckResult.monitor_id)
            .where(Monitor.kind == "tls")
            .group_by(CheckResult.monitor_id)
            .subquery()
        )
        details = dict(
            self.session.execute(
                select(CheckResult.monitor_id, CheckResult.details).join(
                    latest,
                    (CheckResult.monitor_id == latest.c.monitor_id)
                    & (CheckResult.at == latest.c.at),
                )
            ).all()
        )
        for monitor in monitors:
            days = (details.get(monitor.id) or {}).get("certificate_days_left")
            if isinstance(days, int | float):
                family.add_metric([monitor.name, services.get(monitor.service_id, "")], days)
        return family

    def _slos(self, services: dict[int, str]) -> Iterator[Metric]:
        budget = GaugeMetricFamily(
            "storeops_slo_error_budget_remaining",
            "Share of the SLO's error budget left over its window (1 untouched, below 0 overspent).",
            labels=["slo", "service"],
        )
        burn = GaugeMetricFamily(
            "storeops_slo_burn_rate",
            "Error ratio over the window divided by the ratio the objective allows.",
            labels=["slo", "service", "window"],
        )
        for slo in self.session.scalars(select(Slo).order_by(Slo.name)):
            status = slo_status(self.session, slo, self.now)
            service = services.get(slo.service_id, "")
            if status.budget_remaining is not None:
                budget.add_metric([slo.name, service], status.budget_remaining)
            for window, rate in status.burn.items():
                if rate is not None:
                    burn.add_metric([slo.name, service, window], rate)
        yield budget
        yield burn

    def _open_incidents(self) -> list[Incident]:
        return list(
            self.session.scalars(select(Incident).where(Incident.status != IncidentStatus.resolved))
        )

    def _incidents(self, services: dict[int, str]) -> Metric:
        family = GaugeMetricFamily(
            "storeops_incidents_open",
            "Incidents not resolved yet.",
            labels=["service", "severity"],
        )
        counts: dict[tuple[str, str], int] = {}
        for incident in self._open_incidents():
            key = (services.get(incident.service_id, ""), incident.severity)
            counts[key] = counts.get(key, 0) + 1
        for (service, severity), count in sorted(counts.items()):
            family.add_metric([service, severity], count)
        return family

    def _revenue(self, services: dict[int, str]) -> Metric:
        family = GaugeMetricFamily(
            "storeops_revenue_at_risk",
            "Revenue lost so far by the open incidents (expected sales x impact x duration).",
            labels=["service", "currency"],
        )
        amounts: dict[str, float] = {}
        for incident in self._open_incidents():
            service = services.get(incident.service_id, "")
            amount = live_amount(incident, self.now)
            amounts[service] = amounts.get(service, 0.0) + float(amount)
        for service, amount in sorted(amounts.items()):
            family.add_metric([service, self.currency], amount)
        return family


@router.get("/metrics")
def metrics(
    request: Request,
    user: Annotated[User, Depends(scraper)],
    db: DbSession,
    settings: SettingsDep,
    now: Now,
) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReliabilityCollector(db, currency=settings.store.currency, now=now))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
