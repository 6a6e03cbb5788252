"""Expected net sales per minute, worked out on paper, on DuckDB and PostgreSQL.

Store zone Europe/Paris (UTC+1 in these winter weeks). The hour under test is Tuesday
2025-03-25 14:00-15:00 local, i.e. 13:00-14:00 UTC; the Tuesdays before it are 18, 11 and 4
March and 25 February. Black Friday 2025 is 28 November, in 2024 it was 29 November.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from storeops.commerce.revenue_rate import (
    Basis,
    expected_net_sales_per_minute,
    expected_rate,
)
from storeops.warehouse.connection import ensure_schema
from storeops.warehouse.schema import TABLES
from tests.commerce.conftest import copy_warehouse

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
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)
        for name in {table for table, _ in rows}:
            columns = [c for c, _ in TABLES[name].columns]
            mine = [{c: row.get(c) for c in columns} for table, row in rows if table == name]
            con.register("incoming", pa.Table.from_pylist(mine))
            con.execute(f"INSERT INTO {name} BY NAME SELECT *, 0 AS import_id FROM incoming")
            con.unregister("incoming")
    return path


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rate")
    return {
        "ordinary": write_warehouse(folder / "ordinary.duckdb", ORDINARY),
        "black_friday": write_warehouse(folder / "bf.duckdb", BLACK_FRIDAY_2024 + AUTUMN_2025),
        "new_black_friday": write_warehouse(folder / "new_bf.duckdb", AUTUMN_2025),
        "empty": write_warehouse(folder / "empty.duckdb", []),
    }


@pytest.fixture(scope="module")
def postgres_urls(pg_admin_url: str, shop_files: dict[str, Path]) -> Iterator[dict[str, str]]:
    """Each shop copied into its own PostgreSQL database, dropped afterwards."""
    admin = create_engine(
        pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    names = {shop: f"storeops_rate_{uuid.uuid4().hex[:10]}" for shop in shop_files}
    urls = {}
    try:
        for shop, name in names.items():
            with admin.connect() as con:
                con.execute(text(f'CREATE DATABASE "{name}"'))
            urls[shop] = f"{pg_admin_url.rsplit('/', 1)[0]}/{name}"
            backend = ibis.connect(urls[shop])
            copy_warehouse(shop_files[shop], backend)
            backend.disconnect()
        yield urls
    finally:
        with admin.connect() as con:
            for name in names.values():
                con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["duckdb", "postgres"])
def open_shop(request: pytest.FixtureRequest, shop_files: dict[str, Path]):
    """open_shop(name) -> the named shop on this engine."""
    opened: list[object] = []

    def open_(name: str) -> BaseBackend:
        if request.param == "duckdb":
            con = duckdb.connect(str(shop_files[name]), read_only=True)
            opened.append(con)
            return ibis.duckdb.from_connection(con)
        backend = ibis.connect(request.getfixturevalue("postgres_urls")[name])
        opened.append(backend)
        return backend

    yield open_
    for thing in opened:
        if isinstance(thing, duckdb.DuckDBPyConnection):
            thing.close()
        else:
            thing.disconnect()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(ZONE))


def test_the_median_of_the_same_weekday_and_hour_of_recent_weeks(open_shop) -> None:
    con = open_shop("ordinary")
    rate = expected_rate(con, timezone=ZONE, at=paris(2025, 3, 25, 14, 20))
    assert rate.per_minute == D("1.2833")  # (54 + 100) / 2 / 60
    assert (rate.basis, rate.hours, rate.event) == (Basis.weekday_hour, 4, None)
    same = expected_net_sales_per_minute(con, timezone=ZONE, at=paris(2025, 3, 25, 14, 59))
    assert same == D("1.2833")
    # 15:00 local is another hour: only W1x (999) sold then, on 18 March.
    # The four hours: 999, 0, 0, 0 -> median 0.
    later = expected_net_sales_per_minute(con, timezone=ZONE, at=paris(2025, 3, 25, 15, 0))
    assert later == D("0")


def test_hours_before_the_first_order_are_no_history_not_zero_sales(open_shop) -> None:
    con = open_shop("ordinary")
    # Eight weeks back reaches 28 Jan; the shop starts on 20 Feb, so the same four hours count.
    rate = expected_rate(con, timezone=ZONE, at=paris(2025, 3, 25, 14, 20), weeks=8)
    assert (rate.per_minute, rate.hours) == (D("1.2833"), 4)
    # Two weeks back: 54 and 100 -> 77.
    two = expected_rate(con, timezone=ZONE, at=paris(2025, 3, 25, 14, 20), weeks=2)
    assert (two.per_minute, two.hours) == (D("1.2833"), 2)
    # One week back: 54 -> 0.9.
    one = expected_rate(con, timezone=ZONE, at=paris(2025, 3, 25, 14, 20), weeks=1)
    assert one.per_minute == D("0.9000")
    # A moment before the shop existed has no history at all.
    before = expected_rate(con, timezone=ZONE, at=paris(2025, 1, 7, 14, 20))
    assert (before.per_minute, before.basis) == (D(0), Basis.no_history)


def test_an_empty_warehouse_has_no_sales_history(open_shop) -> None:
    rate = expected_rate(open_shop("empty"), timezone=ZONE, at=paris(2025, 3, 25, 14, 20))
    assert (rate.per_minute, rate.basis, rate.hours) == (D(0), Basis.no_history, 0)


def test_black_friday_scales_this_years_baseline_by_last_years_uplift(open_shop) -> None:
    con = open_shop("black_friday")
    rate = expected_rate(con, timezone=ZONE, at=paris(2025, 11, 28, 10, 5))
    assert rate.per_minute == D("16.6667")  # 100 × (500 / 50) / 60
    assert (rate.basis, rate.event) == (Basis.event, "BF+0")
    assert rate.hours == 5  # 2024's Black Friday hour and its four Fridays
    # The Friday before is an ordinary day. Its Fridays before are 14, 7 Nov and 31 Oct (100,
    # 120, 80) and 24 Oct (no order, but inside the shop's history: 0): (80 + 100) / 2 = 90.
    ordinary = expected_rate(con, timezone=ZONE, at=paris(2025, 11, 21, 10, 5))
    assert (ordinary.per_minute, ordinary.basis) == (D("1.5000"), Basis.weekday_hour)


def test_black_friday_without_a_previous_year_uses_the_ordinary_baseline(open_shop) -> None:
    con = open_shop("new_black_friday")  # the 2025 orders only
    rate = expected_rate(con, timezone=ZONE, at=paris(2025, 11, 28, 10, 5))
    assert (rate.per_minute, rate.basis, rate.event) == (D("1.6667"), Basis.weekday_hour, "BF+0")
