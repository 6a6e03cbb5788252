"""A small shop for the after-sales tests: orders of 2025-03-01..07 with refunds itemised and
not, and tickets around that week in Europe/Paris (figures worked out in test_aftersales.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

from tests.commerce.shop import SOURCE, _line, _order
from tests.commerce.stock_data import product


def refund(id_, order, day, amount, reason):
    return {
        "source": SOURCE,
        "source_id": id_,
        "order_id": order,
        "refunded_at": datetime(day.year, day.month, day.day, 9),
        "local_date": day,
        "amount": D(amount),
        "reason": reason,
    }


def refund_line(refund_id, order, sku, qty, amount):
    return {
        "source": SOURCE,
        "refund_id": refund_id,
        "order_id": order,
        "sku": sku,
        "quantity": qty,
        "amount": D(amount),
    }


def ticket(id_, opened, local_day, response=None, resolved=None, *, status, category, sat=None):
    return {
        "source": SOURCE,
        "source_id": id_,
        "opened_at": opened,
        "local_date": local_day,
        "first_response_at": response,
        "resolved_at": resolved,
        "status": status,
        "category": category,
        "channel": "email",
        "satisfaction": sat,
        "order_id": None,
        "sku": None,
    }


def aftersales_rows() -> dict[str, list[dict[str, Any]]]:
    d = date
    t = datetime
    return {
        "orders": [
            _order("O1", d(2025, 3, 2), 10, "c1"),
            _order("O2", d(2025, 3, 3), 10, "c2"),
            _order("O3", d(2025, 3, 5), 10, "c3"),
            _order("O5", d(2025, 2, 20), 10, "c5"),  # before the week: not in its cohort
            _order("O6", d(2025, 3, 4), 10, "c6"),
            _order("O7", d(2025, 3, 6), 10, "c7", status="voided"),
        ],
        "order_lines": [
            _line("O1", 1, "S1", 2, "50"),
            _line("O1", 2, "S2", 1, "40"),
            _line("O2", 1, "S1", 1, "50"),
            _line("O2", 2, "K1", 2, "5", discount="2"),
            _line("O3", 1, "S3", 1, "60"),
            _line("O5", 1, "S1", 1, "50"),
            _line("O6", 1, "S2", 1, "40"),
            _line("O7", 1, "S3", 1, "60"),
        ],
        "refunds": [
            refund("R1", "O1", d(2025, 3, 9), "50", "size"),
            refund("R2", "O2", d(2025, 3, 10), "29", "damaged"),  # no lines: apportioned
            refund("R3", "O6", d(2025, 3, 6), "45", None),  # 5 of it is shipping
            refund("R5", "O5", d(2025, 3, 3), "50", "size"),
            refund("R7", "O7", d(2025, 3, 7), "60", "size"),  # a voided order is no sale
        ],
        "refund_lines": [
            refund_line("R1", "O1", "S1", 1, "50"),
            refund_line("R3", "O6", "S2", 1, "40"),
            refund_line("R5", "O5", "S1", 1, "50"),
        ],
        "products": [
            product("S1", "50", "20", category="shoes"),
            product("S2", "40", "15", category="shoes"),
            product("S3", "60", "25", category="shoes"),
            product("K1", "5", None, category="socks"),
        ],
        # Paris is UTC+1 in early March: the week is 28 Feb 23:00 .. 7 Mar 23:00 UTC.
        "tickets": [
            ticket(
                "T1",
                t(2025, 3, 1, 9),
                d(2025, 3, 1),
                t(2025, 3, 1, 11),
                t(2025, 3, 2, 9),
                status="closed",
                category="return",
                sat=5,
            ),
            ticket(
                "T2",
                t(2025, 3, 2, 10),
                d(2025, 3, 2),
                t(2025, 3, 3, 16),
                t(2025, 3, 5, 10),
                status="closed",
                category="return",
                sat=3,
            ),
            ticket(
                "T3",
                t(2025, 3, 3, 8),
                d(2025, 3, 3),
                t(2025, 3, 3, 14),
                t(2025, 3, 3, 20),
                status="resolved",
                category="damaged",
                sat=4,
            ),
            ticket(
                "T4",
                t(2025, 3, 6, 12),
                d(2025, 3, 6),
                t(2025, 3, 6, 13),
                t(2025, 3, 9, 12),  # resolved after the week
                status="resolved",
                category="return",
            ),
            ticket("T5", t(2025, 3, 4, 9), d(2025, 3, 4), status="open", category="question"),
            ticket(
                "T6",
                t(2025, 2, 25, 10),
                d(2025, 2, 25),
                t(2025, 2, 25, 12),
                t(2025, 3, 2, 10),
                status="closed",
                category="return",
            ),
            ticket("T7", t(2025, 2, 20, 10), d(2025, 2, 20), status="closed", category="return"),
            # 23:30 Paris on 7 March, and 00:30 Paris on 8 March
            ticket("T8", t(2025, 3, 7, 22, 30), d(2025, 3, 7), status="open", category="question"),
            ticket("T9", t(2025, 3, 7, 23, 30), d(2025, 3, 8), status="open", category="question"),
        ],
    }
