"""SLOs from the state DB: the SLI, the error budget left and the burn rates, and the burn-rate
alerts they open and resolve (the policy is in monitoring/burn.py).

An SLO covers every monitor of its service. Its events are the checks outside maintenance
windows: availability counts the checks that succeeded as good; latency counts the checks that
succeeded within `latency_threshold_ms` (a failed check is bad for latency too).

Windows up to six hours are read exactly from the raw results. Longer ones (3 days, the SLO's
28 or 30 days) come from the rollups through `queries.total_stats`, which reads day, hour and
minute rollups and raw results only at the window's edges. A rollup keeps durations as a
histogram of fixed buckets (monitoring/latency.py), failures included, so for latency two
approximations apply there, both counting more bad checks rather than fewer:
- a threshold between two bucket bounds counts the bucket holding it as too slow
  (e.g. 800 ms: checks of 751-1000 ms are bad);
- a failed check's bucket is unknown, so failures are taken off the fast checks: a failure that
  was slow (a timeout) counts twice, unless that would make fewer than no good checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from storeops.monitoring import burn, latency
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import CheckResult, Monitor, Slo, SloAlert
from storeops.monitoring.queries import WindowStats, total_stats

RAW_WINDOWS = {name: span for name, span in burn.WINDOWS.items() if span <= timedelta(hours=6)}


@dataclass(frozen=True)
class Counts:
    good: int
    total: int


@dataclass(frozen=True)
class SloStatus:
    slo_id: int
    name: str
    service_id: int
    kind: str
    sli: float | None  # good / total over the SLO window; None: no check yet
    objective: float
    window_days: int
    budget_remaining: float | None  # 1 untouched, 0 spent, < 0 overspent; None: no check
    burn: dict[str, float | None]  # window name (burn.WINDOWS) -> burn rate; None: no check
    good: int
    total: int

    def public(self) -> dict[str, object]:
        return {
            "slo_id": self.slo_id,
            "name": self.name,
            "service_id": self.service_id,
            "kind": self.kind,
            "sli": self.sli,
            "objective": self.objective,
            "window_days": self.window_days,
            "budget_remaining": self.budget_remaining,
            "burn": dict(self.burn),
            "good": self.good,
            "total": self.total,
        }


@dataclass(frozen=True)
class SloAlertChange:
    change: str  # opened | resolved
    alert: SloAlert
    slo: Slo
    status: SloStatus


def slo_status(session: Session, slo: Slo, now: datetime) -> SloStatus:
    monitor_ids = list(
        session.scalars(select(Monitor.id).where(Monitor.service_id == slo.service_id))
    )
    counts = _raw_counts(session, slo, monitor_ids, now)
    counts["3d"] = _rollup_counts(session, slo, monitor_ids, now - burn.WINDOWS["3d"], now)
    whole = _rollup_counts(session, slo, monitor_ids, now - timedelta(days=slo.window_days), now)
    return SloStatus(
        slo_id=slo.id,
        name=slo.name,
        service_id=slo.service_id,
        kind=slo.kind,
        sli=None if whole.total == 0 else whole.good / whole.total,
        objective=slo.objective,
        window_days=slo.window_days,
        budget_remaining=burn.budget_remaining(whole.good, whole.total, slo.objective),
        burn={
            name: burn.burn_rate(c.good, c.total, slo.objective)
            for name, c in sorted(counts.items(), key=lambda item: burn.WINDOWS[item[0]])
        },
        good=whole.good,
        total=whole.total,
    )


def evaluate_slo_alerts(
    session: Session, now: datetime, calendar: MaintenanceCalendar
) -> list[SloAlertChange]:
    """Opens a page or ticket alert where the policy fires and resolves open ones where it no
    longer does; calling it again changes nothing. No alert opens while the SLO's service is in
    maintenance, and a ticket does not open beside a page of the same SLO (the page says more).
    The caller commits, and turns the changes into incidents and notifications."""
    open_alerts: dict[tuple[int, str], SloAlert] = {
        (alert.slo_id, alert.severity): alert
        for alert in session.scalars(select(SloAlert).where(SloAlert.resolved_at.is_(None)))
    }
    changes = []
    for slo in session.scalars(select(Slo).order_by(Slo.id)):
        status = slo_status(session, slo, now)
        fired = burn.firing(status.burn)
        page = burn.strongest(fired, "page")
        firing = {"page": page, "ticket": burn.strongest(fired, "ticket")}
        paging = page is not None  # an open page that stopped firing resolves just below
        quiet = calendar.covers(slo.service_id, now)
        for severity in ("page", "ticket"):
            alert = open_alerts.get((slo.id, severity))
            rule = firing[severity]
            if alert is not None and rule is None:
                alert.resolved_at = now
                changes.append(SloAlertChange("resolved", alert, slo, status))
            elif alert is None and rule is not None and not quiet:
                if severity == "ticket" and paging:
                    continue
                alert = SloAlert(
                    slo_id=slo.id,
                    severity=severity,
                    opened_at=now,
                    burn_long=rule.burn_long,
                    burn_short=rule.burn_short,
                )
                session.add(alert)
                changes.append(SloAlertChange("opened", alert, slo, status))
    session.flush()
    return changes


def _good_raw(slo: Slo) -> ColumnElement[bool]:
    if slo.kind == "latency":
        assert slo.latency_threshold_ms is not None
        return and_(CheckResult.ok, CheckResult.duration_ms <= slo.latency_threshold_ms)
    return CheckResult.ok.is_(True)


def _raw_counts(
    session: Session, slo: Slo, monitor_ids: list[int], now: datetime
) -> dict[str, Counts]:
    """Every short window in one pass over the last six hours of raw results."""
    if not monitor_ids:
        return {name: Counts(0, 0) for name in RAW_WINDOWS}
    good = _good_raw(slo)
    columns = []
    for span in RAW_WINDOWS.values():
        inside = CheckResult.at >= now - span
        columns.append(func.sum(case((inside, 1), else_=0)))
        columns.append(func.sum(case((and_(inside, good), 1), else_=0)))
    row = session.execute(
        select(*columns).where(
            CheckResult.monitor_id.in_(monitor_ids),
            CheckResult.at >= now - max(RAW_WINDOWS.values()),
            CheckResult.at < now,
            ~CheckResult.in_maintenance,
        )
    ).one()
    return {
        name: Counts(good=int(row[2 * i + 1] or 0), total=int(row[2 * i] or 0))
        for i, name in enumerate(RAW_WINDOWS)
    }


def _rollup_counts(
    session: Session, slo: Slo, monitor_ids: list[int], start: datetime, end: datetime
) -> Counts:
    if not monitor_ids:
        return Counts(0, 0)
    stats = total_stats(session, monitor_ids, start, end, with_latency=slo.kind == "latency")
    if slo.kind != "latency":
        return Counts(good=stats.checks - stats.failures, total=stats.checks)
    assert slo.latency_threshold_ms is not None
    return Counts(good=_fast_successes(stats, slo.latency_threshold_ms), total=stats.checks)


def _fast_successes(stats: WindowStats, threshold_ms: float) -> int:
    """Checks in buckets wholly within the threshold, less the failures (see the module's
    docstring: both err towards bad)."""
    fast = sum(
        count
        for bound, count in zip(latency.BOUNDS_MS, stats.histogram, strict=False)
        if bound <= threshold_ms
    )
    return max(0, fast - stats.failures)
