"""Revenue at risk: what an incident costs, from the shop's own sales.

A service's rate is the store's expected net sales per minute for this store-local weekday and
hour (commerce.revenue_rate) × the service's impact (the share of sales lost while it fails).
An incident freezes the rate it opened with; its amount is rate × minutes open, live while it
is open, frozen once resolved.

The warehouse is DuckDB by default and other processes (an import, the web app) may hold it:
it is opened read-only for one read and closed at once, and the baseline, which changes once
an hour, is kept per store-local hour, so the engine does not open the warehouse on every
flush. A missing or empty warehouse gives a rate of 0 that says "no sales history". One that
cannot be read (busy past the readers' wait, a server down, a broken file) gives the last
baseline read, or 0 saying "warehouse unavailable", and is asked again next time: an incident
must open whatever the warehouse's state.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storeops.commerce.revenue_rate import Baseline, Basis, expected_rate
from storeops.core.errors import UserError
from storeops.core.money import format_money
from storeops.core.settings import Settings
from storeops.itsm.models import Incident, Service
from storeops.itsm.queries import MonthTotal, monthly_totals
from storeops.itsm.revenue import frozen_rate, incident_amount
from storeops.warehouse.engine import open_warehouse

log = logging.getLogger(__name__)

WAREHOUSE_UNAVAILABLE = "warehouse unavailable"
KEPT_HOURS = 4  # baselines kept: this hour and a few around it


@dataclass(frozen=True)
class RevenueRate:
    """A service's revenue per minute at a moment, and what the figure stands on."""

    per_minute: Decimal  # the store's rate × the service's impact
    store_per_minute: Decimal
    impact: float
    basis: str  # commerce.revenue_rate.Basis, or "warehouse unavailable"
    event: str | None = None  # "BF+0" on Black Friday...

    @property
    def known(self) -> bool:
        return self.basis not in (Basis.no_history, WAREHOUSE_UNAVAILABLE)


class RevenueRates:
    """The store's baseline per store-local hour, read from the warehouse when the hour is new."""

    def __init__(self, settings: Settings, *, weeks: int = 4):
        self._settings = settings
        self._zone = ZoneInfo(settings.store.timezone)
        self._weeks = weeks
        self._lock = threading.Lock()
        self._hours: dict[datetime, Baseline] = {}
        self._last: Baseline | None = None
        self.reads = 0  # how often the warehouse was opened (the cache's whole point)

    def baseline(self, at: datetime) -> tuple[Baseline, str]:
        """The store's baseline for `at` and its basis. Thread-safe (the web app shares one):
        a new hour is read once, by the first caller, while the others wait for it."""
        with self._lock:
            return self._baseline(at)

    def _baseline(self, at: datetime) -> tuple[Baseline, str]:
        hour = at.astimezone(self._zone).replace(minute=0, second=0, microsecond=0)
        found = self._hours.get(hour)
        if found is not None:
            return found, found.basis
        try:
            found = self._read(at)
        except UserError as exc:  # busy, or a warehouse URL that does not answer
            log.warning("revenue baseline not read: %s", exc)
            return self._fallback()
        except Exception:  # a broken warehouse must not stop incidents from opening
            log.exception("revenue baseline not read")
            return self._fallback()
        self._hours[hour] = self._last = found
        for old in sorted(self._hours, key=lambda h: abs(h - hour))[KEPT_HOURS:]:
            del self._hours[old]
        return found, found.basis

    def _fallback(self) -> tuple[Baseline, str]:
        if self._last is not None:
            return self._last, self._last.basis
        return Baseline(Decimal(0), Basis.no_history), WAREHOUSE_UNAVAILABLE

    def _read(self, at: datetime) -> Baseline:
        path = self._settings.duckdb_path()
        if path is not None and not path.exists():
            return Baseline(Decimal(0), Basis.no_history)  # never create it from here
        self.reads += 1
        with open_warehouse(self._settings) as con:
            return expected_rate(
                con, timezone=self._settings.store.timezone, at=at, weeks=self._weeks
            )

    def for_service(self, service: Service, at: datetime) -> RevenueRate:
        baseline, basis = self.baseline(at)
        return RevenueRate(
            per_minute=frozen_rate(baseline.per_minute * Decimal(str(service.impact))),
            store_per_minute=baseline.per_minute,
            impact=service.impact,
            basis=str(basis),
            event=baseline.event,
        )


def live_amount(incident: Incident, now: datetime) -> Decimal:
    """What the incident has put at risk so far (frozen once it is resolved)."""
    return incident_amount(incident, now)


def totals(
    session: Session, settings: Settings, *, now: datetime, **filters: Any
) -> list[MonthTotal]:
    """Revenue at risk per service and store-local month (itsm.queries.monthly_totals)."""
    return monthly_totals(session, now=now, timezone=settings.store.timezone, **filters)


def rate_text(per_minute: Decimal, currency: str, *, basis: str | None = None) -> str:
    """ "€20.57/min", with why it may be 0."""
    text = f"{format_money(per_minute, currency)}/min"
    if basis in (Basis.no_history, WAREHOUSE_UNAVAILABLE):
        return f"{text} ({basis})"
    return text


def at_risk_text(
    incident: Incident, now: datetime, currency: str, *, basis: str | None = None
) -> str:
    """ "≈ €1,234.50 at risk so far, €20.57/min" (or "… at risk" once resolved)."""
    amount = format_money(live_amount(incident, now), currency)
    rate = rate_text(incident.revenue_per_minute, currency, basis=basis)
    so_far = " so far" if incident.revenue_at_risk is None else ""
    return f"≈ {amount} at risk{so_far}, {rate}"
