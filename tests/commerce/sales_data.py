"""The hand-made shop of shop.py, plus what the sales and basket tests need, on every engine.

Added to shop.py's rows (store zone Europe/Paris, EUR):
- refund lines for R1 only (O1's refund: one A, 10.00); R2 (O4's, 60.00) keeps none;
- orders around New Year for the ISO weeks: 2024-12-29 is a Sunday (2024-W52), 2024-12-30 a
  Monday (2025-W01 starts in 2024), 2025-01-05 a Sunday (2025-W01), 2025-01-06 a Monday (W02):
    Y1 2024-12-29 A×1 at 10                    no code
    Y2 2024-12-30 B×1 at 30                    "winter10"
    Y3 2025-01-05 C×1 at 100, 10.00 discount   "WINTER10, vip"
    Y4 2025-01-06 A×3 at 10                    no code
  (and shop.py's O0 on 2025-01-10: A×1 at 10);
- baskets in June 2025 (see BASKETS): worked out in test_baskets.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend

from tests.commerce import shop
from tests.commerce.conftest import postgres_copy
from tests.commerce.shop import write_rows
from tests.commerce.spark import spark_backend

HOLIDAY_ORDERS = [
    shop._order("Y1", date(2024, 12, 29), 18, "c1"),
    shop._order("Y2", date(2024, 12, 30), 10, "c2", codes="winter10"),
    shop._order("Y3", date(2025, 1, 5), 10, "c3", discounts="10", codes="WINTER10, vip"),
    shop._order("Y4", date(2025, 1, 6), 10, "c4", channel="app"),
]
HOLIDAY_LINES = [
    shop._line("Y1", 1, "A", 1, "10"),
    shop._line("Y2", 1, "B", 1, "30"),
    shop._line("Y3", 1, "C", 1, "100"),
    shop._line("Y4", 1, "A", 3, "10"),
]
REFUND_LINES = [
    {"source": shop.SOURCE, "refund_id": "R1", "order_id": "O1", "sku": "A", "quantity": 1,
     "amount": D("10")},
]  # fmt: skip

# Baskets of June 2025 (one order each): the SKUs each holds.
BASKETS = {
    "K1": ["P", "Q"],
    "K2": ["P", "Q", "R"],
    "K3": ["P", "R"],
    "K4": ["P", "Q"],
    "K5": ["R", "S"],
    "K6": ["R", "S"],
    "K7": ["S"],
    "K8": ["T", "P"],
    # more than max_basket=4 SKUs in the tests: left out
    "K9": ["P", "Q", "R", "S", "T"],
}
BASKET_ORDERS = [shop._order(k, date(2025, 6, 2), 10, f"b{k}") for k in BASKETS] + [
    shop._order("KV", date(2025, 6, 2), 11, "bKV", status="voided"),  # P+Q, not a sale
]
BASKET_LINES = [
    shop._line(order, no, sku, 1, "5") for order, skus in BASKETS.items()
    for no, sku in enumerate(skus, 1)
] + [
    shop._line("K1", 3, "Q", 1, "5"),  # Q twice in K1: one basket item
    shop._line("KV", 1, "P", 1, "5"),
    shop._line("KV", 2, "Q", 1, "5"),
]  # fmt: skip


def _rows(with_refund_lines: bool) -> dict[str, list[dict]]:
    rows = {name: list(values) for name, values in shop.ROWS.items()}
    rows["orders"] += HOLIDAY_ORDERS + BASKET_ORDERS
    rows["order_lines"] += HOLIDAY_LINES + BASKET_LINES
    rows["refund_lines"] = REFUND_LINES if with_refund_lines else []
    return rows


def build_sales_shop(path: Path, *, with_refund_lines: bool = True) -> Path:
    """Writes the shop with the rows above into a DuckDB warehouse file."""
    return write_rows(path, _rows(with_refund_lines))


@contextmanager
def on_engine(request: pytest.FixtureRequest, engine: str, source: Path) -> Iterator[BaseBackend]:
    """The warehouse file `source` as an Ibis backend of `engine` (duckdb, postgres, pyspark)."""
    if engine == "duckdb":
        with duckdb.connect(str(source), read_only=True) as con:
            yield ibis.duckdb.from_connection(con)
    elif engine == "postgres":
        with postgres_copy(request.getfixturevalue("pg_admin_url"), source) as backend:
            yield backend
    else:
        yield spark_backend(request.getfixturevalue("spark_session"), source)
