"""Promotions of the hand-made shop in promotions_data.py (worked out on paper), on every engine;
the CLI's JSON; and the demo shop's Black Friday."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.period import Period
from storeops.commerce.promotions import (
    Estimator,
    coded_sales,
    promotion_report,
    promotions_comparison,
)
from storeops.connectors.demo.calendar import black_friday
from storeops.connectors.demo.generate import generate_demo, options_for
from storeops.core.settings import Settings
from storeops.warehouse.engine import open_warehouse
from tests.commerce.engines import ENGINES, on_engine
from tests.commerce.promotions_data import _rows, build_promotions_shop
from tests.commerce.shop import write_rows

ZONE = "Europe/Paris"
FEBRUARY = Period(date(2025, 2, 1), date(2025, 2, 28))


@pytest.fixture(scope="module")
def promo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_promotions_shop(tmp_path_factory.mktemp("promotions") / "warehouse.duckdb")


@pytest.fixture(scope="module", params=ENGINES)
def promos(request: pytest.FixtureRequest, promo_file: Path) -> Iterator[BaseBackend]:
    with on_engine(request, promo_file, request.param) as backend:
        yield backend


def _report(con, period=FEBRUARY, **options):
    return promotion_report(con, period=period, timezone=ZONE, weeks=4, after_days=2, **options)


def _campaign(report, name, first=None):
    found = [
        c
        for c in report.campaigns
        if c["campaign"] == name and (first is None or c["first_day"] == first)
    ]
    assert len(found) == 1, [c["campaign"] for c in report.campaigns]
    return found[0]


def test_codes_of_the_period(promos) -> None:
    codes = {row["code"]: row for row in _report(promos).codes}
    # FLASH2 is unused but runs in February; HELLO and FLASH ran in January and are not listed
    assert sorted(codes) == ["FLASH2", "GHOST", "INFLU", "SPRING10", "SPRINGVIP", "WELCOME"]
    # S1, S2 and S3 (typed "spring10, welcome "); the voided S4 does not count
    assert codes["SPRING10"] | {} == {
        "code": "SPRING10",
        "campaign": "spring",
        "first_day": date(2025, 2, 7),
        "last_day": date(2025, 2, 9),  # ends_at at local midnight of 10 Feb is exclusive
        "orders": 3,
        "gross_sales": D("600.00"),
        "discounts": D("65.00"),
        "net_sales": D("535.00"),
    }
    assert (codes["WELCOME"]["orders"], codes["WELCOME"]["net_sales"]) == (2, D("155.00"))
    assert codes["GHOST"]["campaign"] is None and codes["GHOST"]["net_sales"] == D("54.00")
    assert codes["FLASH2"]["orders"] == 0 and codes["FLASH2"]["campaign"] == "flash"


def test_spring_baseline_incremental_and_dip(promos) -> None:
    spring = _campaign(_report(promos), "spring")
    assert spring["codes"] == ["SPRING10", "SPRINGVIP"]
    assert (spring["first_day"], spring["last_day"]) == (date(2025, 2, 7), date(2025, 2, 9))
    # S1, S2, S3, V1: each order once although S3 carries two codes
    assert spring["orders"] == 4
    assert spring["gross_sales"] == D("750.00") and spring["discounts"] == D("115.00")
    assert spring["net_sales"] == D("635.00")
    assert spring["status"] == "ok"
    baseline = spring["baseline"]
    assert baseline["lookback"] == {
        "first_day": date(2025, 1, 10),
        "last_day": date(2025, 2, 6),
        "days_used": 25,  # 28 days less flash's 22 Jan and the 2 days after it
    }
    assert [
        (d["date"], d["actual"], d["baseline"], d["observations"]) for d in baseline["days"]
    ] == [
        (date(2025, 2, 7), D("280.00"), D("120.00"), 3),
        (date(2025, 2, 8), D("355.00"), D("245.00"), 4),
        (date(2025, 2, 9), D("100.00"), D("65.00"), 4),
    ]
    assert (baseline["actual"], baseline["expected"]) == (D("735.00"), D("430.00"))
    assert spring["incremental_revenue"] == D("305.00")
    assert spring["incremental_rate"] == pytest.approx(305 / 430)
    dip = spring["dip"]
    assert [(d["date"], d["actual"], d["baseline"]) for d in dip["days"]] == [
        (date(2025, 2, 10), D("100.00"), D("150.00")),
        (date(2025, 2, 11), D("90.00"), D("100.00")),
    ]
    assert (dip["status"], dip["dip"], dip["excluded_days"]) == ("ok", D("60.00"), [])


def test_trimmed_mean_is_a_plain_mean_below_five_weeks(promos) -> None:
    spring = _campaign(_report(promos, estimator=Estimator.trimmed_mean), "spring")
    days = spring["baseline"]["days"]
    # Fri (100 + 140 + 120) / 3; Sat (200 + 260 + 230 + 1000) / 4; Sun (50 + 70 + 60 + 80) / 4
    assert [d["baseline"] for d in days] == [D("120.00"), D("422.50"), D("65.00")]


def test_a_campaign_without_prior_weeks_has_no_baseline(promos) -> None:
    report = _report(promos, period=Period(date(2025, 1, 1), date(2025, 1, 31)))
    launch = _campaign(report, "launch")
    assert launch["status"] == "no_baseline"
    assert "2025-01-06" in launch["reason"]  # where the data starts
    assert launch["incremental_revenue"] is None and launch["dip"] is None
    assert launch["baseline"]["lookback"]["days_used"] == 0
    assert (launch["orders"], launch["net_sales"]) == (2, D("180.00"))
    # the evergreen welcome campaign starts with the data too
    assert _campaign(report, "welcome")["status"] == "no_baseline"


def test_flash_runs_twice_and_its_first_run_is_measured(promos) -> None:
    report = _report(promos, period=Period(date(2025, 1, 1), date(2025, 2, 28)))
    first = _campaign(report, "flash", date(2025, 1, 22))
    # Wed 22 Jan against the only Wednesday left (15 Jan: 40; 8 Jan follows launch)
    assert [(d["actual"], d["baseline"]) for d in first["baseline"]["days"]] == [
        (D("400.00"), D("40.00"))
    ]
    assert first["incremental_revenue"] == D("360.00")
    # Thu 23 Jan 40 against 40; Fri 24 Jan 999 against the median of 100 and 140
    assert first["dip"]["dip"] == D("-879.00")
    second = _campaign(report, "flash", date(2025, 2, 20))
    assert second["orders"] == 0 and second["codes"] == ["FLASH2"]
    # Thu 20 Feb 40 against Thursdays 30 Jan 40, 6 Feb 40, 13 Feb 40 + 63 (23 Jan left out)
    assert second["baseline"]["expected"] == D("40.00")
    assert second["incremental_revenue"] == D("0.00")


def test_codes_without_dates_and_unknown_codes(promos) -> None:
    report = _report(promos)
    influencer = _campaign(report, "influencer")
    assert influencer["status"] == "no_window" and influencer["first_day"] is None
    assert influencer["baseline"] is None
    assert [c["campaign"] for c in report.campaigns] == [
        "influencer",
        "welcome",
        "spring",
        "flash",
    ]


def test_empty_period(promos) -> None:
    report = _report(promos, period=Period(date(2024, 6, 1), date(2024, 6, 30)))
    assert report.codes == [] and report.campaigns == []


def test_orders_with_codes_each_counted_once(promos) -> None:
    # February: S1 200 − 20, S2 300 − 30, S3 100 − 15 (two codes, once), V1 150 − 50, W1 80 − 10,
    # G1 60 − 6, I1 70 − 7; the voided S4 is no sale
    assert coded_sales(promos, FEBRUARY) == {
        "orders": 7,
        "gross_sales": D("960.00"),
        "discounts": D("138.00"),
        "net_sales": D("822.00"),
    }


def test_codes_against_the_days_before(promos) -> None:
    second_week = Period(date(2025, 2, 8), date(2025, 2, 14))
    first_week = Period(date(2025, 2, 1), date(2025, 2, 7))
    compared = promotions_comparison(promos, _report(promos, second_week), first_week)
    codes = {row["code"]: row for row in compared["codes"]}
    # SPRING10: S2 270 and S3 85 against S1 180 the week before
    spring = codes["SPRING10"]
    assert (spring["orders"], spring["net_sales"]) == (2, D("355.00"))
    assert (spring["previous"]["orders"], spring["previous"]["net_sales"]) == (1, D("180.00"))
    assert spring["change"]["net_sales"] == {"absolute": D("175.00"), "relative": 175 / 180}
    assert codes["WELCOME"]["change"]["orders"] == {"absolute": 2, "relative": None}  # new
    # every coded order of the second week (S2, S3, V1, W1, G1, I1) against S1
    assert compared["coded"]["orders"] == 6
    assert compared["previous"] == {
        "from": "2025-02-01",
        "to": "2025-02-07",
        "coded": {
            "orders": 1,
            "gross_sales": D("200.00"),
            "discounts": D("20.00"),
            "net_sales": D("180.00"),
        },
    }
    assert compared["change"]["coded"]["orders"] == {"absolute": 5, "relative": 5.0}


def test_cli_json(workspace: Settings, cli) -> None:
    write_rows(workspace.duckdb_path(), _rows())
    result = cli(
        "promotions", "-w", workspace.workspace, "--from", "2025-02-01", "--to", "2025-02-28",
        "--weeks", "4", "--after-days", "2", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"from", "to", "currency", "method", "codes", "campaigns"}
    assert data["method"] == {"weeks": 4, "after_days": 2, "estimator": "median"}
    spring = next(c for c in data["campaigns"] if c["campaign"] == "spring")
    assert spring["incremental_revenue"] == "305.00" and spring["dip"]["dip"] == "60.00"
    assert spring["baseline"]["days"][0] == {
        "date": "2025-02-07",
        "weekday": "Friday",
        "actual": "280.00",
        "baseline": "120.00",
        "observations": 3,
        "basis": "weekday",
    }
    ghost = next(c for c in data["codes"] if c["code"] == "GHOST")
    assert ghost == {
        "code": "GHOST",
        "campaign": None,
        "first_day": None,
        "last_day": None,
        "orders": 1,
        "gross_sales": "60.00",
        "discounts": "6.00",
        "net_sales": "54.00",
    }
    table = cli("promotions", "-w", workspace.workspace)
    assert table.code == 0 and "spring" in table.out and "GHOST" in table.out


def test_demo_black_friday_lifts_sales_then_dips(workspace: Settings) -> None:
    end = date(2025, 1, 31)
    generate_demo(workspace, options_for(end=end, days=400))
    with open_warehouse(workspace) as con:
        report = promotion_report(
            con, period=Period(date(2024, 11, 1), date(2024, 11, 30)), timezone=ZONE
        )
    bf = _campaign(report, "black friday")
    assert bf["first_day"] == black_friday(2024)
    assert bf["status"] == "ok" and bf["incremental_revenue"] > 0
    assert bf["incremental_rate"] > 0.5
    assert bf["dip"]["status"] == "ok" and bf["dip"]["dip"] > 0
