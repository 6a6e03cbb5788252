"""Products bought together in the June baskets of sales_data.py, worked out on paper, on every
engine; and the JSON of `storeops baskets`.

The sale orders of June (KV is voided, K1 has Q on two lines):
  K1 PQ  K2 PQR  K3 PR  K4 PQ  K5 RS  K6 RS  K7 S  K8 PT  K9 PQRST
With max_basket=4, K9 is left out: N = 8 orders; P is in 5, Q in 3, R in 4, S in 3, T in 1.
Pairs: PQ 3 (K1 K2 K4), PR 2 (K2 K3), RS 2 (K5 K6), QR 1, PT 1.
  lift PQ = 3×8 / (5×3) = 1.6     support 3/8   confidence P→Q 3/5, Q→P 3/3
  lift RS = 2×8 / (4×3) = 4/3     support 2/8   confidence R→S 2/4, S→R 2/3
  lift PR = 2×8 / (5×4) = 0.8     support 2/8   confidence P→R 2/5, R→P 2/4
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.baskets import baskets_comparison, bought_together, pairs_in
from storeops.commerce.period import Period
from tests.commerce.sales_data import build_sales_shop, on_engine
from tests.commerce.spark import spark_session  # noqa: F401  (fixture used through on_engine)

JUNE = Period(date(2025, 6, 1), date(2025, 6, 30))


@pytest.fixture(scope="session")
def baskets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sales_shop(tmp_path_factory.mktemp("baskets") / "warehouse.duckdb")


@pytest.fixture(
    scope="module",
    params=["duckdb", "postgres", pytest.param("pyspark", marks=pytest.mark.slow)],
)
def con(request: pytest.FixtureRequest, baskets_file: Path) -> Iterator[BaseBackend]:
    with on_engine(request, request.param, baskets_file) as backend:
        yield backend


def pair_view(pair: dict) -> tuple:
    return (
        pair["sku_a"],
        pair["sku_b"],
        pair["orders"],
        pair["orders_a"],
        pair["orders_b"],
        round(pair["support"], 6),
        round(pair["confidence_a_b"], 6),
        round(pair["confidence_b_a"], 6),
        round(pair["lift"], 6),
    )


def test_pairs_by_lift(con) -> None:
    report = bought_together(con, period=JUNE, min_support=2, max_basket=4)
    assert (report.orders, report.orders_excluded) == (8, 1)
    assert (report.skus, report.skus_kept) == (5, 4)  # T is in one order only
    assert [pair_view(p) for p in report.pairs] == [
        ("P", "Q", 3, 5, 3, 0.375, 0.6, 1.0, 1.6),
        ("R", "S", 2, 4, 3, 0.25, 0.5, round(2 / 3, 6), round(4 / 3, 6)),
        ("P", "R", 2, 5, 4, 0.25, 0.4, 0.5, 0.8),
    ]
    assert report.pairs[0]["name_a"] == "Product P"  # the name as sold: no catalog entry


def test_support_floor_and_top(con) -> None:
    report = bought_together(con, period=JUNE, min_support=3, max_basket=4)
    assert report.skus_kept == 4  # P 5, Q 3, R 4, S 3
    assert [(p["sku_a"], p["sku_b"]) for p in report.pairs] == [("P", "Q")]
    top = bought_together(con, period=JUNE, min_support=2, max_basket=4, top=1)
    assert [(p["sku_a"], p["sku_b"]) for p in top.pairs] == [("P", "Q")]


def test_bigger_baskets_allowed(con) -> None:
    # K9 counts: N = 9; P 6, Q 4, R 5, S 4, T 2; PQ 4, PT 2, RS 3, PR 3, QR 2.
    report = bought_together(con, period=JUNE, min_support=2, max_basket=5)
    assert (report.orders, report.orders_excluded, report.skus_kept) == (9, 0, 5)
    assert [(p["sku_a"], p["sku_b"], p["orders"], round(p["lift"], 6)) for p in report.pairs] == [
        ("P", "Q", 4, 1.5),  # 4×9 / (6×4); ties with PT on lift, more orders first
        ("P", "T", 2, 1.5),  # 2×9 / (6×2)
        ("R", "S", 3, 1.35),  # 3×9 / (5×4)
        ("P", "R", 3, 0.9),  # 3×9 / (6×5)
        ("Q", "R", 2, 0.9),  # 2×9 / (4×5)
    ]


def test_no_orders(con) -> None:
    report = bought_together(con, period=Period(date(2025, 7, 1), date(2025, 7, 31)))
    assert (report.orders, report.skus, report.pairs) == (0, 0, [])


def test_cli_json(cli, workspace) -> None:  # type: ignore[no-untyped-def]
    build_sales_shop(workspace.duckdb_path())
    result = cli("baskets", "-w", workspace.workspace, "--from", "2025-06-01", "--to",
                 "2025-06-30", "--min-support", "2", "--max-basket", "4", "--top", "2",
                 "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert data == {
        "from": "2025-06-01",
        "to": "2025-06-30",
        "min_support": 2,
        "max_basket": 4,
        "orders": 8,
        "orders_excluded": 1,
        "skus": 5,
        "skus_kept": 4,
        "pairs": [
            {
                "sku_a": "P",
                "name_a": "Product P",
                "sku_b": "Q",
                "name_b": "Product Q",
                "orders": 3,
                "orders_a": 5,
                "orders_b": 3,
                "support": 0.375,
                "confidence_a_b": 0.6,
                "confidence_b_a": 1.0,
                "lift": 1.6,
            },
            {
                "sku_a": "R",
                "name_a": "Product R",
                "sku_b": "S",
                "name_b": "Product S",
                "orders": 2,
                "orders_a": 4,
                "orders_b": 3,
                "support": 0.25,
                "confidence_a_b": 0.5,
                "confidence_b_a": pytest.approx(2 / 3),
                "lift": pytest.approx(4 / 3),
            },
        ],
    }
    table = cli("baskets", "-w", workspace.workspace, "--from", "2025-06-01", "--to",
                "2025-06-30", "--min-support", "2", "--max-basket", "4")  # fmt: skip
    assert table.code == 0 and "P  Product P" in table.out and "1 left" in table.out


def test_given_pairs_in_a_period(con) -> None:
    asked = [("P", "Q"), ("R", "S"), ("T", "P"), ("Q", "S"), ("X", "Y")]
    found = pairs_in(con, period=JUNE, pairs=asked, max_basket=4)
    assert found["orders"] == 8
    view = {key: (p["orders"], p["orders_a"], p["orders_b"], p["lift"]) for key, p in found["pairs"].items()}  # fmt: skip
    assert view == {
        ("P", "Q"): (3, 5, 3, 1.6),
        ("R", "S"): (2, 4, 3, pytest.approx(4 / 3)),
        ("T", "P"): (1, 1, 5, 1.6),  # no support floor here: 1 × 8 / (1 × 5)
        ("Q", "S"): (0, 3, 3, 0.0),  # never together
        ("X", "Y"): (0, 0, 0, None),  # never sold
    }


def test_pairs_against_another_period(con) -> None:
    report = bought_together(con, period=JUNE, min_support=2, max_basket=4)
    # With K9 (max_basket 5) the same pairs sell differently: N 9, P 6, Q 4; PQ 4 -> lift 1.5
    bigger = bought_together(con, period=JUNE, min_support=2, max_basket=5)
    bigger.pairs = [p for p in bigger.pairs if (p["sku_a"], p["sku_b"]) == ("P", "Q")]
    compared = baskets_comparison(con, bigger, JUNE)
    [pq] = compared["pairs"]
    assert compared["previous"] == {"from": "2025-06-01", "to": "2025-06-30", "orders": 9}
    assert (pq["lift"], pq["previous"]["lift"]) == (1.5, 1.5)  # the same days and basket cap
    assert pq["change"]["lift"] == {"absolute": 0.0, "relative": 0.0}
    may = baskets_comparison(con, report, Period(date(2025, 5, 1), date(2025, 5, 31)))
    assert may["previous"]["orders"] == 0
    assert [p["change"]["lift"] for p in may["pairs"]] == [{"absolute": None, "relative": None}] * 3
    assert [p["lift"] for p in may["pairs"]] == [p["lift"] for p in report.pairs]
