"""Storing check results: raw rows, each monitor's state, rollups, and the transitions they cause.

The engine adds results as checks finish and flushes them about once a second, in one
transaction: the raw results, the monitors' consecutive counts (MonitorState) and the minute,
hour and day rollups move together, so a process killed at any moment leaves them consistent,
and a restarted engine continues the counts where they stood. A transition fires only when a
count crosses its threshold, never again on a restart.

Counting rules, per monitor and in the order the checks started:
- a failure adds to consecutive_failures and zeroes consecutive_successes; reaching the
  monitor's failure_threshold makes it failing: a "failing" transition.
- a success adds to consecutive_successes. While failing, consecutive_failures keeps the length
  of the failing streak (that is what "failing" is, persisted without another column) until
  success_threshold successes in a row: a "recovered" transition, and it is zeroed. Otherwise
  a success zeroes it.
- a failure inside a maintenance window counts nowhere: it alerts nobody and opens nothing.
  A success inside one still counts, so a monitor can recover during maintenance.

Rollups count checks outside maintenance (`checks`, `failures`, and their latency histogram,
failures included) and apart those inside (`maintenance`), so maintenance burns no error budget.
Only one engine writes a state DB: rollups are read, merged and written back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Delete, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from storeops.monitoring import latency
from storeops.monitoring.models import CheckResult, Monitor, MonitorState, ResultRollup
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.queries import floor_day, floor_hour, floor_minute

# How long each resolution is kept; day rollups are kept for good.
MINUTE_ROLLUP_DAYS = 14
HOUR_ROLLUP_DAYS = 400
RESOLUTIONS = (("minute", floor_minute), ("hour", floor_hour), ("day", floor_day))
MAX_ERROR_CHARS = 1000
# Results kept while the database cannot take them: ten minutes of 10,000 monitors at 60 s.
MAX_PENDING = 100_000
# Rows are inserted through the tables (Core), several times cheaper per row than the ORM.
CHECK_RESULTS = cast(Table, CheckResult.__table__)
MONITOR_STATE = cast(Table, MonitorState.__table__)
RESULT_ROLLUPS = cast(Table, ResultRollup.__table__)
logger = logging.getLogger(__name__)
# Ids per IN list: SQLite caps the variables of a statement, and long lists plan slowly.
KEYS_PER_SELECT = 500

_Key = TypeVar("_Key")


def _slices(keys: Sequence[_Key], size: int = KEYS_PER_SELECT) -> Iterator[Sequence[_Key]]:
    for index in range(0, len(keys), size):
        yield keys[index : index + size]


@dataclass(frozen=True)
class Transition:
    """A monitor crossing a threshold: "failing" (failure_threshold failures in a row) or
    "recovered" (success_threshold successes in a row after failing)."""

    monitor_id: int
    monitor_name: str
    service_id: int
    kind: str  # failing | recovered
    at: datetime  # when the check that crossed the threshold started
    consecutive_failures: int
    consecutive_successes: int
    error: str | None  # the last check's error


@dataclass(frozen=True)
class PendingResult:
    monitor_id: int
    started_at: datetime
    result: ProbeResult
    in_maintenance: bool


@dataclass
class _Rollup:
    checks: int = 0
    failures: int = 0
    maintenance: int = 0
    duration_sum_ms: float = 0.0
    duration_max_ms: float = 0.0
    histogram: list[int] = field(default_factory=latency.empty_histogram)

    def count(self, ok: bool, duration_ms: float, in_maintenance: bool) -> None:
        if in_maintenance:
            self.maintenance += 1
            return
        self.checks += 1
        self.failures += 0 if ok else 1
        self.duration_sum_ms += duration_ms
        self.duration_max_ms = max(self.duration_max_ms, duration_ms)
        self.histogram[latency.bucket_of(duration_ms)] += 1

    def merge(self, row: Any) -> None:
        self.checks += row.checks
        self.failures += row.failures
        self.maintenance += row.maintenance
        self.duration_sum_ms += row.duration_sum_ms
        self.duration_max_ms = max(self.duration_max_ms, row.duration_max_ms)
        latency.add_into(self.histogram, row.histogram)

    def values(self) -> dict[str, object]:
        return {
            "checks": self.checks,
            "failures": self.failures,
            "maintenance": self.maintenance,
            "duration_sum_ms": self.duration_sum_ms,
            "duration_max_ms": self.duration_max_ms,
            "histogram": self.histogram,
        }


class ResultWriter:
    """Buffers results (add, from the event loop) and writes them in batches (flush)."""

    def __init__(self) -> None:
        self._pending: list[PendingResult] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self, monitor_id: int, started_at: datetime, result: ProbeResult, in_maintenance: bool
    ) -> None:
        # Rollups are cut at UTC minutes, hours and days.
        started_at = started_at.astimezone(UTC)
        self._pending.append(PendingResult(monitor_id, started_at, result, in_maintenance))

    def take(self) -> list[PendingResult]:
        """The buffered results, leaving the buffer empty (call it where add() is called)."""
        batch, self._pending = self._pending, []
        return batch

    def put_back(self, batch: list[PendingResult]) -> None:
        """A batch that could not be written, to go with the next one (call it where add() is
        called). While the database stays away, the oldest beyond MAX_PENDING are dropped."""
        self._pending = batch + self._pending
        dropped = len(self._pending) - MAX_PENDING
        if dropped > 0:
            del self._pending[:dropped]
            logger.error("results not stored for too long: the %d oldest dropped", dropped)

    def flush(self, session: Session, now: datetime) -> list[Transition]:
        return self.write(session, self.take(), now)

    def write(
        self, session: Session, batch: list[PendingResult], now: datetime
    ) -> list[Transition]:
        """Writes a batch into the session's transaction (the caller commits) and returns the
        transitions it caused. Results of monitors deleted meanwhile are dropped; on PostgreSQL
        the monitors kept are locked against deletion until the commit (SQLite takes no row
        locks: a delete in between fails the insert, and the engine writes the batch again)."""
        if not batch:
            return []
        monitors = {
            row.id: row
            for ids in _slices(sorted({item.monitor_id for item in batch}))
            for row in session.execute(
                select(
                    Monitor.id,
                    Monitor.name,
                    Monitor.service_id,
                    Monitor.failure_threshold,
                    Monitor.success_threshold,
                )
                .where(Monitor.id.in_(ids))
                .with_for_update(key_share=True)
            )
        }
        batch = sorted(
            (item for item in batch if item.monitor_id in monitors),
            key=lambda item: (item.monitor_id, item.started_at),
        )
        if not batch:
            return []
        session.execute(insert(CHECK_RESULTS), [_raw_row(item) for item in batch])
        transitions = _update_states(session, batch, monitors)
        _update_rollups(session, batch)
        return transitions


def _raw_row(item: PendingResult) -> dict[str, object]:
    result = item.result
    return {
        "monitor_id": item.monitor_id,
        "at": item.started_at,
        "ok": result.ok,
        "duration_ms": result.duration_ms,
        "status_code": result.status_code,
        "error": result.error[:MAX_ERROR_CHARS] if result.error else None,
        "details": result.details or None,
        "in_maintenance": item.in_maintenance,
    }


@dataclass
class _State:
    """A monitor's MonitorState counts while a batch is applied (written back in bulk)."""

    monitor_id: int
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_ok: bool | None = None
    last_checked_at: datetime | None = None
    last_error: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "monitor_id": self.monitor_id,
            "consecutive_failures": self.consecutive_failures,
            "consecutive_successes": self.consecutive_successes,
            "last_ok": self.last_ok,
            "last_checked_at": self.last_checked_at,
            "last_error": self.last_error,
        }


def _update_states(
    session: Session, batch: list[PendingResult], monitors: dict[int, Any]
) -> list[Transition]:
    stored = {
        row.monitor_id: _State(*row)
        for ids in _slices(sorted({item.monitor_id for item in batch}))
        for row in session.execute(
            select(
                MonitorState.monitor_id,
                MonitorState.consecutive_failures,
                MonitorState.consecutive_successes,
                MonitorState.last_ok,
                MonitorState.last_checked_at,
                MonitorState.last_error,
            ).where(MonitorState.monitor_id.in_(ids))
        )
    }
    states = dict(stored)
    transitions: list[Transition] = []
    for item in batch:
        monitor = monitors[item.monitor_id]
        state = states.setdefault(item.monitor_id, _State(item.monitor_id))
        kind = _count(state, item, monitor.failure_threshold, monitor.success_threshold)
        if kind is not None:
            transitions.append(
                Transition(
                    monitor_id=item.monitor_id,
                    monitor_name=monitor.name,
                    service_id=monitor.service_id,
                    kind=kind,
                    at=item.started_at,
                    consecutive_failures=state.consecutive_failures,
                    consecutive_successes=state.consecutive_successes,
                    error=state.last_error,
                )
            )
    # Bulk statements by primary key: incident_id, the hooks' column, is left as it is.
    updates = [state.values() for monitor_id, state in states.items() if monitor_id in stored]
    if updates:
        session.execute(update(MonitorState), updates)
    inserts = [state.values() for monitor_id, state in states.items() if monitor_id not in stored]
    if inserts:
        session.execute(insert(MONITOR_STATE), inserts)
    return transitions


def _count(
    state: _State, item: PendingResult, failure_threshold: int, success_threshold: int
) -> str | None:
    """Applies one result to the monitor's state; the transition it causes, if any."""
    result = item.result
    state.last_ok = result.ok
    state.last_checked_at = item.started_at
    state.last_error = None if result.ok else (result.error or "failed")[:MAX_ERROR_CHARS]
    failing = state.consecutive_failures >= failure_threshold
    if not result.ok:
        if item.in_maintenance:
            return None
        state.consecutive_successes = 0
        state.consecutive_failures += 1
        return (
            "failing" if not failing and state.consecutive_failures >= failure_threshold else None
        )
    state.consecutive_successes += 1
    if not failing:
        state.consecutive_failures = 0
        return None
    if state.consecutive_successes >= success_threshold:
        state.consecutive_failures = 0
        return "recovered"
    return None


def _update_rollups(session: Session, batch: list[PendingResult]) -> None:
    for resolution, floor in RESOLUTIONS:
        fresh: dict[tuple[int, datetime], _Rollup] = defaultdict(_Rollup)
        for item in batch:
            fresh[(item.monitor_id, floor(item.started_at))].count(
                item.result.ok, item.result.duration_ms, item.in_maintenance
            )
        updates = []
        for row in _stored_rollups(session, resolution, list(fresh)):
            rollup = fresh.pop((row.monitor_id, row.start))
            rollup.merge(row)
            updates.append(
                {"monitor_id": row.monitor_id, "resolution": resolution, "start": row.start}
                | rollup.values()
            )
        if updates:
            session.execute(update(ResultRollup), updates)
        if fresh:
            session.execute(
                insert(RESULT_ROLLUPS),
                [
                    {"monitor_id": monitor_id, "resolution": resolution, "start": start}
                    | rollup.values()
                    for (monitor_id, start), rollup in fresh.items()
                ],
            )


def _stored_rollups(
    session: Session, resolution: str, keys: list[tuple[int, datetime]]
) -> list[Any]:
    """The stored rollups of these (monitor, start) keys. Looked up by monitor id and start
    range, a slice of monitors at a time: a row IN list of thousands of pairs is slow on
    PostgreSQL and, beyond about 7,800, fails there ("stack depth limit exceeded")."""
    wanted = set(keys)
    by_monitor: dict[int, list[datetime]] = defaultdict(list)
    for monitor_id, start in keys:
        by_monitor[monitor_id].append(start)
    found = []
    for ids in _slices(sorted(by_monitor)):
        starts = [start for monitor_id in ids for start in by_monitor[monitor_id]]
        found += [
            row
            for row in session.execute(
                select(
                    ResultRollup.monitor_id,
                    ResultRollup.start,
                    ResultRollup.checks,
                    ResultRollup.failures,
                    ResultRollup.maintenance,
                    ResultRollup.duration_sum_ms,
                    ResultRollup.duration_max_ms,
                    ResultRollup.histogram,
                ).where(
                    ResultRollup.resolution == resolution,
                    ResultRollup.monitor_id.in_(ids),
                    ResultRollup.start.between(min(starts), max(starts)),
                )
            )
            if (row.monitor_id, row.start) in wanted
        ]
    return found


def prune(session: Session, now: datetime, raw_retention_days: int) -> dict[str, int]:
    """Deletes raw results older than the retention, minute rollups older than two weeks and
    hour rollups older than 400 days; day rollups stay. Returns the rows deleted per kind."""

    def deleted(statement: Delete) -> int:
        return cast(CursorResult[Any], session.execute(statement)).rowcount

    counts = {
        "raw": deleted(
            delete(CheckResult).where(CheckResult.at < now - timedelta(days=raw_retention_days))
        )
    }
    for resolution, days in (("minute", MINUTE_ROLLUP_DAYS), ("hour", HOUR_ROLLUP_DAYS)):
        counts[resolution] = deleted(
            delete(ResultRollup).where(
                ResultRollup.resolution == resolution,
                ResultRollup.start < now - timedelta(days=days),
            )
        )
    return counts
