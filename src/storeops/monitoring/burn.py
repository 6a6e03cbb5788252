"""Error budgets and burn rates: the maths behind SLO alerts, with no database.

The alerting policy is the multiwindow, multi-burn-rate alert of the Google SRE workbook,
chapter 5 "Alerting on SLOs" (https://sre.google/workbook/alerting-on-slos/, table 5-8):

    page    when burn(1h) >= 14.4 and burn(5m)  >= 14.4   (2% of a 30-day budget in an hour)
    page    when burn(6h) >= 6    and burn(30m) >= 6      (5% of the budget in six hours)
    ticket  when burn(3d) >= 1    and burn(6h)  >= 1      (10% of the budget in three days)

A burn rate is the observed error ratio divided by the ratio the objective allows: 1 spends
the budget exactly over the SLO window, 14.4 spends a 30-day budget in about two days. The
short window (1/12 of the long one) makes an alert stop soon after the errors stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

# The alerting windows, by the names used in statuses, the API and the rules below.
WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "3d": timedelta(days=3),
}


@dataclass(frozen=True)
class BurnRule:
    severity: str  # page | ticket
    long_window: str
    short_window: str
    threshold: float


POLICY: tuple[BurnRule, ...] = (
    BurnRule("page", "1h", "5m", 14.4),
    BurnRule("page", "6h", "30m", 6.0),
    BurnRule("ticket", "3d", "6h", 1.0),
)


@dataclass(frozen=True)
class Firing:
    """A rule that holds now, with the burn rates that made it hold."""

    rule: BurnRule
    burn_long: float
    burn_short: float

    @property
    def severity(self) -> str:
        return self.rule.severity


def error_ratio(good: int, total: int) -> float | None:
    """Bad events over all events; None when there were none (no data is not an outage)."""
    if total <= 0:
        return None
    return (total - good) / total


def burn_rate(good: int, total: int, objective: float) -> float | None:
    ratio = error_ratio(good, total)
    if ratio is None:
        return None
    return ratio / (1.0 - objective)


def allowed_bad(total: int, objective: float) -> float:
    """The error budget of a window: how many of `total` events may be bad."""
    return (1.0 - objective) * total


def budget_remaining(good: int, total: int, objective: float) -> float | None:
    """The share of the error budget left: 1 untouched, 0 spent, below 0 overspent."""
    if total <= 0:
        return None
    return 1.0 - (total - good) / allowed_bad(total, objective)


def firing(burns: Mapping[str, float | None]) -> list[Firing]:
    """Every rule of the policy that holds for these burn rates (window name -> rate).

    A window without data (None) holds no rule, so a monitor that stopped reporting pages nobody
    through its SLO; its own failure threshold is what tells people.
    """
    fired = []
    for rule in POLICY:
        long, short = burns.get(rule.long_window), burns.get(rule.short_window)
        if long is None or short is None:
            continue
        if long >= rule.threshold and short >= rule.threshold:
            fired.append(Firing(rule, long, short))
    return fired


def strongest(fired: list[Firing], severity: str) -> Firing | None:
    """The firing rule of a severity with the highest long-window burn, if any."""
    candidates = [f for f in fired if f.severity == severity]
    return max(candidates, key=lambda f: f.burn_long, default=None)
