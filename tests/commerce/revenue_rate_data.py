"""Hand-made shops whose expected net sales per minute can be worked out on paper.

Store zone Europe/Paris (UTC+1 in these winter weeks). The hour under test is Tuesday
2025-03-25 14:00-15:00 local, i.e. 13:00-14:00 UTC; the Tuesdays before it are 18, 11 and 4
March and 25 February. Black Friday 2025 is 28 November, in 2024 it was 29 November.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

from tests.commerce.shop import write_rows

ZONE = "Europe/Paris"
SOURCE = "test"

Rows = list[tuple[str, dict]]


def order(id_: str, at: datetime, *, lines, discounts="0", status="paid") -> Rows:
    """An order placed at `at` (UTC) and its lines [(qty, price)], as warehouse rows."""
    head = {
        "source": SOURCE,
        "source_id": id_,
        "name": f"#{id_}",
        "created_at": at,
        "local_date": at.date(),
        "currency": "EUR",
        "financial_status": status,
        "is_sale": status != "voided",
        "discounts": D(discounts),
        "shipping": D(0),
        "taxes": D(0),
        "refunded": D(0),
    }
    body = [
        {
            "source": SOURCE,
            "order_id": id_,
            "line_no": no,
            "sku": "A",
            "quantity": qty,
            "price": D(price),
            "discount": D(0),
        }
        for no, (qty, price) in enumerate(lines, start=1)
    ]
    return [("orders", head)] + [("order_lines", line) for line in body]


def refund(id_: str, order_id: str, at: datetime, amount: str) -> Rows:
    row = {
        "source": SOURCE,
        "source_id": id_,
        "order_id": order_id,
        "refunded_at": at,
        "local_date": at.date(),
        "amount": D(amount),
    }
    return [("refunds", row)]


def utc(*args: int) -> datetime:
    return datetime(*args)


# Tuesdays at 14:00-15:00 Paris: 54 (18 Mar), 100 (11 Mar), 0 (4 Mar), 300 (25 Feb).
# Median (54 + 100) / 2 = 77 an hour = 1.2833 a minute.
ORDINARY = [
    *order("W1", utc(2025, 3, 18, 13, 10), lines=[(2, "30")], discounts="6"),  # 54
    *order("W1x", utc(2025, 3, 18, 14, 5), lines=[(1, "999")]),  # 15:05 Paris: next hour
    *order("W2", utc(2025, 3, 11, 13, 30), lines=[(1, "80"), (2, "20")]),  # 120
    *refund("R2", "W2", utc(2025, 3, 11, 13, 45), "20"),  # a return in the hour: 100
    *order("W3x", utc(2025, 3, 4, 9, 0), lines=[(1, "40")]),  # that Tuesday, not that hour
    *order("W4", utc(2025, 2, 25, 13, 59), lines=[(3, "100")]),  # 300
    *order("W4v", utc(2025, 2, 25, 13, 20), lines=[(1, "500")], status="voided"),
    *order("W0", utc(2025, 2, 20, 8, 0), lines=[(1, "10")]),  # the shop's first order
    *order("W9", utc(2025, 3, 24, 8, 0), lines=[(1, "10")]),  # its last one before the test
]
# Black Friday, 10:00-11:00 Paris = 09:00-10:00 UTC.
# 2025: the four Fridays before (21, 14, 7 Nov, 31 Oct) sold 100, 100, 120, 80: median 100.
# 2024: Black Friday sold 500; its four Fridays before (22, 15, 8, 1 Nov) 50 each: uplift 10.
# Expected: 100 × 10 = 1,000 an hour = 16.6667 a minute.
BLACK_FRIDAY_2024 = [
    *order("B24", utc(2024, 11, 29, 9, 30), lines=[(5, "100")]),
    *[
        row
        for i, day in enumerate((22, 15, 8, 1))
        for row in order(f"P24-{i}", utc(2024, 11, day, 9, 15), lines=[(1, "50")])
    ],
]
# 31 Oct 2025 is in winter time again (UTC+1): 09:15 UTC is 10:15 in Paris.
AUTUMN_2025 = [
    *[
        row
        for i, (day, month, amount) in enumerate(
            ((21, 11, "100"), (14, 11, "100"), (7, 11, "120"), (31, 10, "80"))
        )
        for row in order(f"P25-{i}", utc(2025, month, day, 9, 15), lines=[(1, amount)])
    ],
    *order("L25", utc(2025, 11, 27, 20, 0), lines=[(1, "10")]),  # the day before
]


def write_warehouse(path: Path, rows: Rows) -> Path:
    tables: dict[str, list[dict]] = {}
    for table, row in rows:
        tables.setdefault(table, []).append(row)
    return write_rows(path, tables)
