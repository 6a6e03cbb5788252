"""Maintenance windows: when a service's failures alert nobody and burn no error budget.

A window is one-off (starts_at..ends_at) or recurring: a cron expression read in the window's
own time zone, lasting duration_minutes. The engine asks `covers()` for every result, so the
occurrences around the time asked are worked out once and kept, sorted, per service.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.monitoring.models import MaintenanceWindow

# How far ahead of the time asked the occurrences are worked out, and how far behind it they are
# kept, so results arriving slightly out of order do not rebuild the cache.
_AHEAD = timedelta(days=2)
_BEHIND = timedelta(hours=1)


@dataclass(frozen=True)
class Occurrence:
    window_id: int
    name: str
    service_id: int | None  # None: every service
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


@dataclass(frozen=True)
class _Rule:
    window_id: int
    name: str
    service_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    cron: str | None
    duration: timedelta | None
    zone: ZoneInfo

    def between(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """The occurrences that overlap [start, end), in order."""
        if self.cron is None or self.duration is None:
            if self.starts_at is not None and self.ends_at is not None:
                if self.starts_at < end and self.ends_at > start:
                    yield self._occurrence(self.starts_at, self.ends_at)
            return
        # croniter walks the local wall clock (naive times), so "0 2 * * *" stays at 02:00 local
        # across DST changes; each wall time becomes UTC through the zone. A wall time the spring
        # change skips (02:30 in Paris) maps with fold=0 to the instant the clock jumped past it,
        # as cron runs it; one the autumn change repeats is taken once, the first time.
        # A margin of a day covers the largest UTC offset (14 h) and any DST shift.
        first = (start - self.duration).astimezone(self.zone).replace(tzinfo=None)
        walk = croniter(self.cron, first - timedelta(days=1))
        while True:
            try:
                local: datetime = walk.get_next(datetime)
            except CroniterBadDateError:  # a day that never comes, e.g. 30 February
                return
            begins = local.replace(tzinfo=self.zone).astimezone(UTC)
            if begins >= end:
                return
            if begins + self.duration > start:
                yield self._occurrence(begins, begins + self.duration)

    def _occurrence(self, starts_at: datetime, ends_at: datetime) -> Occurrence:
        return Occurrence(self.window_id, self.name, self.service_id, starts_at, ends_at)


def _rule(window: MaintenanceWindow) -> _Rule:
    duration = timedelta(minutes=window.duration_minutes) if window.duration_minutes else None
    return _Rule(
        window_id=window.id,
        name=window.name,
        service_id=window.service_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        cron=window.cron,
        duration=duration,
        zone=ZoneInfo(window.timezone or "UTC"),
    )


class _Spans:
    """Merged, sorted [start, end) spans of one service (or of all) for bisecting."""

    def __init__(self, occurrences: Iterable[Occurrence]):
        merged: list[list[datetime]] = []
        for occ in sorted(occurrences, key=lambda o: o.starts_at):
            if merged and occ.starts_at <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], occ.ends_at)
            else:
                merged.append([occ.starts_at, occ.ends_at])
        self.starts = [span[0] for span in merged]
        self.ends = [span[1] for span in merged]

    def contains(self, at: datetime) -> bool:
        i = bisect_right(self.starts, at) - 1
        return i >= 0 and at < self.ends[i]


class MaintenanceCalendar:
    def __init__(self, rules: Sequence[_Rule]):
        self._rules = tuple(rules)
        # An empty range until the first question fills it.
        self._cached_from = datetime.max.replace(tzinfo=UTC)
        self._cached_to = datetime.min.replace(tzinfo=UTC)
        self._spans: dict[int | None, _Spans] = {}

    @classmethod
    def of(cls, windows: Iterable[MaintenanceWindow]) -> MaintenanceCalendar:
        return cls([_rule(w) for w in windows])

    @classmethod
    def load(cls, session: Session) -> MaintenanceCalendar:
        return cls.of(session.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.id)))

    def covers(self, service_id: int | None, at: datetime) -> bool:
        """Whether a window for this service, or for every service, is open at `at`."""
        if not self._rules:
            return False
        if not self._cached_from <= at < self._cached_to:
            self._rebuild(at)
        everyone = self._spans.get(None)
        if everyone is not None and everyone.contains(at):
            return True
        own = self._spans.get(service_id) if service_id is not None else None
        return own is not None and own.contains(at)

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Every occurrence overlapping [start, end), by start time."""
        found = [occ for rule in self._rules for occ in rule.between(start, end)]
        return sorted(found, key=lambda o: (o.starts_at, o.window_id))

    def active(self, at: datetime) -> list[Occurrence]:
        return [
            o for o in self.occurrences(at, at + timedelta(microseconds=1)) if o.starts_at <= at
        ]

    def upcoming(
        self, at: datetime, limit: int = 10, *, within: timedelta = timedelta(days=31)
    ) -> list[Occurrence]:
        """The next occurrences starting after `at` (within a month by default), for display."""
        later: list[Occurrence] = []
        for rule in self._rules:
            # Lazily: a per-minute cron has 44,640 occurrences a month, and we want `limit`.
            after = (o for o in rule.between(at, at + within) if o.starts_at > at)
            later.extend(islice(after, limit))
        return sorted(later, key=lambda o: (o.starts_at, o.window_id))[:limit]

    def _rebuild(self, at: datetime) -> None:
        start, end = at - _BEHIND, at + _AHEAD
        by_service: dict[int | None, list[Occurrence]] = {}
        for occ in self.occurrences(start, end):
            by_service.setdefault(occ.service_id, []).append(occ)
        self._spans = {service: _Spans(occs) for service, occs in by_service.items()}
        self._cached_from, self._cached_to = start, end
