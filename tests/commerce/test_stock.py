"""Stock health on a small shop worked out by hand (tests/commerce/stock_data.py), on every
engine; the CLI's JSON; and the demo shop's stock-outs and dead stock."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.period import Period
from storeops.commerce.stock import StockRow, stock_comparison, stock_health, stock_risks
from storeops.core.errors import UserError
from tests.commerce.conftest import ENGINES
from tests.commerce.shop import write_rows
from tests.commerce.stock_data import AS_OF, SINCE, engine_backend, stock_rows

Z95 = 1.6448536269514722  # the 95 % quantile of the standard normal
PARAMS = dict(lookback_days=7, lead_time_days=4, service_level=0.95, cycle_days=7, dead_days=30)


@pytest.fixture(scope="module")
def stock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rows(tmp_path_factory.mktemp("stock") / "warehouse.duckdb", stock_rows())


@pytest.fixture(scope="module", params=ENGINES)
def stock_shop(request: pytest.FixtureRequest, stock_file: Path) -> Iterator[BaseBackend]:
    yield from engine_backend(request, stock_file)


@pytest.fixture(scope="module")
def rows(stock_shop: BaseBackend) -> dict[str, StockRow]:
    return {r.sku: r for r in stock_health(stock_shop, as_of=AS_OF, since=SINCE, **PARAMS)}


def test_steady_seller(rows) -> None:
    r = rows["STEADY"]
    assert r.on_hand == 50  # the count of 20 March; the one of 29 March is after as_of
    assert r.velocity == pytest.approx(2.0)  # 2 a day; the voided order of 10 units is no sale
    assert r.demand_sd == pytest.approx(0.0) and r.xyz == "X"
    assert r.days_of_cover == pytest.approx(25.0)
    assert r.stockout_date == date(2025, 4, 22)
    assert r.stockout_days == 0 and r.lost_sales == D("0.00")
    assert (r.safety_stock, r.reorder_point, r.reorder_qty) == (0, 8, 0)  # 2 × 4 days
    assert r.units_sold == 28 and r.revenue == D("280.00")
    assert r.sell_through == pytest.approx(28 / 78)
    assert r.stock_value == D("200.00")  # 50 × 4
    assert r.last_sold == AS_OF and r.days_since_sale == 0
    assert not r.dead and not r.slow


def test_stock_outs_over_two_locations(rows) -> None:
    r = rows["OUTS"]
    # A: 5 from 10 March, 0 from 18 March, 3 from 25 March; B: 0 from 20 March.
    assert r.on_hand == 3
    assert r.stockout_days == 7  # 18..24 March
    # Window 22..28: in stock 25..28, plus 23 March when it sold while counted out: 5 days,
    # 7 units: 1, 3, 1, 0, 2.
    assert r.velocity == pytest.approx(1.4)
    sd = math.sqrt(5.2 / 4)
    assert r.demand_sd == pytest.approx(sd)
    assert r.xyz == "Y"  # cv 0.81
    assert r.lost_sales == D("196.00")  # 1.4 × 7 days × 20
    assert r.days_of_cover == pytest.approx(3 / 1.4)
    assert r.stockout_date == date(2025, 3, 30)
    safety = Z95 * sd * 2  # √4 days
    assert r.safety_stock == math.ceil(safety) == 4
    assert r.reorder_point == math.ceil(1.4 * 4 + safety) == 10
    assert r.reorder_qty == math.ceil(1.4 * 4 + safety + 1.4 * 7 - 3) == 17
    assert r.units_sold == 9 and r.revenue == D("180.00")
    assert r.sell_through == pytest.approx(0.75)


def test_dead_slow_and_never_sold(rows) -> None:
    dead = rows["DEAD"]  # 12 on hand since 1 December, last sold 15 November
    assert dead.dead and not dead.slow
    assert dead.velocity == 0 and dead.days_of_cover is None and dead.stockout_date is None
    assert dead.last_sold == date(2024, 11, 15) and dead.days_since_sale == 133
    assert dead.stock_value == D("60.00") and dead.sell_through == 0
    assert dead.xyz is None and dead.abc == "C"

    new = rows["NEW"]  # received 20 March, never sold, no cost: not dead yet, slow
    assert not new.dead and new.slow
    assert new.last_sold is None and new.days_since_sale is None
    assert new.stock_value is None and new.cost is None
    assert new.units_sold == 0 and new.revenue == D("0.00")


def test_sku_without_inventory_history(rows) -> None:
    r = rows["NOINV"]  # sold 1 and 3 units in the window, never counted
    assert r.on_hand is None and r.stockout_days is None and r.lost_sales is None
    assert r.days_of_cover is None and r.stockout_date is None and r.sell_through is None
    assert r.velocity == pytest.approx(4 / 7)  # every day of the window counts
    sd = math.sqrt((10 - 16 / 7) / 6)
    assert r.demand_sd == pytest.approx(sd) and r.xyz == "Z"
    assert r.reorder_point == math.ceil(4 / 7 * 4 + Z95 * sd * 2) == 7
    assert r.reorder_qty is None and r.stock_value is None and not r.dead


def test_out_of_stock_for_the_whole_window(rows) -> None:
    r = rows["OUTALL"]  # counted 0 since 1 March, last sold 5 March
    assert r.on_hand == 0 and r.stockout_days == 14
    assert r.velocity is None and r.lost_sales is None and r.reorder_point is None
    assert r.xyz is None


def test_abc_by_revenue(rows) -> None:
    # 280 (STEADY) + 200 (NOINV) + 180 (OUTS) + 60 (ARCH) = 720; the SKU crossing 80 % is A.
    assert {sku: r.abc for sku, r in rows.items()} == {
        "STEADY": "A",
        "NOINV": "A",
        "OUTS": "A",
        "ARCH": "B",
        "DEAD": "C",
        "NEW": "C",
        "OUTALL": "C",
    }
    assert rows["ARCH"].xyz == "Z"


def test_rows_sorted_by_revenue(stock_shop) -> None:
    skus = [r.sku for r in stock_health(stock_shop, as_of=AS_OF, since=SINCE, **PARAMS)]
    assert skus[:4] == ["STEADY", "NOINV", "OUTS", "ARCH"]


def test_risks_sorted_by_cover_without_archived(stock_shop) -> None:
    params = dict(lookback_days=7, service_level=0.95, cycle_days=7)
    # ARCH would run out in 3.5 days but is archived: not restocked on purpose.
    risks = stock_risks(stock_shop, as_of=AS_OF, lead_time_days=4, **params)
    assert [r.sku for r in risks] == ["OUTS"]
    risks = stock_risks(stock_shop, as_of=AS_OF, lead_time_days=30, **params)
    assert [(r.sku, round(r.days_of_cover, 2)) for r in risks] == [("OUTS", 2.14), ("STEADY", 25)]
    assert risks[0].dead is None  # the risk list does not read the sales history
    assert stock_risks(stock_shop, as_of=AS_OF, lead_time_days=30, limit=1, **params)[0].sku == (
        "OUTS"
    )


def test_service_level_is_checked(stock_shop) -> None:
    with pytest.raises(UserError, match="service level"):
        stock_health(stock_shop, as_of=AS_OF, service_level=1.0)


def test_comparison_with_an_earlier_period(rows) -> None:
    steady, outs = rows["STEADY"], rows["OUTS"]
    earlier = [
        replace(steady, velocity=1.0, units_sold=14, lost_sales=D("5.00"), stockout_days=1),
        replace(outs, sku="GONE"),  # sold then, unknown now: not in the per-SKU figures
    ]
    before = Period(date(2025, 2, 1), date(2025, 2, 28))
    compared = stock_comparison([steady, outs], earlier, before)
    assert (compared["previous"]["from"], compared["previous"]["to"]) == (
        "2025-02-01",
        "2025-02-28",
    )
    velocity = compared["skus"]["STEADY"]["change"]["velocity"]
    assert velocity == {"absolute": pytest.approx(1.0), "relative": pytest.approx(1.0)}  # 2 vs 1
    assert compared["skus"]["STEADY"]["change"]["lost_sales"] == {
        "absolute": D("-5.00"),
        "relative": -1.0,
    }
    assert compared["skus"]["OUTS"]["previous"]["velocity"] is None
    assert compared["skus"]["OUTS"]["change"]["velocity"] == {"absolute": None, "relative": None}
    assert set(compared["skus"]) == {"STEADY", "OUTS"}
    totals = compared["change"]["totals"]
    assert totals["stockout_days"]["absolute"] == (0 + outs.stockout_days) - (
        1 + outs.stockout_days
    )
    assert compared["previous"]["totals"]["skus"] == 2


def test_stock_cli_json(cli, workspace) -> None:
    write_rows(workspace.duckdb_path(), stock_rows())
    ws = workspace.workspace
    result = cli("stock", "-w", ws, "--from", "2025-03-15", "--to", "2025-03-28", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["from"] == "2025-03-15" and data["as_of"] == "2025-03-28"
    assert data["view"] == "all" and data["currency"] == "EUR"
    assert set(data["totals"]) == {
        "skus",
        "on_hand",
        "stock_value",
        "stockout_days",
        "lost_sales",
        "at_risk",
        "dead_skus",
        "dead_value",
        "slow_skus",
        "slow_value",
    }
    assert data["totals"]["skus"] == 7 and data["totals"]["dead_value"] == "60.00"
    steady = data["skus"][0]
    assert steady["sku"] == "STEADY" and steady["revenue"] == "280.00"
    # The CLI's window is 28 days: 28 units from 15 March, in stock all along: 1 a day.
    assert steady["velocity"] == pytest.approx(1.0) and steady["on_hand"] == 50
    assert steady["stockout_date"] == "2025-05-17"  # 50 days of cover
    assert {"velocity", "reorder_point", "reorder_qty", "abc", "xyz", "dead"} <= set(steady)

    dead = cli("stock", "-w", ws, "--to", "2025-03-28", "--dead", "--json").json()
    assert dead["from"] == "2025-03-01"  # the 28-day demand window by default
    assert [r["sku"] for r in dead["skus"]] == ["DEAD", "NEW"]  # dead first, then slow

    abc = cli("stock", "-w", ws, "--to", "2025-03-28", "--abc", "--limit", "2", "--json").json()
    assert set(abc["classes"]) == {"A", "B", "C"} and len(abc["skus"]) == 2
    assert sum(abc["matrix"].values()) <= 7

    both = cli("stock", "-w", ws, "--risk", "--dead")
    assert both.code == 2 and "one of" in both.err
    assert cli("stock", "-w", ws, "--risk").code == 0  # the readable table


@pytest.mark.slow
def test_demo_shop_has_stock_outs_lost_sales_and_dead_stock(cli, tmp_path) -> None:
    ws = tmp_path / "demo"
    assert (
        cli(
            "demo", "--no-monitors", "--days", "400", "--end", "2025-06-30", "-w", ws, "--json"
        ).code
        == 0
    )
    data = cli("stock", "-w", ws, "--from", "2024-07-01", "--json").json()
    totals = data["totals"]
    assert totals["stockout_days"] > 0
    assert D(totals["lost_sales"]) > 0
    assert totals["dead_skus"] > 0 and D(totals["dead_value"]) > 0
    risk = cli("stock", "-w", ws, "--risk", "--json").json()["skus"]
    covers = [r["days_of_cover"] for r in risk]
    assert covers == sorted(covers) and risk
