"""The shop's calendar: how many orders each day and channel expects, which promotion runs, and
when the site was down.

Demand multipliers (1.0 = an ordinary weekday at the start of the period):
- growth of ~20 % a year;
- weekly pattern per channel (the web dips on Saturday, the app peaks on Sunday evening, the
  shop is closed on Sunday);
- yearly pattern (quiet February and August, busy November and December);
- events: Black Friday (the day after the 4th Thursday of November) and its weekend, Cyber
  Monday, the pre-Christmas ramp and the post-Christmas lull, the January and summer sales;
- promotions lift demand while they run and leave a dip for a week after (pulled-forward buying).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from storeops.connectors.demo.seeds import rng_for

CHANNELS = ("web", "mobile_app", "marketplace", "pos")
CHANNEL_SHARE = np.array([0.55, 0.22, 0.13, 0.10])
# Monday .. Sunday, per channel.
WEEKLY = np.array(
    [
        [1.05, 1.05, 1.00, 1.00, 0.95, 0.82, 1.10],
        [0.95, 0.95, 0.95, 1.00, 1.00, 1.05, 1.20],
        [1.00, 1.00, 1.00, 1.00, 1.00, 1.05, 1.05],
        [0.80, 0.90, 0.90, 1.00, 1.15, 1.90, 0.00],
    ]
)
MONTHLY = np.array([1.0, 0.82, 0.88, 0.92, 0.95, 0.95, 1.0, 0.78, 0.92, 1.0, 1.08, 1.22])
GROWTH_PER_YEAR = 0.2
SALE_WEEKS = (1.6, 1.3, 1.15, 1.05)  # uplift by week of a four-week sale
DIP_DAYS = 7


@dataclass(frozen=True)
class Campaign:
    code: str
    campaign: str
    kind: str  # percentage or fixed_amount (promotions.kind)
    value: int  # percent, or cents for fixed_amount
    first: date
    last: date  # inclusive
    usage: float  # share of eligible orders using the code
    new_customers_only: bool = False
    min_order_cents: int = 0

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Outage:
    """The site (or the app, or payments) was down: orders in the window mostly did not happen."""

    day: int  # index into the calendar
    start_second: int  # local seconds after midnight
    end_second: int
    channels: tuple[int, ...]
    severity: float  # share of orders lost during the window


def black_friday(year: int) -> date:
    november = date(year, 11, 1)
    first_thursday = november + timedelta(days=(3 - november.weekday()) % 7)
    return first_thursday + timedelta(days=21 + 1)


def cyber_monday(year: int) -> date:
    return black_friday(year) + timedelta(days=3)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def winter_sale(year: int) -> tuple[date, date]:
    """French winter sales start on the second Wednesday of January, for four weeks."""
    start = _nth_weekday(year, 1, 2, 2)
    return start, start + timedelta(days=27)


def summer_sale(year: int) -> tuple[date, date]:
    """French summer sales start on the last Wednesday of June, for four weeks."""
    start = _last_weekday(year, 6, 2)
    return start, start + timedelta(days=27)


def campaigns_for(first: date, last: date) -> list[Campaign]:
    found: list[Campaign] = []
    for year in range(first.year - 1, last.year + 1):
        yy = f"{year % 100:02d}"
        bf = black_friday(year)
        winter = winter_sale(year)
        summer = summer_sale(year)
        found += [
            Campaign(f"SOLDES{yy}", "winter sale", "percentage", 30, *winter, usage=0.55),
            Campaign(f"SUMMER{yy}", "summer sale", "percentage", 20, *summer, usage=0.45),
            Campaign(f"BF{yy}", "black friday", "percentage", 25, bf, bf + timedelta(days=2), 0.65),
            Campaign(
                f"CM{yy}",
                "cyber monday",
                "percentage",
                20,
                cyber_monday(year),
                cyber_monday(year),
                0.6,
            ),
            Campaign(
                f"XMAS{yy}",
                "christmas",
                "percentage",
                15,
                date(year, 12, 5),
                date(year, 12, 18),
                0.3,
            ),
        ]
    found = [c for c in found if c.last >= first and c.first <= last]
    found.append(
        Campaign("WELCOME10", "welcome", "fixed_amount", 1000, first, last, 0.2, True, 3000)
    )
    return found


def _event_factor(day: date) -> float:
    bf = black_friday(day.year)
    offset = (day - bf).days
    if -4 <= offset <= -1:
        return 1.35  # Black Friday week
    peaks = {0: 4.5, 1: 2.2, 2: 1.8, 3: 3.2, 4: 1.3}  # BF, its weekend, Cyber Monday, Tuesday
    if offset in peaks:
        return peaks[offset]
    if day.month == 12:
        if day.day <= 20:
            return 1.2 + 0.5 * (day.day - 1) / 19  # the run-up to Christmas
        return {21: 1.5, 22: 1.5, 23: 1.4, 24: 0.8, 25: 0.3}.get(day.day, 0.75)
    if day.month == 1 and day.day == 1:
        return 0.4
    for first, last in (winter_sale(day.year), summer_sale(day.year)):
        if first <= day <= last:
            return SALE_WEEKS[(day - first).days // 7]
    return 1.0


class Calendar:
    """Per-day facts for the period `first` .. `last` (store-local days)."""

    def __init__(self, first: date, last: date, timezone: str, seed: int):
        self.first, self.last = first, last
        self.zone = ZoneInfo(timezone)
        self.dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.n = len(self.dates)
        self.campaigns = campaigns_for(first, last)
        self.welcome = len(self.campaigns) - 1
        seasonal = self.campaigns[: self.welcome]
        self.campaign_of_day = np.array(
            [next((k for k, c in enumerate(seasonal) if c.covers(d)), -1) for d in self.dates]
        )
        total = np.array([self._total_factor(d, seasonal) for d in self.dates])
        weekday = np.array([d.weekday() for d in self.dates])
        # Expected orders per channel, relative to a weekday at the start: (days, channels).
        self.factor = total[:, None] * CHANNEL_SHARE[None, :] * WEEKLY.T[weekday]
        self.load = self.factor.sum(axis=1) / self.factor.sum(axis=1).mean()
        self.outages = self._outages(seed)
        self.end_utc = self.to_utc(last + timedelta(days=1), 0)  # the period's end, exclusive

    def _total_factor(self, day: date, seasonal: list[Campaign]) -> float:
        years = (day - self.first).days / 365.25
        factor = np.exp(GROWTH_PER_YEAR * years) * MONTHLY[day.month - 1] * _event_factor(day)
        if any(c.covers(day) for c in seasonal):
            return float(factor)
        for c in seasonal:  # the week after a promotion is quieter
            after = (day - c.last).days
            if 1 <= after <= DIP_DAYS:
                factor *= 0.78 + 0.22 * (after - 1) / DIP_DAYS
                break
        return float(factor)

    def _outages(self, seed: int) -> list[Outage]:
        rng = rng_for(seed, "incidents", self.first.toordinal(), self.n)
        count = max(1, self.n // 200) if self.n >= 30 else 0
        days = rng.choice(np.arange(self.n - 7), size=count, replace=False) if count else []
        kinds = (((0, 1), 0.95), ((1,), 0.9), ((0, 1, 2), 0.7))  # site, app, payments
        outages = []
        for k, day in enumerate(sorted(int(d) for d in days)):
            start = int(rng.integers(9 * 3600, 21 * 3600))
            channels, severity = kinds[k % len(kinds)]
            duration = int(rng.integers(20, 150)) * 60
            outages.append(Outage(day, start, start + duration, channels, severity))
        return outages

    def to_utc(self, day: date, second: int) -> datetime:
        local = datetime.combine(day, time()) + timedelta(seconds=second)
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def utc_of(self, i: int, seconds: np.ndarray) -> np.ndarray:
        """Store-local seconds after midnight of day `i` -> UTC datetime64[s].

        The UTC offset is looked up per local hour, which follows daylight-saving changes.
        """
        day = self.dates[i]
        midnight = np.datetime64(day, "s")
        offsets = np.array(
            [
                self.zone.utcoffset(datetime.combine(day, time(hour))).total_seconds()
                for hour in range(24)
            ],
            dtype=np.int64,
        )
        shift = offsets[seconds // 3600]
        return midnight + (seconds - shift).astype("timedelta64[s]")

    def day_index(self, utc: np.ndarray) -> np.ndarray:
        """The calendar index of the local day of UTC datetime64[s] values (approximate near
        midnight by at most the UTC offset; used for load, not for dates)."""
        start = np.datetime64(self.first, "s")
        return ((utc - start).astype(np.int64) // 86400).clip(0, self.n - 1)
