"""Expected net sales per minute, worked out on paper (revenue_rate_data.py), on DuckDB and
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, text

from storeops.commerce.revenue_rate import (
    Basis,
    expected_net_sales_per_minute,
    expected_rate,
)
from tests.commerce.conftest import copy_warehouse
from tests.commerce.revenue_rate_data import (
    AUTUMN_2025,
    BLACK_FRIDAY_2024,
    ORDINARY,
    ZONE,
    write_warehouse,
)


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
