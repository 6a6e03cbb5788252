"""Customers of the hand-made shop in customers_data.py (worked out on paper), on every engine;
the CLI's JSON; and cohort retention on the demo shop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.customers import (
    SEGMENTS,
    Grain,
    cohort_retention,
    customers_comparison,
    customers_headline,
    new_vs_returning,
    rfm_segments,
    segment_of,
)
from storeops.commerce.kpis import compute_kpis
from storeops.commerce.period import Period
from storeops.connectors.demo.generate import generate_demo, options_for
from storeops.core.settings import Settings
from storeops.warehouse.engine import open_warehouse
from tests.commerce.customers_data import _rows, build_customers_shop
from tests.commerce.engines import ENGINES, on_engine
from tests.commerce.shop import write_rows

JAN_APR = Period(date(2025, 1, 1), date(2025, 4, 30))
EMPTY = Period(date(2024, 6, 1), date(2024, 6, 30))


@pytest.fixture(scope="module")
def customers_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_customers_shop(tmp_path_factory.mktemp("customers") / "warehouse.duckdb")


@pytest.fixture(scope="module", params=ENGINES)
def people(request: pytest.FixtureRequest, customers_file: Path) -> Iterator[BaseBackend]:
    with on_engine(request, customers_file, request.param) as backend:
        yield backend


def _cells(row, kind):
    keys = [f"{kind}_orders", f"{kind}_net_sales"]
    if kind != "guest":
        keys.insert(0, f"{kind}_customers")
    return tuple(row[k] for k in keys)


def test_new_vs_returning_by_month(people) -> None:
    rows = new_vs_returning(people, period=JAN_APR, grain=Grain.month)
    assert [r["bucket"] for r in rows] == [date(2025, m, 1) for m in (1, 2, 3, 4)]
    jan, feb, mar, apr = rows
    assert _cells(jan, "new") == (3, 4, D("360.00"))  # c1 twice, c2 (200 − 20), c3
    assert _cells(jan, "returning") == (0, 0, D("0.00"))
    assert _cells(jan, "guest") == (1, D("30.00"))  # 35 less the 12 Jan refund
    # c4 twice and c5, less c4's refund; c1 and c8 (first order in December), less c1's refund
    assert _cells(feb, "new") == (2, 3, D("230.00"))
    assert _cells(feb, "returning") == (2, 2, D("135.00"))
    # c6's voided 1 March order is no sale: c6 is new on 5 March
    assert _cells(mar, "new") == (1, 1, D("45.00"))
    assert _cells(mar, "returning") == (2, 2, D("130.00"))
    assert _cells(mar, "guest") == (1, D("15.00"))
    assert _cells(apr, "new") == (1, 1, D("25.00"))
    assert _cells(apr, "returning") == (3, 3, D("225.00"))


def test_buckets_add_up_to_the_kpis(people) -> None:
    rows = new_vs_returning(people, period=JAN_APR, grain=Grain.month)
    kpis = compute_kpis(people, {"m2": Period(date(2025, 2, 1), date(2025, 2, 28))})["m2"]
    feb = rows[1]
    total = feb["new_net_sales"] + feb["returning_net_sales"] + feb["guest_net_sales"]
    assert total == kpis["net_sales"]
    assert feb["new_customers"] == kpis["new_customers"]
    assert feb["new_customers"] + feb["returning_customers"] == kpis["customers"]


def test_weeks_and_days_include_empty_buckets(people) -> None:
    weeks = new_vs_returning(
        people, period=Period(date(2025, 2, 3), date(2025, 2, 9)), grain=Grain.week
    )
    # the week of Monday 3 February: c8's order, and c1's refund of 3 February
    assert len(weeks) == 1 and weeks[0]["bucket"] == date(2025, 2, 3)
    assert _cells(weeks[0], "returning") == (1, 1, D("55.00"))
    assert _cells(weeks[0], "new") == (0, 0, D("0.00"))
    days = new_vs_returning(
        people, period=Period(date(2025, 1, 1), date(2025, 1, 5)), grain=Grain.day
    )
    assert [d["bucket"].day for d in days] == [1, 2, 3, 4, 5]
    assert [d["new_customers"] for d in days] == [0, 0, 0, 0, 1]


def test_cohort_retention_matrix(people) -> None:
    cohorts = cohort_retention(people, period=JAN_APR)
    assert cohorts.months == 4 and cohorts.guest_orders == 2
    # c8's cohort is December 2024, before the period: not shown
    assert [(c["cohort"], c["size"], c["active"]) for c in cohorts.cohorts] == [
        (date(2025, 1, 1), 3, [3, 1, 1, 1]),  # c1 in Feb and Apr, c2 in Mar
        (date(2025, 2, 1), 2, [2, 1, 1, None]),  # c4 in Mar, c5 in Apr
        (date(2025, 3, 1), 1, [1, 1, None, None]),  # c6 in Apr
        (date(2025, 4, 1), 1, [1, None, None, None]),
    ]
    assert cohorts.cohorts[0]["retention"] == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3])
    assert cohorts.cohorts[1]["retention"][:3] == pytest.approx([1, 0.5, 0.5])


def test_rfm_scores_and_segments(people) -> None:
    rfm = rfm_segments(people, period=JAN_APR)
    assert rfm["as_of"] == date(2025, 4, 30) and rfm["customers"] == 8
    # monetary: c1 290 − 10, c2 220, c3 30, c4 270 − 20, c5 180 (its May refund is after the
    # end), c6 100, c7 25, c8 65
    assert rfm["revenue"] == D("1150.00")
    segments = {s["segment"]: s for s in rfm["segments"]}
    # R by last order: c3, c8 -> 1; c2, c4 -> 2; c6 -> 3; c1, c5 -> 4; c7 -> 5.
    # F by orders: 1 order (c3, c7, c8) -> 1; 2 (c2, c5, c6) -> 1 + ⌊5·3/8⌋ = 2; c4 -> 4; c1 -> 5
    assert {name: (s["customers"], s["orders"], s["revenue"]) for name, s in segments.items()} == {
        "Loyal": (1, 4, D("280.00")),  # c1 R4 F5
        "Potential loyalists": (1, 2, D("180.00")),  # c5 R4 F2
        "New customers": (1, 1, D("25.00")),  # c7 R5 F1
        "About to sleep": (1, 2, D("100.00")),  # c6 R3 F2
        "At risk": (1, 3, D("250.00")),  # c4 R2 F4
        "Hibernating": (3, 4, D("315.00")),  # c2 R2 F2, c3 R1 F1, c8 R1 F1
    }
    hibernating = segments["Hibernating"]
    # M by value: c7, c3 -> 1; c8, c6 -> 2; c5 -> 3; c2, c4 -> 4; c1 -> 5
    assert hibernating["mean_scores"] == pytest.approx(
        {"recency": 4 / 3, "frequency": 4 / 3, "monetary": 7 / 3}
    )
    assert hibernating["customer_share"] == pytest.approx(3 / 8)
    assert hibernating["revenue_share"] == pytest.approx(315 / 1150)
    assert (hibernating["last_order_from"], hibernating["last_order_to"]) == (
        date(2025, 1, 25),
        date(2025, 3, 3),
    )
    assert (rfm["guest_orders"], rfm["guest_revenue"]) == (2, D("45.00"))


def test_segment_grid_covers_every_score() -> None:
    names = {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert names == {name for name, _, _ in SEGMENTS}
    assert segment_of(5, 5) == "Champions" and segment_of(1, 5) == "Cannot lose them"
    with pytest.raises(ValueError):
        segment_of(0, 3)


def test_empty_period(people) -> None:
    rows = new_vs_returning(people, period=EMPTY, grain=Grain.month)
    assert len(rows) == 1 and _cells(rows[0], "new") == (0, 0, D("0.00"))
    cohorts = cohort_retention(people, period=EMPTY)
    assert cohorts.cohorts == [] and cohorts.guest_orders == 0
    rfm = rfm_segments(people, period=EMPTY)
    assert rfm["customers"] == 0 and rfm["segments"] == [] and rfm["revenue"] == D("0.00")


# Filters, on shop.py's hand-made shop (the `shop` fixture): in March 2025 c1 orders O1 (web,
# socks A + shirts B, 50 − 5) after O0 (January, web, socks); c2 O2 (app, shoes C, 100); c5 O5
# (web, socks, 10); c4's O4 (web, shirts, 25 Feb) is refunded 60 on 2 March, O1 10 on 4 March.
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))


def test_filters_keep_their_orders_only(shop) -> None:  # type: ignore[no-untyped-def]
    [every] = new_vs_returning(shop, period=MARCH, grain=Grain.month)
    assert (every["new_customers"], every["returning_customers"]) == (2, 1)  # c2, c5; c1
    [app] = new_vs_returning(shop, period=MARCH, grain=Grain.month, channel="app")
    assert (app["new_customers"], app["returning_customers"], app["new_net_sales"]) == (
        1, 0, D("100.00")
    )  # fmt: skip
    assert app["returning_net_sales"] == D("0.00")  # both refunds are of web orders
    # shirts: O1 is c1's first order with a shirt (new in March, 45 − R1's 10), and R2 goes
    # with c4, whose first shirt order (O4) was in February
    [shirts] = new_vs_returning(shop, period=MARCH, grain=Grain.month, category="shirts")
    assert (shirts["new_customers"], shirts["new_orders"], shirts["new_net_sales"]) == (
        1, 1, D("35.00")
    )  # fmt: skip
    assert (shirts["returning_customers"], shirts["returning_net_sales"]) == (0, D("-60.00"))
    [socks] = new_vs_returning(
        shop, period=MARCH, grain=Grain.month, channel="web", category="socks"
    )
    assert (socks["new_customers"], socks["returning_customers"]) == (1, 1)  # c5; c1


def test_filtered_cohorts_and_rfm(shop) -> None:  # type: ignore[no-untyped-def]
    feb_mar = Period(date(2025, 2, 1), date(2025, 3, 31))
    every = cohort_retention(shop, period=feb_mar)
    assert [(c["cohort"], c["size"]) for c in every.cohorts] == [
        (date(2025, 2, 1), 1), (date(2025, 3, 1), 2)
    ]  # fmt: skip
    shirts = cohort_retention(shop, period=feb_mar, category="shirts")
    assert [(c["cohort"], c["size"], c["active"]) for c in shirts.cohorts] == [
        (date(2025, 2, 1), 1, [1, 0]),  # c4
        (date(2025, 3, 1), 1, [1, None]),  # c1: January's order held no shirt
    ]
    rfm = rfm_segments(shop, period=MARCH, channel="app")
    assert (rfm["customers"], rfm["revenue"], rfm["guest_orders"]) == (1, D("100.00"), 0)
    assert rfm_segments(shop, period=MARCH, channel="pos")["customers"] == 0


def test_headline_against_the_month_before(shop) -> None:  # type: ignore[no-untyped-def]
    march = customers_headline(
        rfm_segments(shop, period=MARCH),
        new_vs_returning(shop, period=MARCH, grain=Grain.month),
    )
    # c1 (O1 45 − R1 10), c2 (O2 100), c5 (O5 10); c2 and c5 new
    assert march == {
        "customers": 3,
        "new_customers": 2,
        "revenue": D("145.00"),
        "guest_orders": 0,
        "guest_revenue": D("0.00"),
    }
    # 31 days before March: 29 Jan – 28 Feb, c4's O4 (60 − 10, refunded 60 on 2 March: by the
    # end of February not yet), c4 new.
    compared = customers_comparison(shop, march, Period(date(2025, 1, 29), date(2025, 2, 28)))
    assert compared["previous"]["figures"]["customers"] == 1
    assert compared["previous"]["figures"]["revenue"] == D("50.00")
    assert compared["change"]["customers"] == {"absolute": 2, "relative": 2.0}
    assert compared["change"]["new_customers"] == {"absolute": 1, "relative": 1.0}


def test_cli_json(workspace: Settings, cli) -> None:
    write_rows(workspace.duckdb_path(), _rows())
    ws = workspace.workspace
    every = cli("customers", "-w", ws, "--from", "2025-01-01", "--to", "2025-04-30", "--json")
    assert every.code == 0, every.err
    data = every.json()
    assert set(data) == {"from", "to", "currency", "new_vs_returning", "cohorts", "rfm"}
    assert data["new_vs_returning"]["grain"] == "month"
    assert data["new_vs_returning"]["buckets"][1] == {
        "bucket": "2025-02-01",
        "new_customers": 2,
        "new_orders": 3,
        "new_net_sales": "230.00",
        "returning_customers": 2,
        "returning_orders": 2,
        "returning_net_sales": "135.00",
        "guest_orders": 0,
        "guest_net_sales": "0.00",
    }
    assert data["cohorts"]["cohorts"][1] == {
        "cohort": "2025-02-01",
        "size": 2,
        "active": [2, 1, 1, None],
        "retention": [1.0, 0.5, 0.5, None],
    }
    assert set(data["rfm"]) == {
        "as_of",
        "customers",
        "revenue",
        "segments",
        "guest_orders",
        "guest_revenue",
    }
    assert data["rfm"]["revenue"] == "1150.00"

    rfm_only = cli("customers", "-w", ws, "--rfm", "--json").json()
    assert set(rfm_only) == {"from", "to", "currency", "rfm"}
    weekly = cli("customers", "-w", ws, "--new-vs-returning", "--grain", "week", "--json").json()
    assert set(weekly) == {"from", "to", "currency", "new_vs_returning"}
    assert weekly["new_vs_returning"]["buckets"][0]["bucket"] == "2024-12-09"  # a Monday
    table = cli("customers", "-w", ws)
    assert table.code == 0 and "Hibernating" in table.out and "2025-01" in table.out


def test_demo_retention_declines_with_age(workspace: Settings) -> None:
    end = date(2025, 1, 31)
    generate_demo(workspace, options_for(end=end, days=400))
    with open_warehouse(workspace) as con:
        cohorts = cohort_retention(con, period=Period(date(2024, 1, 1), end))
    early = [r for c in cohorts.cohorts for r in c["retention"][1:4] if r is not None]
    late = [r for c in cohorts.cohorts for r in c["retention"][8:12] if r is not None]
    assert len(early) > 20 and len(late) > 5
    assert sum(late) / len(late) < 0.8 * sum(early) / len(early)
