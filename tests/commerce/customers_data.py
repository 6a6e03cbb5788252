"""Eight customers and some guests over January–April 2025 whose cohorts and RFM scores can be
worked out on paper (test_customers.py). Europe/Paris, EUR; one line per order, worth its price.

    c1  5 Jan 100, 20 Jan 50 (refund 10 on 3 Feb), 10 Feb 80, 2 Apr 60
    c2  15 Jan 200 − 20 discount, 3 Mar 40
    c3  25 Jan 30
    c4  1 Feb 120 (refund 20 on 25 Feb), 20 Feb 60, 15 Mar 90
    c5  14 Feb 70, 10 Apr 110 (refund 30 on 5 May, after the period)
    c6  1 Mar 500 voided (not a sale), 5 Mar 45, 1 Apr 55
    c7  20 Apr 25
    c8  10 Dec 2024 300, 5 Feb 65
    guests  10 Jan 35 (refund 5 on 12 Jan), 10 Mar 15
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

from tests.commerce.shop import SOURCE, _line, _order, write_rows

# (order id, day, customer, price, discount, status)
ORDERS = [
    ("a1", date(2025, 1, 5), "c1", "100", "0", "paid"),
    ("a2", date(2025, 1, 20), "c1", "50", "0", "paid"),
    ("a3", date(2025, 2, 10), "c1", "80", "0", "paid"),
    ("a4", date(2025, 4, 2), "c1", "60", "0", "paid"),
    ("b1", date(2025, 1, 15), "c2", "200", "20", "paid"),
    ("b2", date(2025, 3, 3), "c2", "40", "0", "paid"),
    ("c1", date(2025, 1, 25), "c3", "30", "0", "paid"),
    ("d1", date(2025, 2, 1), "c4", "120", "0", "paid"),
    ("d2", date(2025, 2, 20), "c4", "60", "0", "paid"),
    ("d3", date(2025, 3, 15), "c4", "90", "0", "paid"),
    ("e1", date(2025, 2, 14), "c5", "70", "0", "paid"),
    ("e2", date(2025, 4, 10), "c5", "110", "0", "paid"),
    ("f0", date(2025, 3, 1), "c6", "500", "0", "voided"),
    ("f1", date(2025, 3, 5), "c6", "45", "0", "paid"),
    ("f2", date(2025, 4, 1), "c6", "55", "0", "paid"),
    ("g1", date(2025, 4, 20), "c7", "25", "0", "paid"),
    ("h0", date(2024, 12, 10), "c8", "300", "0", "paid"),
    ("h1", date(2025, 2, 5), "c8", "65", "0", "paid"),
    ("x1", date(2025, 1, 10), None, "35", "0", "paid"),
    ("x2", date(2025, 3, 10), None, "15", "0", "paid"),
]
# (refund id, order id, day, amount)
REFUNDS = [
    ("r1", "a2", date(2025, 2, 3), "10"),
    ("r2", "x1", date(2025, 1, 12), "5"),
    ("r3", "d1", date(2025, 2, 25), "20"),
    ("r4", "e2", date(2025, 5, 5), "30"),
]


def _rows() -> dict[str, list[dict]]:
    orders = [
        _order(id_, day, 10, customer, discounts=discount, status=status)
        for id_, day, customer, _, discount, status in ORDERS
    ]
    lines = [_line(id_, 1, "A", 1, price) for id_, _, _, price, _, _ in ORDERS]
    refunds = [
        {
            "source": SOURCE,
            "source_id": id_,
            "order_id": order,
            "refunded_at": datetime(day.year, day.month, day.day, 9),
            "local_date": day,
            "amount": D(amount),
            "reason": "size",
        }
        for id_, order, day, amount in REFUNDS
    ]
    return {"orders": orders, "order_lines": lines, "refunds": refunds}


def build_customers_shop(path: Path) -> Path:
    return write_rows(path, _rows())
