"""Days that do not look like they should: drops and spikes of orders, net sales and conversion,
in total, per channel and per category, with the revenue they cost (or brought) and the members
that explain them.

Each series is modelled on its own history (expected.py: weekday and yearly patterns, events
aligned by event). A day is flagged when its robust z-score reaches SEVERITY["minor"], it is
at least MIN_CHANGE away from expected, and its gap is at least MIN_DAY_SHARE of the shop's
day's expected orders or net sales (what is too small to matter to the shop is not reported).
Products are checked for spikes of orders only (product_spikes.py). The revenue gap is always net sales, actual − expected,
of the same day and member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from ibis.backends import BaseBackend

from storeops.commerce.anomaly_series import (
    METRICS,
    DailySeries,
    as_metric,
    cents_to_money,
    load_series,
    metric_gap,
)
from storeops.commerce.drilldown import explain_day
from storeops.commerce.expected import Fit, fit_series, judge, within
from storeops.commerce.period import Period, data_period
from storeops.commerce.product_spikes import product_spikes
from storeops.core.errors import UserError

# |robust z| from which a day is flagged, by severity (MAD-based z: 3.5 is the usual outlier
# threshold for one test; many series are tested each day, so the bar starts higher).
SEVERITY = {"critical": 12.0, "major": 7.0, "minor": 4.5}
SEVERITY_RANK = {"critical": 3, "major": 2, "minor": 1}
MIN_CHANGE = 0.10  # smaller relative deviations are not worth a person's attention
MIN_DAY_SHARE = 0.02  # nor gaps under 2 % of the shop's expected day (orders, or net sales)
DIMENSIONS = ("total", "channel", "category", "product")  # product: spikes of orders only
HISTORY_YEARS = 3  # enough for weekday, yearly and event effects
SCALE_POWER = {"orders": 0.5, "net_sales": 0.5, "conversion": 0.0}  # 0.5: square-root scale


@dataclass
class Anomaly:
    day: date
    metric: str  # orders | net_sales | conversion
    dimension: str  # total | channel | category
    member: str  # "total", or the channel / category
    actual: Any  # int orders, Decimal net sales, float conversion rate
    expected: Any
    gap: Any  # actual − expected, in the metric's unit
    revenue_gap: Decimal  # net sales actual − expected, same day and member
    z: float
    severity: str
    direction: str  # drop | spike
    event: str | None = None  # e.g. 'BF+0'; new_event when no previous year taught its effect
    new_event: bool = False
    explanation: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "metric": self.metric,
            "dimension": self.dimension,
            "member": self.member,
            "actual": self.actual,
            "expected": self.expected,
            "gap": self.gap,
            "revenue_gap": self.revenue_gap,
            "z": round(self.z, 2),
            "severity": self.severity,
            "direction": self.direction,
            "event": self.event,
            "new_event": self.new_event,
            "explanation": self.explanation,
        }


def severity_of(z: float) -> str | None:
    return next((name for name, bar in SEVERITY.items() if abs(z) >= bar), None)


def _check(metrics: tuple[str, ...], dimensions: tuple[str, ...]) -> None:
    for value, known, what in ((metrics, METRICS, "metric"), (dimensions, DIMENSIONS, "by")):
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise UserError(f"unknown {what} {', '.join(unknown)}: use one of {', '.join(known)}")


class Model:
    """The fitted series of a warehouse up to a day, with the lookups detection needs."""

    def __init__(self, con: BaseBackend, *, last: date):
        known = data_period(con)
        first = max(known.start if known else last, last - timedelta(days=365 * HISTORY_YEARS + 7))
        self.data: DailySeries = load_series(con, first=min(first, last), last=last)
        self.fits: dict[tuple[str, str, str], Fit] = {}
        # totals first: members borrow their event effects
        for key in sorted(self.data.series, key=lambda k: k[1] != "total"):
            metric, dimension, member = key
            parent = self.fits.get((metric, "total", "total"))
            self.fits[key] = fit_series(
                self.data.days,
                self.data.series[key],
                scale_power=SCALE_POWER[metric],
                min_sigma=self._least_noise(metric, dimension, member),
                parent_events=parent.event_factor if parent else None,
            )
        # What detection judges: totals on their own; members within their total; conversion
        # as the orders the day's sessions should have brought. The drill-down compares
        # members with their own fits.
        self.judged = dict(self.fits)
        for key, fit in self.fits.items():
            metric, dimension, member = key
            if metric == "conversion":
                orders = self.data.series[("orders", dimension, member)]
                sessions = self.data.sessions[(dimension, member)]
                self.judged[key] = _as_rate(
                    judge(fit, orders, sessions * fit.expected, min_sigma=1.0), sessions
                )
            elif dimension != "total":
                total = (metric, "total", "total")
                expected = within(fit, self.fits[total], self.data.series[total])
                self.judged[key] = judge(
                    fit,
                    self.data.series[key],
                    expected,
                    scale_power=SCALE_POWER[metric],
                    min_sigma=self._least_noise(metric, dimension, member),
                )
        self._expected_net: dict[tuple[str, str], np.ndarray] = {}

    def _least_noise(self, metric: str, dimension: str, member: str) -> float | np.ndarray:
        """Poisson for counts; for money, a compound Poisson's √(average order value so far)."""
        if metric == "orders":
            return 1.0
        if metric == "conversion":
            return 0.0
        orders = np.nan_to_num(self.data.series[("orders", dimension, member)])
        net = np.nan_to_num(self.data.net_cents[(dimension, member)])
        with np.errstate(divide="ignore", invalid="ignore"):
            average = np.cumsum(net) / np.cumsum(orders)
        average = np.concatenate([[np.nan], average[:-1]])  # known the day before
        return np.sqrt(np.where(np.isfinite(average) & (average > 0), average, 0.0))

    def expected_net(self, dimension: str, member: str) -> np.ndarray:
        """Expected net sales in cents of a member, fitted once when a revenue gap needs it."""
        key = (dimension, member)
        if key not in self._expected_net:
            self._expected_net[key] = self.judged[("net_sales", dimension, member)].expected
        return self._expected_net[key]

    def material(self, metric: str, i: int, gap: float, revenue_gap: Decimal) -> bool:
        """Whether a gap moves the shop's day by MIN_DAY_SHARE (orders, or net sales)."""
        total = self.fits[("orders" if metric == "orders" else "net_sales", "total", "total")]
        day = total.expected[i]
        if not np.isfinite(day):
            return True
        if metric == "orders":
            return abs(gap) >= MIN_DAY_SHARE * day
        return abs(revenue_gap) >= Decimal(str(MIN_DAY_SHARE)) * cents_to_money(day)

    def actual(self, key: tuple[str, str, str], i: int) -> Any:
        value = self.data.series[key][i]
        return as_metric(key[0], value)

    def expected(self, key: tuple[str, str, str], i: int) -> Any:
        return as_metric(key[0], self.judged[key].expected[i], expected=True)

    def revenue_gap(self, dimension: str, member: str, i: int) -> Decimal:
        actual = self.data.net_cents[(dimension, member)][i]
        expected = self.expected_net(dimension, member)[i]
        if not np.isfinite(actual) or not np.isfinite(expected):
            return Decimal("0.00")
        return cents_to_money(actual) - cents_to_money(expected)


def _as_rate(fit: Fit, sessions: np.ndarray) -> Fit:
    """A fit judged on orders, with its expected value told as a conversion rate again."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(sessions > 0, fit.expected / sessions, np.nan)
    return Fit(rate, fit.z, fit.event, fit.new_event, fit.event_factor)


def detect_anomalies(
    con: BaseBackend,
    *,
    period: Period,
    metrics: tuple[str, ...] = METRICS,
    dimensions: tuple[str, ...] = DIMENSIONS,
    limit: int | None = None,
    explain: bool = True,
) -> list[Anomaly]:
    """Flagged days of `period`, most severe first, then by the size of the revenue gap."""
    _check(metrics, dimensions)
    model = Model(con, last=period.end)
    found = [
        anomaly
        for key in model.fits
        if key[0] in metrics and key[1] in dimensions
        for anomaly in _flagged(model, key, period)
    ]
    if "product" in dimensions and "orders" in metrics:
        found += _product_anomalies(con, model, period)
    found.sort(key=lambda a: (-SEVERITY_RANK[a.severity], -abs(a.revenue_gap), -abs(a.z)))
    if limit is not None:
        found = found[:limit]
    if explain:
        cache: dict[tuple[date, str], list[dict[str, Any]]] = {}
        for anomaly in found:
            metric = "orders" if anomaly.metric == "conversion" else anomaly.metric
            if (anomaly.day, metric) not in cache:
                cache[(anomaly.day, metric)] = explain_day(con, model, anomaly.day, metric)
            anomaly.explanation = cache[(anomaly.day, metric)]
    return found


def _flagged(model: Model, key: tuple[str, str, str], period: Period) -> list[Anomaly]:
    metric, dimension, member = key
    fit = model.judged[key]
    values = model.data.series[key]
    start = max(model.data.index(period.start), 0)
    stop = model.data.index(period.end) + 1
    out = []
    for i in range(start, stop):
        z, expected, actual = fit.z[i], fit.expected[i], values[i]
        if not (np.isfinite(z) and np.isfinite(expected) and np.isfinite(actual)):
            continue
        severity = severity_of(z)
        if severity is None or abs(actual - expected) < MIN_CHANGE * abs(expected):
            continue
        revenue_gap = model.revenue_gap(dimension, member, i)
        if not model.material(metric, i, actual - expected, revenue_gap):
            continue
        actual_value, expected_value = model.actual(key, i), model.expected(key, i)
        out.append(
            Anomaly(
                day=model.data.days[i],
                metric=metric,
                dimension=dimension,
                member=member,
                actual=actual_value,
                expected=expected_value,
                gap=metric_gap(metric, actual_value, expected_value),
                revenue_gap=revenue_gap,
                z=float(z),
                severity=severity,
                direction="drop" if actual < expected else "spike",
                event=fit.event[i],
                new_event=bool(fit.new_event[i]),
            )
        )
    return out


def _product_anomalies(con: BaseBackend, model: Model, period: Period) -> list[Anomaly]:
    days = model.data.days
    totals = {
        metric: {
            day: float(value)
            for day, value in zip(days, model.data.series[(metric, "total", "total")], strict=True)
            if np.isfinite(value)
        }
        for metric in ("orders", "net_sales")
    }
    out = []
    for spike in product_spikes(
        con,
        first=period.start,
        last=period.end,
        total_orders=totals["orders"],
        total_net=totals["net_sales"],
    ):
        i = model.data.index(spike.day)
        severity = severity_of(spike.z)
        gap = spike.orders - spike.expected
        revenue_gap = cents_to_money(spike.net_cents) - cents_to_money(spike.expected_net_cents)
        if severity is None or gap < MIN_CHANGE * spike.expected:
            continue
        if not model.material("orders", i, gap, revenue_gap):
            continue
        fit = model.fits[("orders", "total", "total")]
        out.append(
            Anomaly(
                day=spike.day,
                metric="orders",
                dimension="product",
                member=spike.sku,
                actual=spike.orders,
                expected=round(spike.expected, 1),
                gap=round(gap, 1),
                revenue_gap=revenue_gap,
                z=spike.z,
                severity=severity,
                direction="spike",
                event=fit.event[i],
                new_event=bool(fit.new_event[i]),
            )
        )
    return out


def explain_gap(con: BaseBackend, *, day: date, metric: str = "net_sales") -> list[dict[str, Any]]:
    """Which channel, category and product explain the day's gap against expected (total level):
    one row per member with its actual, expected, gap and share of the total gap, largest first."""
    if metric not in ("orders", "net_sales"):
        raise UserError(f"explain: unknown metric {metric}: use orders or net_sales")
    model = Model(con, last=day)
    return explain_day(con, model, day, metric)


def top_anomalies(con: BaseBackend, period: Period, limit: int = 5) -> list[Anomaly]:
    """The few anomalies of a period worth a morning briefing, explained."""
    return detect_anomalies(con, period=period, limit=limit)
