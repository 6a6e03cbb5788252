"""A small shop with promotions whose baselines can be worked out on paper (test_promotions.py).

Europe/Paris (UTC+1 in winter), EUR. Data from Monday 6 January to Friday 28 February 2025. Each
day has one guest order of one line worth DAILY[day] (40 unless listed; 0 = no such order), plus
the coded orders of CODED. Campaigns (store-local days):
- welcome   WELCOME    6 Jan – 28 Feb (evergreen: background for the others)
- launch    HELLO      6 – 7 Jan (starts with the data: no baseline)
- flash     FLASH      22 Jan; flash again: FLASH2 20 Feb (a second run of the same name)
- spring    SPRING10   7 – 9 Feb (its ends_at is local midnight of 10 Feb: exclusive)
            SPRINGVIP  8 – 9 Feb
- influencer INFLU     no dates
GHOST is used on an order but is in no campaign.

Spring with weeks=4, after_days=2: lookback Fri 10 Jan – Thu 6 Feb; flash's day and the 2 days
after it (22–24 Jan) are left out, launch's (6–9 Jan) are before the lookback.
  Fri: 10 Jan 100, 17 Jan 140, 31 Jan 120 (24 Jan's 999 left out) -> median 120
  Sat: 200, 260, 230, 1000 -> 245      Sun: 50, 70, 60, 80 -> 65
  Mon: 150, 150, 170, 130 -> 150       Tue: 90, 110, 100, 100 -> 100
Actual: Fri 7 Feb 100 + (200 − 20) = 280; Sat 8 Feb (300 − 30) + (100 − 15) = 355 (the voided
order does not count); Sun 9 Feb 150 − 50 = 100 -> 735 against 430: incremental 305.
After: Mon 10 Feb 100, Tue 11 Feb 90 -> 190 against 250: dip 60.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

from tests.commerce.shop import SOURCE, _line, _order, write_rows

FIRST = date(2025, 1, 6)
LAST = date(2025, 2, 28)
DAILY = {
    date(2025, 1, 6): 0,  # launch days: HELLO orders only
    date(2025, 1, 7): 0,
    date(2025, 1, 10): 100,
    date(2025, 1, 17): 140,
    date(2025, 1, 24): 999,
    date(2025, 1, 31): 120,
    date(2025, 1, 11): 200,
    date(2025, 1, 18): 260,
    date(2025, 1, 25): 230,
    date(2025, 2, 1): 1000,
    date(2025, 1, 12): 50,
    date(2025, 1, 19): 70,
    date(2025, 1, 26): 60,
    date(2025, 2, 2): 80,
    date(2025, 1, 13): 150,
    date(2025, 1, 20): 150,
    date(2025, 1, 27): 170,
    date(2025, 2, 3): 130,
    date(2025, 1, 14): 90,
    date(2025, 1, 21): 110,
    date(2025, 1, 28): 100,
    date(2025, 2, 4): 100,
    date(2025, 1, 22): 0,  # flash: its FLASH order only
    date(2025, 2, 7): 100,
    date(2025, 2, 8): 0,
    date(2025, 2, 9): 0,
    date(2025, 2, 10): 100,
    date(2025, 2, 11): 90,
}
# (order id, day, codes as typed, line price, order discount, status)
CODED = [
    ("H1", date(2025, 1, 6), "HELLO", "100", "10", "paid"),
    ("H2", date(2025, 1, 7), "HELLO", "100", "10", "paid"),
    ("F1", date(2025, 1, 22), "FLASH", "500", "100", "paid"),
    ("S1", date(2025, 2, 7), "SPRING10", "200", "20", "paid"),
    ("S2", date(2025, 2, 8), "SPRING10", "300", "30", "paid"),
    ("S3", date(2025, 2, 8), "spring10, welcome ", "100", "15", "paid"),
    ("S4", date(2025, 2, 8), "SPRING10", "500", "50", "voided"),
    ("V1", date(2025, 2, 9), "SPRINGVIP", "150", "50", "paid"),
    ("W1", date(2025, 2, 12), "WELCOME", "80", "10", "paid"),
    ("G1", date(2025, 2, 12), "ghost", "60", "6", "paid"),
    ("I1", date(2025, 2, 13), "INFLU", "70", "7", "paid"),
]


def _utc(local: datetime) -> datetime:
    return local - timedelta(hours=1)  # Paris in winter


def _promo(code, campaign, first, last_exclusive_midnight=None, last=None):
    starts = _utc(datetime.combine(first, datetime.min.time())) if first else None
    if last_exclusive_midnight:
        ends = _utc(datetime.combine(last_exclusive_midnight, datetime.min.time()))
    elif last:
        ends = _utc(datetime.combine(last, datetime.min.time()) + timedelta(seconds=86399))
    else:
        ends = None
    return {
        "source": SOURCE,
        "source_id": code.upper(),
        "code": code,
        "campaign": campaign,
        "kind": "percentage",
        "value": D("10"),
        "starts_at": starts,
        "ends_at": ends,
    }


PROMOTIONS = [
    _promo("WELCOME", "welcome", FIRST, last=LAST),
    _promo("HELLO", "launch", FIRST, last=date(2025, 1, 7)),
    _promo("FLASH", "flash", date(2025, 1, 22), last=date(2025, 1, 22)),
    _promo("FLASH2", "flash", date(2025, 2, 20), last=date(2025, 2, 20)),
    _promo("SPRING10", "spring", date(2025, 2, 7), last_exclusive_midnight=date(2025, 2, 10)),
    _promo("SPRINGVIP", "spring", date(2025, 2, 8), last=date(2025, 2, 9)),
    _promo("INFLU", "influencer", None),
]


def _rows() -> dict[str, list[dict]]:
    orders, lines = [], []
    day = FIRST
    while day <= LAST:
        value = DAILY.get(day, 40)
        if value:
            orders.append(_order(f"D{day:%m%d}", day, 12, None))
            lines.append(_line(f"D{day:%m%d}", 1, "A", 1, str(value)))
        day += timedelta(days=1)
    for id_, day, codes, price, discount, status in CODED:
        orders.append(_order(id_, day, 14, None, codes=codes, discounts=discount, status=status))
        lines.append(_line(id_, 1, "B", 1, price))
    return {"orders": orders, "order_lines": lines, "promotions": PROMOTIONS}


def build_promotions_shop(path: Path) -> Path:
    return write_rows(path, _rows())
