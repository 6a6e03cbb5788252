"""The expected value of a daily series, from its own history only, and how surprising a day is.

Pure maths on one small series (one value per store-local day); no engine here. For each day t,
using days before t only (no peeking at the future):

- weekday profile: the median of the last WEEKDAY_WEEKS values of each weekday (event days
  left out), divided by the mean of the seven medians;
- level: the median of the last LEVEL_DAYS values divided by their weekday's profile;
- yearly factor, when a year of history exists: how much the level moved last year between the
  same baseline window and the same week (364 days back, so weekdays line up);
- event factor: events are aligned by EVENT, not by date (Black Friday is the day after the 4th
  Thursday of November; Cyber Monday follows it). The factor is the median of actual / expected
  on the same event day of previous years. Without a previous year it is 1 and the day is marked.

expected = level × weekday profile × yearly factor × event factor. The surprise of a day is a
robust z-score: its residual over the MAD of the residuals of the previous NOISE_DAYS ordinary
(non-event) days.
Counts and money are compared on a square-root scale (2(√actual − √expected): their variance
grows with the mean, as for a compound Poisson); rates as plain residuals.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

WEEKDAY_WEEKS = 12
LEVEL_DAYS = 28
MIN_LEVEL_DAYS = 10
YEAR_LAG = 364  # 52 weeks: the same weekday last year
YEAR_HALF_WINDOW = 7
YEAR_FACTOR_BOUNDS = (0.25, 4.0)
EVENT_YEARS = 3  # previous occurrences of an event used for its factor
NOISE_DAYS = 56
MIN_NOISE_DAYS = 14
MAD_TO_SIGMA = 1.4826  # MAD × this = standard deviation for normal noise
EVENT_SPREAD = 0.25  # how far a member's event effect typically strays from its parent's


def black_friday(year: int) -> date:
    """The day after the 4th Thursday of November (US Thanksgiving)."""
    november = date(year, 11, 1)
    first_thursday = november + timedelta(days=(3 - november.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def event_label(day: date) -> str | None:
    """The event a day belongs to, named by its offset to the event ('BF-2', 'CM+0', 'Xmas-3')."""
    offset = (day - black_friday(day.year)).days
    if -4 <= offset <= 2:
        return f"BF{offset:+d}"
    if 3 <= offset <= 4:  # Cyber Monday is the Monday after Black Friday
        return f"CM{offset - 3:+d}"
    if day.month == 12 and day.day >= 18:
        return f"Xmas{day.day - 25:+d}"
    if day.month == 1 and day.day <= 2:
        return f"NY{day.day - 1:+d}"
    return None


@dataclass(frozen=True)
class Fit:
    """Per day of the series: what was expected and how surprising the actual value is."""

    expected: np.ndarray  # NaN where the history is too short
    z: np.ndarray  # robust z-score of the residual; NaN where it cannot be judged
    event: list[str | None]
    new_event: np.ndarray  # an event day with no previous year to learn its effect from
    event_factor: np.ndarray  # 1 on ordinary days


def fit_series(
    days: Sequence[date],
    values: np.ndarray,
    *,
    scale_power: float = 0.5,
    min_sigma: float | np.ndarray = 0.0,
    parent_events: np.ndarray | None = None,
) -> Fit:
    """Expected values and robust z-scores of consecutive days' `values` (NaN = no data yet).

    scale_power 0.5 for counts and money (square-root residuals), 0 for rates. min_sigma: the
    least noise a residual can have (1 for counts; √(average order value) for money, a compound
    Poisson's floor). parent_events: the event factors of the series this one is part of (a
    channel's are the total's): a member's own, noisier estimate is shrunk towards them.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    labels = [event_label(d) for d in days]
    is_event = np.array([label is not None for label in labels], dtype=bool)
    weekday = np.array([d.weekday() for d in days], dtype=int)

    profile = _weekday_profile(x, is_event, weekday)
    with np.errstate(divide="ignore", invalid="ignore"):
        deseasoned = np.where((profile > 0) & ~is_event, x / profile, np.nan)
    y = pd.Series(deseasoned)
    level = y.rolling(LEVEL_DAYS, min_periods=MIN_LEVEL_DAYS).median().shift(1).to_numpy()
    around = y.rolling(2 * YEAR_HALF_WINDOW + 1, center=True, min_periods=5).median().to_numpy()
    yearly = np.ones(n)
    if n > YEAR_LAG:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = around[:-YEAR_LAG] / level[:-YEAR_LAG]
        ratio = np.where(np.isfinite(ratio), np.clip(ratio, *YEAR_FACTOR_BOUNDS), 1.0)
        yearly[YEAR_LAG:] = ratio
    # An event's factor is learned against level × weekday alone, the same way every year.
    yearly[is_event] = 1.0
    before_events = level * profile * yearly
    sigma = _noise(x, before_events, is_event, scale_power, min_sigma)
    factor, new_event = _event_factors(x, before_events, sigma, labels, scale_power, parent_events)
    expected = before_events * factor
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, _residual(x, expected, scale_power) / sigma, np.nan)
    return Fit(expected, z, labels, new_event, factor)


def within(member: Fit, parent: Fit, parent_values: np.ndarray) -> np.ndarray:
    """A member's expected value given its parent's actual: the parent's actual × the member's
    expected share. Shocks the whole shop shares (a rainy day, a newsletter) cancel out, and
    what is left is the member's own trouble: a channel down, a category gone."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(parent.expected > 0, member.expected / parent.expected, np.nan)
    return np.asarray(parent_values, dtype=float) * share


def judge(
    fit: Fit,
    values: np.ndarray,
    expected: np.ndarray,
    *,
    scale_power: float = 0.5,
    min_sigma: float | np.ndarray = 0.0,
) -> Fit:
    """`fit` with another expected value (within(), or orders = sessions × expected conversion)
    and the robust z-scores of the values against it."""
    x = np.asarray(values, dtype=float)
    is_event = np.array([label is not None for label in fit.event], dtype=bool)
    sigma = _noise(x, expected, is_event, scale_power, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, _residual(x, expected, scale_power) / sigma, np.nan)
    return Fit(expected, z, fit.event, fit.new_event, fit.event_factor)


def _residual(x: np.ndarray, expected: np.ndarray, scale_power: float) -> np.ndarray:
    """Plain residuals for rates; for counts and money the square-root (Anscombe) residual
    2(√x − √e), whose spread does not grow with the level and whose tails stay honest for a
    drop to near zero (a Pearson residual would understate it)."""
    if not scale_power:
        return x - expected
    with np.errstate(invalid="ignore"):
        return 2 * (np.sqrt(np.maximum(x, 0)) - np.sqrt(np.maximum(expected, 0)))


def _noise(x, before_events, is_event, scale_power, min_sigma) -> np.ndarray:  # type: ignore[no-untyped-def]
    """1.4826 × the MAD of the residuals of the NOISE_DAYS ordinary days before each day."""
    residual = np.where(is_event, np.nan, _residual(x, before_events, scale_power))
    sigma = MAD_TO_SIGMA * _rolling_mad(residual)
    return np.where(np.isfinite(sigma), np.maximum(sigma, min_sigma), np.nan)


def _weekday_profile(x: np.ndarray, is_event: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Each day's weekday factor, from the WEEKDAY_WEEKS same weekdays before it."""
    n = len(x)
    medians = np.full((n, 7), np.nan)
    clean = np.where(is_event, np.nan, x)
    for wd in range(7):
        idx = np.flatnonzero(weekday == wd)
        rolling = pd.Series(clean[idx]).rolling(WEEKDAY_WEEKS, min_periods=3).median()
        column = np.full(n, np.nan)
        column[idx] = rolling.to_numpy()
        # known from the day after: shift by one day, then carry forward
        medians[:, wd] = pd.Series(column).shift(1).ffill().to_numpy()
    mean = medians.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        profile = medians[np.arange(n), weekday] / mean
    return np.where(mean == 0, 1.0, profile)  # a series of zeros has a flat profile


def _event_factors(x, before_events, sigma, labels, scale_power, parent):  # type: ignore[no-untyped-def]
    """Each event day's factor: the median actual/expected of the same event in earlier years,
    shrunk towards the parent's factor as much as that estimate is noisy."""
    n = len(x)
    factor = np.ones(n) if parent is None else np.asarray(parent, dtype=float).copy()
    new_event = np.zeros(n, dtype=bool)
    seen: dict[str, list[tuple[float, float]]] = defaultdict(list)  # (ratio, its variance)
    for i, label in enumerate(labels):
        if label is None:
            continue
        past = seen[label][-EVENT_YEARS:]
        if past:
            own = float(np.median([ratio for ratio, _ in past]))
            variance = float(np.mean([v for _, v in past])) / len(past)
            weight = 1.0 if parent is None else EVENT_SPREAD**2 / (EVENT_SPREAD**2 + variance)
            factor[i] = weight * own + (1 - weight) * factor[i]
        elif parent is None:
            new_event[i] = True
        e = before_events[i]
        if e > 0 and np.isfinite(e) and np.isfinite(x[i]) and np.isfinite(sigma[i]):
            # ratio = x / e, whose spread is about sigma × e^p / e
            seen[label].append((x[i] / e, (sigma[i] * e ** (scale_power - 1)) ** 2))
    return factor, new_event


def _rolling_mad(values: np.ndarray) -> np.ndarray:
    """Each day's median absolute deviation of the finite values of the NOISE_DAYS days before
    it (NaN with fewer than MIN_NOISE_DAYS), as one array operation: a window at a time in
    Python was most of the anomaly model's time."""
    finite = np.where(np.isfinite(values), values, np.nan)
    before = np.concatenate([np.full(NOISE_DAYS, np.nan), finite[:-1]])
    windows = np.lib.stride_tricks.sliding_window_view(before, NOISE_DAYS)
    enough = np.isfinite(windows).sum(axis=1) >= MIN_NOISE_DAYS
    with warnings.catch_warnings():  # windows without any value: NaN, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(windows, axis=1)
        mad = np.nanmedian(np.abs(windows - median[:, None]), axis=1)
    return np.where(enough, mad, np.nan)
