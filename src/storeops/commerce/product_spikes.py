"""Spikes of one product's orders (a pricing error, a bot, a viral post), found in the engine.

Products are too many to model one by one in Python, so the engine counts each SKU's orders per
day and, with a window, in the SHARE_DAYS days before, and only the days far above that pass a
loose first cut (CANDIDATE_FACTOR × the daily average, at least MIN_ORDERS). In Python a
candidate's expected orders are its share of the window times the day's total orders (a busy
day lifts every product), judged on the square-root scale with Poisson noise. Drops of a single
product are stock-outs, which the stock report covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
from ibis.backends import BaseBackend

from storeops.commerce.cells import sku_days

SHARE_DAYS = 28
MIN_ORDERS = 8
CANDIDATE_FACTOR = 3


@dataclass(frozen=True)
class ProductDay:
    sku: str
    day: date
    orders: int
    expected: float
    z: float
    net_cents: float  # line sales net of line discounts
    expected_net_cents: float


def product_spikes(
    con: BaseBackend,
    *,
    first: date,
    last: date,
    total_orders: dict[date, float],
    total_net: dict[date, float],
) -> list[ProductDay]:
    """Candidate spikes from `first` to `last`; total_orders, total_net (cents): the shop's."""
    daily = sku_days(con, first - timedelta(days=SHARE_DAYS), last)
    daily = daily.filter(daily.sku.notnull()).select(
        "sku",
        "local_date",
        n=daily.orders,
        net=(daily.gross - daily.line_discounts) * 100,
    )
    window = ibis.window(
        group_by="sku",
        order_by="local_date",
        range=(-ibis.interval(days=SHARE_DAYS), -ibis.interval(days=1)),
    )
    daily = daily.mutate(
        before=daily.n.sum().over(window).fill_null(0),
        before_net=daily.net.sum().over(window).fill_null(0),
    )
    candidates = daily.filter(
        (daily.local_date >= first)
        & (daily.n >= MIN_ORDERS)
        & (daily.n >= CANDIDATE_FACTOR * (daily.before / SHARE_DAYS + 1))
    )
    found = []
    for row in candidates.to_pyarrow().to_pylist():
        day = row["local_date"]
        lift = _day_over_window(total_orders, day)
        if lift is None:
            continue
        expected = float(row["before"]) * lift
        z = 2 * (np.sqrt(row["n"]) - np.sqrt(expected))
        net_lift = _day_over_window(total_net, day) or 0.0
        found.append(
            ProductDay(
                row["sku"],
                day,
                int(row["n"]),
                expected,
                float(z),
                float(row["net"] or 0),
                float(row["before_net"] or 0) * net_lift,
            )
        )
    return found


def _day_over_window(totals: dict[date, float], day: date) -> float | None:
    """The day's total over the total of the SHARE_DAYS days before it."""
    window = sum(totals.get(day - timedelta(days=k), 0.0) for k in range(1, SHARE_DAYS + 1))
    return totals.get(day, 0.0) / window if window > 0 else None
