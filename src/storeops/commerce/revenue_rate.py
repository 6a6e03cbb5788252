"""What the shop normally sells per minute at a given moment: the price of an outage.

The baseline of a moment is the net sales (DESIGN.md: gross − discounts − returns, returns
dated by `refunded_at`) of the same store-local weekday and hour in the previous `weeks` weeks,
the median of those hours (one odd hour, a promotion or an old outage, does not move it),
divided by 60. Event days (expected.event_label) are left out of it, reaching further back.
Hours outside the shop's history (before its first order, after its last) are left out too:
no history is not an hour of zero sales.

On an event day (Black Friday week, Cyber Monday, Christmas, New Year) hours are aligned by
event, not by date, as in expected.py: the same event day and hour of up to EVENT_YEARS
previous years. The median of their uplifts over their own year's baseline scales this year's
baseline, so growth since then is kept. Where no uplift can be formed (those years' ordinary
hours sold nothing, or this year has no ordinary hours yet), the median of the event hours' own
net sales is used; without any previous event in the history, the ordinary baseline.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.expected import EVENT_YEARS, black_friday, event_label
from storeops.commerce.kpis import sale_orders

PER_MINUTE = Decimal("0.0001")  # the precision incidents freeze the rate with
MAX_WEEKS_BACK = 52  # how far back ordinary weekdays are looked for past event days
MONEY = ibis.dtype("decimal(18,2)")

Slot = tuple[datetime, datetime]  # one store-local hour as naive UTC bounds [start, end)


class Basis(StrEnum):
    weekday_hour = "weekday-hour"  # the same weekday and hour of recent weeks
    event = "event"  # aligned on the same event of previous years
    no_history = "no sales history"


@dataclass(frozen=True)
class Baseline:
    per_minute: Decimal
    basis: Basis
    event: str | None = None  # "BF+0", "CM+0", "Xmas-1"... on an event day
    hours: int = 0  # hours of history the figure stands on


def expected_net_sales_per_minute(
    con: BaseBackend, *, timezone: str, at: datetime, weeks: int = 4
) -> Decimal:
    return expected_rate(con, timezone=timezone, at=at, weeks=weeks).per_minute


def expected_rate(con: BaseBackend, *, timezone: str, at: datetime, weeks: int = 4) -> Baseline:
    """The baseline of `at` (an aware datetime) and how it was found."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    day, hour = local.date(), local.hour
    ordinary = [_slot(d, hour, zone) for d in _ordinary_days(day, weeks)]
    label = event_label(day)
    years: list[tuple[Slot, list[Slot]]] = []
    if label is not None:
        for back in range(1, EVENT_YEARS + 1):
            same = _same_event_day(day, back)
            base = [_slot(d, hour, zone) for d in _ordinary_days(same, weeks)]
            years.append((_slot(same, hour, zone), base))

    wanted = set(ordinary) | {s for event, base in years for s in (event, *base)}
    history = _history(con)
    if history is None:
        return Baseline(Decimal(0), Basis.no_history, label)
    first, last = history
    known = {s for s in wanted if first <= s[1] and s[0] <= last}
    sums = _net_sales(con, sorted(known))
    now = [sums.get(s, Decimal(0)) for s in ordinary if s in known]
    if years:
        found = _event_hour(years, known, sums, statistics.median(now) if now else None)
        if found is not None:
            value, hours = found
            return Baseline(_per_minute(value), Basis.event, label, hours)
    if not now:
        return Baseline(Decimal(0), Basis.no_history, label)
    return Baseline(_per_minute(statistics.median(now)), Basis.weekday_hour, label, len(now))


def _event_hour(
    years: list[tuple[Slot, list[Slot]]],
    known: set[Slot],
    sums: dict[Slot, Decimal],
    baseline_now: Decimal | None,
) -> tuple[Decimal, int] | None:
    """This year's event hour from previous years' (value, hours used), None without any."""
    uplifts: list[Decimal] = []
    values: list[Decimal] = []
    hours = 0
    for event, base in years:
        if event not in known:
            continue
        value = sums.get(event, Decimal(0))
        then = [sums.get(s, Decimal(0)) for s in base if s in known]
        hours += 1 + len(then)
        values.append(value)
        usual = statistics.median(then) if then else Decimal(0)
        if usual > 0:
            uplifts.append(value / usual)
    if uplifts and baseline_now is not None:
        return baseline_now * statistics.median(uplifts), hours
    if values:
        return statistics.median(values), hours
    return None


def _per_minute(hourly: Decimal) -> Decimal:
    return (Decimal(hourly) / 60).quantize(PER_MINUTE)


def _ordinary_days(day: date, weeks: int) -> list[date]:
    """The `weeks` closest same weekdays before `day` that are not event days."""
    days: list[date] = []
    for back in range(1, MAX_WEEKS_BACK + 1):
        earlier = day - timedelta(weeks=back)
        if event_label(earlier) is None:
            days.append(earlier)
            if len(days) == weeks:
                break
    return days


def _same_event_day(day: date, years_back: int) -> date:
    """The day of the same event `years_back` years earlier (Black Friday moves, Christmas not)."""
    offset = (day - black_friday(day.year)).days
    if -4 <= offset <= 4:  # Black Friday week and Cyber Monday
        return black_friday(day.year - years_back) + timedelta(days=offset)
    return day.replace(year=day.year - years_back)


def _slot(day: date, hour: int, zone: ZoneInfo) -> Slot:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
    end = start + timedelta(hours=1)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def _history(con: BaseBackend) -> tuple[datetime, datetime] | None:
    """When the shop's first and last sale orders were placed (naive UTC), None without any."""
    orders = sale_orders(con)
    row = orders.aggregate(first=orders.created_at.min(), last=orders.created_at.max())
    first, last = row.to_pyarrow().to_pylist()[0].values()
    return (first, last) if first is not None else None


def _net_sales(con: BaseBackend, slots: list[Slot]) -> dict[Slot, Decimal]:
    """Net sales of each hour, in one query; an hour without rows is missing (zero)."""
    if not slots:
        return {}

    def slot_of(ts: Any) -> Any:
        cases = [((ts >= s) & (ts < e), ibis.literal(i)) for i, (s, e) in enumerate(slots)]
        return ibis.cases(*cases, else_=ibis.null("int64"))

    def inside(ts: Any) -> Any:
        return ibis.or_(*[(ts >= s) & (ts < e) for s, e in slots])

    orders = sale_orders(con)
    orders = orders.filter(inside(orders.created_at)).mutate(slot=slot_of(orders.created_at))
    lines = con.table("order_lines")
    sold = lines.join(
        orders.select("source", "source_id", "slot"),
        [lines.source == orders.source, lines.order_id == orders.source_id],
    )
    refunds = con.table("refunds")
    refunds = refunds.filter(inside(refunds.refunded_at)).mutate(slot=slot_of(refunds.refunded_at))
    zero = ibis.literal(0).cast(MONEY)
    facts = ibis.union(
        orders.group_by("slot").aggregate(
            gross=zero, discounts=orders.discounts.sum().cast(MONEY), returns=zero
        ),
        sold.group_by("slot").aggregate(
            gross=(sold.price * sold.quantity).sum().cast(MONEY), discounts=zero, returns=zero
        ),
        refunds.group_by("slot").aggregate(
            gross=zero, discounts=zero, returns=refunds.amount.sum().cast(MONEY)
        ),
    )
    totals = facts.group_by("slot").aggregate(
        net=(facts.gross.sum() - facts.discounts.sum() - facts.returns.sum())
    )
    return {slots[row["slot"]]: Decimal(row["net"] or 0) for row in totals.to_pyarrow().to_pylist()}
