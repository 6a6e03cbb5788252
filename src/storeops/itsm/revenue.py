"""The money an incident puts at risk: its frozen rate × the minutes it has been open."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from storeops.core.money import to_money
from storeops.itsm.models import Incident

RATE = Decimal("0.0001")  # incidents.revenue_per_minute is NUMERIC(18,4)


def frozen_rate(per_minute: Decimal) -> Decimal:
    return Decimal(max(per_minute, Decimal(0))).quantize(RATE)


def minutes_between(start: datetime, end: datetime) -> Decimal:
    """Whole and partial minutes from start to end (never negative), exactly."""
    delta = end - start
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return max(Decimal(micros) / Decimal(60_000_000), Decimal(0))


def amount_at_risk(per_minute: Decimal, start: datetime, end: datetime) -> Decimal:
    """rate × minutes, to the cent."""
    return to_money(Decimal(per_minute) * minutes_between(start, end))


def incident_amount(incident: Incident, now: datetime) -> Decimal:
    """A resolved incident's frozen amount, or an open one's so far."""
    if incident.revenue_at_risk is not None:
        return to_money(incident.revenue_at_risk)
    return amount_at_risk(
        incident.revenue_per_minute, incident.opened_at, incident.resolved_at or now
    )
