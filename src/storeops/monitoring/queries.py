"""Reading monitors, their state and results: the monitors page, uptime and latency over any window.

A window [start, end) is cut into whole UTC days (day rollups), whole hours and whole minutes at
its edges (hour and minute rollups) and the seconds left at its very edges (raw results), so a
30-day window reads a few hundred rows per monitor and a 5-minute one is exact. Uptime is the
share of checks outside maintenance that succeeded; latency percentiles come from the summed
bucket histograms of those checks (monitoring/latency.py). Where a source has been pruned
(raw results after `raw_retention_days`, minute rollups after two weeks) its part of an old
window's edge is left out: at most an hour at each edge of a window older than two weeks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from storeops.monitoring import latency
from storeops.monitoring.models import CheckResult, Monitor, MonitorState, ResultRollup

# Ids per IN (...) list: well under every engine's limit on bound parameters.
CHUNK = 900
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


# -- windows ------------------------------------------------------------------------------------


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


_LEVELS: tuple[tuple[str, Callable[[datetime], datetime], timedelta], ...] = (
    ("day", floor_day, DAY),
    ("hour", floor_hour, HOUR),
    ("minute", floor_minute, MINUTE),
)


def window_pieces(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """[start, end) as (resolution, from, to) pieces: whole days, then hours and minutes at the
    edges, then "raw" for what is left of a minute at each end."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    pieces: list[tuple[str, datetime, datetime]] = []

    def split(lo: datetime, hi: datetime, level: int) -> None:
        if lo >= hi:
            return
        if level == len(_LEVELS):
            pieces.append(("raw", lo, hi))
            return
        resolution, floor, step = _LEVELS[level]
        first = lo if floor(lo) == lo else floor(lo) + step
        last = floor(hi)
        if first < last:
            pieces.append((resolution, first, last))
            split(lo, first, level + 1)
            split(last, hi, level + 1)
        else:
            split(lo, hi, level + 1)

    split(start, end, 0)
    return pieces


# -- window statistics --------------------------------------------------------------------------


@dataclass
class WindowStats:
    """Checks of one monitor (or several, added up) in a window."""

    checks: int = 0  # outside maintenance
    failures: int = 0  # outside maintenance
    maintenance: int = 0  # checks inside a maintenance window, apart
    histogram: list[int] = field(default_factory=latency.empty_histogram)
    max_ms: float = 0.0

    @property
    def uptime(self) -> float | None:
        return None if self.checks == 0 else (self.checks - self.failures) / self.checks

    def percentile(self, q: float) -> float | None:
        return latency.percentile(self.histogram, q, max_ms=self.max_ms)

    def add(self, other: WindowStats) -> WindowStats:
        self.checks += other.checks
        self.failures += other.failures
        self.maintenance += other.maintenance
        latency.add_into(self.histogram, other.histogram)
        self.max_ms = max(self.max_ms, other.max_ms)
        return self


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index : index + CHUNK]


def _rollup_filter(pieces: Sequence[tuple[str, datetime, datetime]]) -> ColumnElement[bool]:
    parts = [
        and_(ResultRollup.resolution == res, ResultRollup.start >= lo, ResultRollup.start < hi)
        for res, lo, hi in pieces
        if res != "raw"
    ]
    return or_(*parts) if parts else false()


def _raw_filter(pieces: Sequence[tuple[str, datetime, datetime]]) -> ColumnElement[bool]:
    parts = [
        and_(CheckResult.at >= lo, CheckResult.at < hi) for res, lo, hi in pieces if res == "raw"
    ]
    return or_(*parts) if parts else false()


def window_stats(
    session: Session,
    monitor_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    with_latency: bool = False,
) -> dict[int, WindowStats]:
    """Per monitor (absent: no check in the window). Counts are summed by the database; the
    histograms, read only `with_latency`, are added up here."""
    pieces = window_pieces(start, end)
    stats: dict[int, WindowStats] = {}

    def of(monitor_id: int) -> WindowStats:
        return stats.setdefault(monitor_id, WindowStats())

    outside = case((CheckResult.in_maintenance, 0), else_=1)
    failed = case((and_(~CheckResult.ok, ~CheckResult.in_maintenance), 1), else_=0)
    for ids in chunks(monitor_ids):
        rollups = select(
            ResultRollup.monitor_id,
            func.sum(ResultRollup.checks),
            func.sum(ResultRollup.failures),
            func.sum(ResultRollup.maintenance),
        ).where(ResultRollup.monitor_id.in_(ids), _rollup_filter(pieces))
        raw = select(
            CheckResult.monitor_id,
            func.sum(outside),
            func.sum(failed),
            func.count() - func.sum(outside),
        ).where(CheckResult.monitor_id.in_(ids), _raw_filter(pieces))
        for query in (rollups, raw):
            for monitor_id, checks, failures, maintenance in session.execute(
                query.group_by(query.selected_columns[0])
            ):
                one = of(monitor_id)
                one.checks += int(checks or 0)
                one.failures += int(failures or 0)
                one.maintenance += int(maintenance or 0)
        if not with_latency:
            continue
        for monitor_id, histogram, max_ms in session.execute(
            select(
                ResultRollup.monitor_id, ResultRollup.histogram, ResultRollup.duration_max_ms
            ).where(
                ResultRollup.monitor_id.in_(ids),
                ResultRollup.checks > 0,
                _rollup_filter(pieces),
            )
        ):
            one = of(monitor_id)
            latency.add_into(one.histogram, histogram)
            one.max_ms = max(one.max_ms, max_ms)
        for monitor_id, duration in session.execute(
            select(CheckResult.monitor_id, CheckResult.duration_ms).where(
                CheckResult.monitor_id.in_(ids), ~CheckResult.in_maintenance, _raw_filter(pieces)
            )
        ):
            one = of(monitor_id)
            one.histogram[latency.bucket_of(duration)] += 1
            one.max_ms = max(one.max_ms, duration)
    return stats


def total_stats(
    session: Session, monitor_ids: Iterable[int], start: datetime, end: datetime, **kwargs: Any
) -> WindowStats:
    """The checks of several monitors (a service) added up."""
    total = WindowStats()
    for one in window_stats(session, monitor_ids, start, end, **kwargs).values():
        total.add(one)
    return total


def uptime(
    session: Session, monitor_ids: Iterable[int], start: datetime, end: datetime
) -> float | None:
    """The share of the monitors' checks that succeeded (maintenance left out); None: no check."""
    return total_stats(session, monitor_ids, start, end).uptime


def uptime_by_monitor(
    session: Session, monitor_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, float | None]:
    ids = list(monitor_ids)
    stats = window_stats(session, ids, start, end)
    return {
        monitor_id: stats[monitor_id].uptime if monitor_id in stats else None for monitor_id in ids
    }


def latency_percentiles(
    session: Session,
    monitor_ids: Iterable[int],
    start: datetime,
    end: datetime,
    percentiles: Sequence[float] = (50, 95, 99),
) -> dict[float, float | None]:
    """Latency percentiles (ms) of the monitors' checks together, e.g. {50: 81.0, 95: ...}."""
    total = total_stats(session, monitor_ids, start, end, with_latency=True)
    return {q: total.percentile(q) for q in percentiles}


# -- the monitors page --------------------------------------------------------------------------

STATUSES = ("up", "down", "degraded", "pending", "paused")

# paused: disabled; pending: never checked; down: failed its failure threshold in a row and not
# recovered yet; degraded: the last check failed, below the threshold.
STATUS = case(
    (~Monitor.enabled, "paused"),
    (MonitorState.last_checked_at.is_(None), "pending"),
    (MonitorState.consecutive_failures >= Monitor.failure_threshold, "down"),
    (~MonitorState.last_ok, "degraded"),
    else_="up",
)


@dataclass
class MonitorRow:
    id: int
    name: str
    kind: str
    service_id: int
    origin: str
    enabled: bool
    interval_seconds: float
    status: str
    last_ok: bool | None
    last_checked_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    consecutive_successes: int
    incident_id: int | None
    uptime_24h: float | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "service_id": self.service_id,
            "origin": self.origin,
            "enabled": self.enabled,
            "interval_seconds": self.interval_seconds,
            "status": self.status,
            "last_ok": self.last_ok,
            "last_checked_at": self.last_checked_at,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "consecutive_successes": self.consecutive_successes,
            "incident_id": self.incident_id,
            "uptime_24h": self.uptime_24h,
        }


@dataclass
class MonitorPage:
    total: int  # monitors matching the filters, on every page
    rows: list[MonitorRow]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def monitor_rows(
    session: Session,
    *,
    limit: int | None = 50,
    offset: int = 0,
    search: str | None = None,
    service_id: int | None = None,
    service_ids: Iterable[int] | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> MonitorPage:
    """One page of monitors by name with their state and 24-hour uptime, in three queries
    (count, page, uptime of the page), whatever the number of monitors."""
    filters: list[ColumnElement[bool]] = []
    if search:
        filters.append(Monitor.name.ilike(_like(search.strip().lower()), escape="\\"))
    if service_id is not None:
        filters.append(Monitor.service_id == service_id)
    if service_ids is not None:
        filters.append(Monitor.service_id.in_(list(service_ids)))
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        filters.append(STATUS == status)
    total = session.scalar(
        select(func.count())
        .select_from(Monitor)
        .outerjoin(MonitorState, MonitorState.monitor_id == Monitor.id)
        .where(*filters)
    )
    query = (
        select(
            Monitor.id,
            Monitor.name,
            Monitor.kind,
            Monitor.service_id,
            Monitor.origin,
            Monitor.enabled,
            Monitor.interval_seconds,
            STATUS.label("status"),
            MonitorState.last_ok,
            MonitorState.last_checked_at,
            MonitorState.last_error,
            MonitorState.consecutive_failures,
            MonitorState.consecutive_successes,
            MonitorState.incident_id,
        )
        .outerjoin(MonitorState, MonitorState.monitor_id == Monitor.id)
        .where(*filters)
        .order_by(Monitor.name)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    found = session.execute(query).all()
    now = now or datetime.now(UTC)
    uptimes = uptime_by_monitor(session, [row.id for row in found], now - DAY, now)
    rows = [
        MonitorRow(
            id=row.id,
            name=row.name,
            kind=row.kind,
            service_id=row.service_id,
            origin=row.origin,
            enabled=row.enabled,
            interval_seconds=row.interval_seconds,
            status=row.status,
            last_ok=row.last_ok,
            last_checked_at=row.last_checked_at,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures or 0,
            consecutive_successes=row.consecutive_successes or 0,
            incident_id=row.incident_id,
            uptime_24h=uptimes[row.id],
        )
        for row in found
    ]
    return MonitorPage(total=int(total or 0), rows=rows)


def monitor_by_name(session: Session, name: str) -> Monitor | None:
    return session.scalars(select(Monitor).where(Monitor.name == name)).one_or_none()


def monitor_state(session: Session, monitor_id: int) -> MonitorState | None:
    return session.get(MonitorState, monitor_id)


def recent_results(
    session: Session, monitor_id: int, *, limit: int = 50, before: datetime | None = None
) -> list[CheckResult]:
    """The monitor's latest raw results, newest first (`before`: the page after a result's time)."""
    query = select(CheckResult).where(CheckResult.monitor_id == monitor_id)
    if before is not None:
        query = query.where(CheckResult.at < before)
    return list(session.scalars(query.order_by(CheckResult.at.desc()).limit(limit)))


def daily_uptime(
    session: Session,
    monitor_ids: Iterable[int],
    *,
    now: datetime,
    days: int = 90,
    timezone: str = "UTC",
) -> list[tuple[date, float | None]]:
    """Uptime per day over the last `days` days, today included, oldest first (the status
    page's bars); None for a day without checks. Days are UTC days from the day rollups, or the
    given time zone's days from the hour rollups (half-hour zones rounded to the hour)."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    per_day: dict[date, list[int]] = {}
    ids = list(monitor_ids)
    resolution = "day" if timezone == "UTC" else "hour"
    since = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    for chunk in chunks(ids):
        for start, checks, failures in session.execute(
            select(
                ResultRollup.start, func.sum(ResultRollup.checks), func.sum(ResultRollup.failures)
            )
            .where(
                ResultRollup.monitor_id.in_(chunk),
                ResultRollup.resolution == resolution,
                ResultRollup.start >= floor_hour(since),
            )
            .group_by(ResultRollup.start)
        ):
            day = start.astimezone(zone).date()
            counts = per_day.setdefault(day, [0, 0])
            counts[0] += int(checks or 0)
            counts[1] += int(failures or 0)
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        checks, failures = per_day.get(day, (0, 0))
        result.append((day, (checks - failures) / checks if checks else None))
    return result
