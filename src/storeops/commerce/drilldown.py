"""Which channel, category and product explain a day's gap against expected.

Channels and categories have their own fitted series (anomaly_series.py), so a member's gap is
its actual minus its own expected value. Products are too many and too sparse to model one by
one: a product's expected value is its share of the last SHARE_DAYS days (line sales net of line
discounts, or orders containing it) times the expected total. Product figures are line sales
(returns are not attributed to a product day). share = member gap / total gap; only members
that moved the same way as the total are listed, largest share first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
from ibis.backends import BaseBackend

from storeops.commerce.anomaly_series import as_metric, metric_gap
from storeops.commerce.cells import sku_days

if TYPE_CHECKING:
    from storeops.commerce.anomalies import Model

SHARE_DAYS = 28
TOP = {"channel": 3, "category": 3, "product": 5}


def explain_day(con: BaseBackend, model: Model, day: date, metric: str) -> list[dict[str, Any]]:
    i = model.data.index(day)
    total_key = (metric, "total", "total")
    total_gap = model.data.series[total_key][i] - model.fits[total_key].expected[i]
    if not np.isfinite(total_gap) or total_gap == 0:
        return []
    rows: list[dict[str, Any]] = []
    for dimension in ("channel", "category"):
        members = []
        for key, fit in model.fits.items():
            if key[0] != metric or key[1] != dimension:
                continue
            actual, expected = model.data.series[key][i], fit.expected[i]
            if np.isfinite(actual) and np.isfinite(expected):
                members.append((key[2], actual, expected))
        rows += _ranked(dimension, members, total_gap, metric, model)
    expected_total = model.fits[total_key].expected[i]
    rows += _ranked(
        "product", _products(con, day, metric, expected_total), total_gap, metric, model
    )
    rows.sort(key=lambda row: -row["share"])
    return rows


def _ranked(dimension, members, total_gap, metric, model) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = []
    for member, actual, expected in members:
        share = (actual - expected) / total_gap
        if share <= 0:
            continue
        a, e = as_metric(metric, actual), as_metric(metric, expected, expected=True)
        rows.append(
            {
                "dimension": dimension,
                "member": member,
                "actual": a,
                "expected": e,
                "gap": metric_gap(metric, a, e),
                "share": round(float(share), 3),
            }
        )
    rows.sort(key=lambda row: -row["share"])
    return rows[: TOP[dimension]]


def _products(
    con: BaseBackend, day: date, metric: str, expected_total: float
) -> list[tuple[str, float, float]]:
    """(sku, actual, expected) of the products sold on `day` or in the SHARE_DAYS before it."""
    sold = sku_days(con, day - timedelta(days=SHARE_DAYS), day)
    sold = sold.mutate(on_day=sold.local_date == ibis.literal(day))
    if metric == "orders":
        value = sold.orders.sum()
    else:  # cents, like the fitted series
        value = ((sold.gross - sold.line_discounts) * 100).sum()
    rows = sold.group_by(["sku", "on_day"]).aggregate(value=value).to_pyarrow().to_pylist()
    window: dict[str, float] = {}
    today: dict[str, float] = {}
    for row in rows:
        (today if row["on_day"] else window)[row["sku"]] = float(row["value"] or 0)
    window_total = sum(window.values())
    if window_total <= 0 or not np.isfinite(expected_total):
        return []
    return [
        (sku, today.get(sku, 0.0), expected_total * window.get(sku, 0.0) / window_total)
        for sku in set(window) | set(today)
    ]
