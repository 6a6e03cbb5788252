"""A small shop for the stock tests, with inventory counts over a few weeks (see test_stock.py
for the figures worked out by hand), and the engine fixture helpers the after-sales data shares.

As of 2025-03-28, period 2025-03-15..28, demand window 2025-03-22..28 (lookback 7 days).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend

from tests.commerce.conftest import postgres_copy
from tests.commerce.shop import SOURCE, _line, _order

AS_OF = date(2025, 3, 28)
SINCE = date(2025, 3, 15)


def product(sku: str, price: str, cost: str | None, *, category="gear", status="active"):
    return {
        "source": SOURCE,
        "source_id": sku,
        "sku": sku,
        "handle": sku.lower(),
        "title": f"Product {sku}",
        "variant_title": None,
        "vendor": "Acme",
        "category": category,
        "price": D(price),
        "compare_at_price": None,
        "cost": D(cost) if cost is not None else None,
        "status": status,
    }


def count(sku: str, location: str, day: date, on_hand: int) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "source_id": f"{sku}|{location}|{day}",
        "sku": sku,
        "location": location,
        "date": day,
        "on_hand": on_hand,
    }


def _sales() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(sku, day, units, price) sales, one order each."""
    sales = [("STEADY", date(2025, 3, 15) + timedelta(days=i), 2, "10") for i in range(14)]
    sales += [
        ("OUTS", date(2025, 3, 16), 2, "20"),
        ("OUTS", date(2025, 3, 23), 1, "20"),  # sold on a day counted out
        ("OUTS", date(2025, 3, 25), 3, "20"),
        ("OUTS", date(2025, 3, 26), 1, "20"),
        ("OUTS", date(2025, 3, 28), 2, "20"),
        ("NOINV", date(2025, 3, 22), 1, "50"),
        ("NOINV", date(2025, 3, 24), 3, "50"),
        ("ARCH", date(2025, 3, 27), 2, "30"),
        ("DEAD", date(2024, 11, 15), 1, "15"),
        ("OUTALL", date(2025, 3, 5), 1, "8"),
    ]
    orders, lines = [], []
    for n, (sku, day, units, price) in enumerate(sales):
        orders.append(_order(f"S{n}", day, 10, f"c{n}"))
        lines.append(_line(f"S{n}", 1, sku, units, price))
    # A voided order is no sale: it moves nothing.
    orders.append(_order("V1", AS_OF, 11, "cv", status="voided"))
    lines.append(_line("V1", 1, "STEADY", 10, "10"))
    return orders, lines


def stock_rows() -> dict[str, list[dict[str, Any]]]:
    orders, lines = _sales()
    return {
        "orders": orders,
        "order_lines": lines,
        "products": [
            product("STEADY", "10", "4"),
            product("OUTS", "20", "8"),
            product("DEAD", "15", "5"),
            product("NEW", "25", None),
            product("NOINV", "50", "20"),
            product("OUTALL", "8", "3"),
            product("ARCH", "30", "10", status="archived"),
        ],
        "inventory_levels": [
            count("STEADY", "main", date(2025, 3, 1), 100),
            count("STEADY", "main", date(2025, 3, 20), 50),
            count("OUTS", "A", date(2025, 3, 10), 5),
            count("OUTS", "A", date(2025, 3, 18), 0),
            count("OUTS", "B", date(2025, 3, 20), 0),
            count("OUTS", "A", date(2025, 3, 25), 3),
            count("DEAD", "main", date(2024, 12, 1), 12),
            count("NEW", "main", date(2025, 3, 20), 10),
            count("OUTALL", "main", date(2025, 3, 1), 0),
            count("ARCH", "main", date(2025, 3, 1), 1),
            count("STEADY", "main", date(2025, 3, 29), 7),  # after the as-of day: not read
        ],
    }


def engine_backend(request: pytest.FixtureRequest, path: Path) -> Iterator[BaseBackend]:
    """The warehouse file on the engine named by the fixture's parameter."""
    if request.param == "duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
        return
    with postgres_copy(request.getfixturevalue("pg_admin_url"), path) as backend:
        yield backend
