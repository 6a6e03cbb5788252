"""Periods of store-local days, and the periods they are compared with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import ibis
from ibis.backends import BaseBackend

from storeops.core.errors import UserError

# The days a shop's data can have. Outside them, comparison periods would overflow Python's
# calendar, and a daily series would have millions of buckets.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)


class Compare(StrEnum):
    previous = "previous"  # the same number of days just before
    yoy = "yoy"  # the same dates one year earlier
    none = "none"


@dataclass(frozen=True)
class Period:
    """Store-local days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise UserError(f"--from {self.start} is after --to {self.end}")
        for name, day in (("--from", self.start), ("--to", self.end)):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise UserError(f"{name} {day} is outside {FIRST_DAY}..{LAST_DAY}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        return Period(_year_before(self.start), _year_before(self.end))

    def compared(self, compare: Compare) -> Period | None:
        if compare is Compare.previous:
            return self.previous()
        if compare is Compare.yoy:
            return self.year_before()
        return None

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def data_period(con: BaseBackend) -> Period | None:
    """The days the warehouse has orders for, or None when it has none."""
    orders = con.table("orders")
    first, last = (
        orders.aggregate(first=orders.local_date.min(), last=orders.local_date.max())
        .to_pyarrow()
        .to_pylist()[0]
        .values()
    )
    return Period(first, last) if first is not None else None


def resolve_period(con: BaseBackend, start: date | None, end: date | None) -> Period:
    """--from/--to as given, a missing bound taken from the data (all data without either)."""
    if start is None or end is None:
        known = data_period(con)
        if known is None:
            raise UserError("the warehouse has no orders yet (import some, or run storeops demo)")
        start = start or known.start
        end = end or known.end
    return Period(start, end)


def period_label(day: ibis.Value, periods: dict[str, Period]) -> ibis.Value:
    """'current', 'previous'... for the period a store-local day falls in, else NULL."""
    cases = [
        (day.between(period.start, period.end), ibis.literal(name))
        for name, period in periods.items()
    ]
    return ibis.cases(*cases, else_=ibis.null(str))


def within(day: ibis.Value, periods: dict[str, Period]) -> ibis.Value:
    """A filter for the days of all the periods (one scan computes them together)."""
    start = min(p.start for p in periods.values())
    end = max(p.end for p in periods.values())
    return day.between(start, end)
