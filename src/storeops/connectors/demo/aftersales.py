"""What happens to a day's orders afterwards: returns and refunds, and support tickets.

- Lines come back at their SKU's return rate (category-driven, two SKUs stand out), after
  delivery plus the time to send them back; refunds later than the period's end have not
  happened yet. A refund repays the returned units' price net of their discount (no tax).
- Tickets: questions about orders (more at peaks), return and damage claims, payment problems on
  voided orders, and a few not tied to an order. Response and resolution times grow with the
  day's load, and satisfaction falls with the time it took.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storeops.connectors.demo.calendar import Calendar
from storeops.connectors.demo.catalog import REASON_MIX, RETURN_REASONS, Catalog
from storeops.connectors.demo.orders import DayOrders

TICKET_CATEGORIES = (
    "where is my order",
    "return",
    "damaged item",
    "product question",
    "payment",
    "account",
)
TICKET_CHANNELS = ("email", "chat", "phone", "social")
TICKET_CHANNEL_MIX = np.cumsum([0.5, 0.3, 0.15, 0.05])
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
FINANCIAL_STATUSES = ("paid", "partially_refunded", "refunded", "voided")
LATE = RETURN_REASONS.index("late delivery")
DAMAGED = RETURN_REASONS.index("damaged")
DAY = 86400
HOUR = 3600


@dataclass
class DayAfterSales:
    financial_status: np.ndarray  # per order, index into FINANCIAL_STATUSES
    refunded: np.ndarray  # per order, cents
    refund_order: np.ndarray  # per refund: index of its order in the day
    refunded_at: np.ndarray
    refund_amount: np.ndarray
    refund_reason: np.ndarray
    refund_line_refund: np.ndarray  # per refund line: index of its refund
    refund_line_sku: np.ndarray
    refund_line_qty: np.ndarray
    refund_line_amount: np.ndarray
    ticket_opened: np.ndarray
    ticket_first_response: np.ndarray  # NaT while nobody answered
    ticket_resolved: np.ndarray  # NaT while not resolved
    ticket_status: np.ndarray
    ticket_category: np.ndarray
    ticket_channel: np.ndarray
    ticket_satisfaction: np.ndarray  # 0 when not rated
    ticket_order: np.ndarray  # index of the order in the day, -1 for none
    ticket_sku: np.ndarray  # -1 for none


def _seconds(values: np.ndarray) -> np.ndarray:
    return np.round(values).astype(np.int64).astype("timedelta64[s]")


def after_sales(
    rng: np.random.Generator, cal: Calendar, i: int, day: DayOrders, catalog: Catalog
) -> DayAfterSales:
    n, lo = day.n, day.line_order
    load = float(cal.load[i])

    # Returns and refunds.
    shipped = ~day.voided & ~day.unfulfilled
    rate = catalog.return_rate[day.sku] * np.where(day.channel[lo] == 3, 0.3, 1.0)
    returned = shipped[lo] & (rng.random(len(lo)) < rate)
    delivery = rng.gamma(2.0, 1.5, n) * max(load, 1.0) ** 0.5 + 1
    refunded_at = day.created_at + _seconds((delivery + rng.uniform(3, 20, n)) * DAY)
    returned &= (refunded_at < np.datetime64(cal.end_utc, "s"))[lo]
    qty_back = np.where(day.qty > 1, rng.integers(1, day.qty + 1), 1)
    amount = (day.price * day.qty - day.line_discount) * qty_back // day.qty
    mix = REASON_MIX[catalog.category[day.sku]].copy()
    mix[:, LATE] += 0.1 * max(load - 1.0, 0.0)  # parcels are late when the warehouse is swamped
    cumulative = np.cumsum(mix, axis=1) / mix.sum(axis=1, keepdims=True)
    reason = (
        (rng.random(len(lo))[:, None] > cumulative).sum(axis=1).clip(0, len(RETURN_REASONS) - 1)
    )
    standout = catalog.standout_reason[day.sku]
    reason = np.where((standout >= 0) & (rng.random(len(lo)) < 0.8), standout, reason)

    back = np.flatnonzero(returned)
    refund_order = np.unique(lo[back])
    refund_of_line = np.searchsorted(refund_order, lo[back])
    refund_amount = np.bincount(refund_of_line, amount[back], len(refund_order)).astype(np.int64)
    first_back = np.diff(refund_of_line, prepend=-1) != 0
    refund_reason = reason[back][first_back]
    refunded = np.zeros(n, dtype=np.int64)
    refunded[refund_order] = refund_amount
    everything = np.bincount(lo[back], qty_back[back], n) == np.bincount(lo, day.qty, n)
    status = np.where(day.voided, 3, np.where(refunded > 0, np.where(everything, 2, 1), 0))

    tickets = _tickets(rng, cal, i, day, refunded, refunded_at, reason, returned, load)
    return DayAfterSales(
        financial_status=status,
        refunded=refunded,
        refund_order=refund_order,
        refunded_at=refunded_at[refund_order],
        refund_amount=refund_amount,
        refund_reason=refund_reason,
        refund_line_refund=refund_of_line,
        refund_line_sku=day.sku[back],
        refund_line_qty=qty_back[back],
        refund_line_amount=amount[back],
        **tickets,
    )


def _tickets(
    rng: np.random.Generator,
    cal: Calendar,
    i: int,
    day: DayOrders,
    refunded: np.ndarray,
    refunded_at: np.ndarray,
    reason: np.ndarray,
    returned: np.ndarray,
    load: float,
) -> dict[str, np.ndarray]:
    n, lo = day.n, day.line_order
    asking = 0.03 + 0.04 * max(load - 1.0, 0.0)
    chance = np.where(day.voided, 0.2, np.where(refunded > 0, 0.35, asking))
    about = np.flatnonzero(rng.random(n) < chance)

    # The SKU a ticket is about: the first returned line, else the order's first line.
    first_line = np.flatnonzero(np.diff(lo, prepend=-1) != 0)
    returned_lines = np.flatnonzero(returned)
    first_returned = np.full(n, -1)
    with_returns, first_index = np.unique(lo[returned_lines], return_index=True)
    first_returned[with_returns] = returned_lines[first_index]
    damaged = np.bincount(lo[returned_lines], reason[returned_lines] == DAMAGED, n) > 0

    u = rng.random(len(about))
    other = np.select([u < 0.5, u < 0.8, u < 0.9], [0, 3, 4], 5)
    category = np.where(
        day.voided[about], 4, np.where(refunded[about] > 0, np.where(damaged[about], 2, 1), other)
    )
    delay_hours = np.select(
        [category == 0, category == 3, category == 4],
        [
            rng.uniform(48, 216, len(about)),
            rng.uniform(2, 72, len(about)),
            rng.uniform(0.1, 6, len(about)),
        ],
        rng.uniform(0, 240, len(about)),
    )
    opened = day.created_at[about] + _seconds(delay_hours * HOUR)
    claim = np.isin(category, (1, 2))
    before_refund = refunded_at[about] - _seconds(rng.uniform(1, 4, len(about)) * DAY)
    opened = np.where(
        claim, np.maximum(before_refund, day.created_at[about] + _seconds(HOUR)), opened
    )
    line = np.where(claim, first_returned[about], first_line[about])
    sku = np.where(np.isin(category, (1, 2, 3)), day.sku[np.maximum(line, 0)], -1)
    order = about

    # Questions not about an order: opened during the day itself.
    k = rng.poisson(0.01 * n + 0.5)
    seconds = rng.integers(7 * HOUR, 23 * HOUR, k)
    opened = np.concatenate([opened, cal.utc_of(i, seconds)])
    category = np.concatenate([category, np.where(rng.random(k) < 0.6, 3, 5)])
    sku = np.concatenate([sku, np.full(k, -1)])
    order = np.concatenate([order, np.full(k, -1)])

    end = np.datetime64(cal.end_utc, "s")
    kept = opened < end
    opened, category, sku, order = opened[kept], category[kept], sku[kept], order[kept]
    m = len(opened)
    strain = cal.load[cal.day_index(opened)]
    respond = np.exp(rng.normal(np.log(2.5), 0.9, m)) * strain**1.3
    resolve = np.exp(rng.normal(np.log(18.0), 1.0, m)) * strain
    first_response = opened + _seconds(respond * HOUR)
    resolved = first_response + _seconds(resolve * HOUR)
    status = np.select(
        [resolved < end - np.timedelta64(7 * DAY, "s"), resolved < end, first_response < end],
        [3, 2, 1],
        0,
    )
    hours = respond + resolve
    score = np.clip(np.round(5.2 - 0.6 * np.log1p(hours / 4) + rng.normal(0, 0.6, m)), 1, 5)
    rated = (status >= 2) & (rng.random(m) < 0.4)
    return {
        "ticket_opened": opened,
        "ticket_first_response": np.where(status >= 1, first_response, np.datetime64("NaT")),
        "ticket_resolved": np.where(status >= 2, resolved, np.datetime64("NaT")),
        "ticket_status": status,
        "ticket_category": category,
        "ticket_channel": np.searchsorted(TICKET_CHANNEL_MIX, rng.random(m), side="right").clip(
            0, 3
        ),
        "ticket_satisfaction": np.where(rated, score, 0).astype(np.int64),
        "ticket_order": order,
        "ticket_sku": sku,
    }
