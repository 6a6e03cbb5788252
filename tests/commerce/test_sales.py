"""Sales series and breakdowns of the hand-made shop (sales_data.py), worked out on paper, on
DuckDB, PostgreSQL and PySpark; and the JSON of `storeops sales`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.kpis import kpi_report
from storeops.commerce.period import Compare, Period
from storeops.commerce.sales import (
    Dimension,
    Grain,
    sales_by,
    sales_report,
    sales_report_json,
    sales_series,
    top_products,
)
from tests.commerce.sales_data import build_sales_shop, on_engine
from tests.commerce.spark import spark_session  # noqa: F401  (fixture used through on_engine)

ENGINES = ["duckdb", "postgres", pytest.param("pyspark", marks=pytest.mark.slow)]
WEEK = Period(date(2025, 3, 1), date(2025, 3, 7))
NEW_YEAR = Period(date(2024, 12, 28), date(2025, 1, 10))


@pytest.fixture(scope="session")
def sales_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sales_shop(tmp_path_factory.mktemp("sales") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def no_refund_lines_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sales_plain") / "warehouse.duckdb"
    return build_sales_shop(path, with_refund_lines=False)


@pytest.fixture(scope="module", params=ENGINES)
def con(request: pytest.FixtureRequest, sales_file: Path) -> Iterator[BaseBackend]:
    with on_engine(request, request.param, sales_file) as backend:
        yield backend


@pytest.fixture(scope="module", params=ENGINES)
def con_without_refund_lines(
    request: pytest.FixtureRequest, no_refund_lines_file: Path
) -> Iterator[BaseBackend]:
    with on_engine(request, request.param, no_refund_lines_file) as backend:
        yield backend


def metrics(orders, gross, discounts, returns, net, units, aov):  # type: ignore[no-untyped-def]
    return {
        "orders": orders,
        "gross_sales": D(gross),
        "discounts": D(discounts),
        "returns": D(returns),
        "net_sales": D(net),
        "units_sold": units,
        "average_order_value": D(aov) if aov is not None else None,
    }


def only_metrics(row: dict) -> dict:
    return {k: v for k, v in row.items() if k in metrics(0, 0, 0, 0, 0, 0, None)}


ZERO = metrics(0, "0", "0", "0", "0", 0, None)


def test_daily_series_fills_days_without_sales(con) -> None:
    series = sales_series(con, period=WEEK)
    assert [row["start"] for row in series] == [date(2025, 3, d) for d in range(1, 8)]
    assert all(row["start"] == row["end"] for row in series)
    assert series[0]["label"] == "2025-03-01"
    by_day = [only_metrics(row) for row in series]
    # O1: A 2×10 (5 off on the line = the order's 5 discount) + B 30
    assert by_day[0] == metrics(1, "50", "5", "0", "45", 3, "45")
    # R2 (60, for O4 of the week before) is dated 2 March: a day with returns but no sale
    assert by_day[1] == metrics(0, "0", "0", "60", "-60", 0, None)
    assert by_day[2] == metrics(1, "100", "0", "0", "100", 1, "100")  # O2
    assert by_day[3] == metrics(0, "0", "0", "10", "-10", 0, None)  # R1
    # 5 March has only the voided O3; 6 and 7 March nothing (O5 is on 8 March in Paris)
    assert by_day[4:] == [ZERO, ZERO, ZERO]


def test_series_totals_are_the_kpis(con) -> None:
    report = sales_report(con, period=WEEK)
    kpis = kpi_report(con, WEEK, Compare.none).kpis
    assert report.totals == {name: kpis[name] for name in report.totals}
    assert report.totals == metrics(2, "150", "5", "70", "75", 4, "72.50")


def test_iso_weeks_across_new_year(con) -> None:
    series = sales_series(con, period=NEW_YEAR, grain=Grain.week)
    assert [(r["label"], r["start"], r["end"]) for r in series] == [
        ("2024-W52", date(2024, 12, 28), date(2024, 12, 29)),  # the period starts on a Saturday
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),  # ISO week 1 starts in 2024
        ("2025-W02", date(2025, 1, 6), date(2025, 1, 10)),
    ]
    assert only_metrics(series[0]) == metrics(1, "10", "0", "0", "10", 1, "10")  # Y1
    assert only_metrics(series[1]) == metrics(2, "130", "10", "0", "120", 2, "60")  # Y2, Y3
    assert only_metrics(series[2]) == metrics(2, "40", "0", "0", "40", 4, "20")  # Y4, O0


def test_months(con) -> None:
    series = sales_series(con, period=NEW_YEAR, grain=Grain.month)
    assert [(r["label"], r["start"], r["end"]) for r in series] == [
        ("2024-12", date(2024, 12, 28), date(2024, 12, 31)),
        ("2025-01", date(2025, 1, 1), date(2025, 1, 10)),
    ]
    assert only_metrics(series[0]) == metrics(2, "40", "0", "0", "40", 2, "20")  # Y1, Y2
    assert only_metrics(series[1]) == metrics(3, "140", "10", "0", "130", 5, "43.33")


def test_by_channel_returns_follow_their_order(con) -> None:
    breakdown = sales_by(con, period=WEEK, by=Dimension.channel)
    assert breakdown.keys == 2 and breakdown.returns_attributed and not breakdown.unattributed
    app, web = breakdown.rows
    assert app == {"key": "app", **metrics(1, "100", "0", "0", "100", 1, "100")}
    # R1 (O1) and R2 (O4, the week before) are both web orders' refunds
    assert web == {"key": "web", **metrics(1, "50", "5", "70", "-25", 3, "45")}


def test_by_country(con) -> None:
    rows = sales_by(con, period=WEEK, by=Dimension.country).rows
    assert [(r["key"], r["net_sales"]) for r in rows] == [("DE", D("100")), ("FR", D("-25"))]


def test_discount_codes_are_split_and_upper_cased(con) -> None:
    breakdown = sales_by(con, period=NEW_YEAR, by=Dimension.discount_code, grain=Grain.week)
    rows = {row["key"]: row for row in breakdown.rows}
    assert [row["key"] for row in breakdown.rows] == ["WINTER10", "VIP", None]
    # Y3 has two codes and counts under both
    assert only_metrics(rows["WINTER10"]) == metrics(2, "130", "10", "0", "120", 2, "60")
    assert only_metrics(rows["VIP"]) == metrics(1, "100", "10", "0", "90", 1, "90")
    assert only_metrics(rows[None]) == metrics(3, "50", "0", "0", "50", 5, "16.67")
    # each key's own series, zeros where it sold nothing
    assert [r["net_sales"] for r in rows["VIP"]["series"]] == [D("0"), D("90"), D("0")]
    assert [r["orders"] for r in rows[None]["series"]] == [1, 0, 2]


def test_top_keys_keep_their_series(con) -> None:
    breakdown = sales_by(con, period=NEW_YEAR, by=Dimension.discount_code, top=1, grain=Grain.day)
    assert breakdown.keys == 3
    [winter] = breakdown.rows
    assert winter["key"] == "WINTER10" and len(winter["series"]) == 14
    sold = {r["start"]: r["gross_sales"] for r in winter["series"] if r["orders"]}
    assert sold == {date(2024, 12, 30): D("30"), date(2025, 1, 5): D("100")}


def test_by_category_with_partial_refund_lines(con) -> None:
    breakdown = sales_by(con, period=WEEK, by=Dimension.category)
    assert [row["key"] for row in breakdown.rows] == ["shoes", "shirts", "socks"]
    socks = breakdown.rows[2]
    # A: 2×10, 5 off on the line, R1's refund line of 10
    assert only_metrics(socks) == metrics(1, "20", "5", "10", "5", 2, None)
    # R2 (60) has no refund lines: it stays at order level
    assert not breakdown.returns_attributed
    assert breakdown.unattributed == {"discounts": D("0"), "returns": D("60")}


def test_products_with_refund_lines(con) -> None:
    breakdown = sales_by(
        con, period=Period(date(2025, 3, 3), date(2025, 3, 7)), by=Dimension.product
    )
    assert breakdown.returns_attributed  # R1 is the only refund, and has its lines
    assert breakdown.unattributed == {"discounts": D("0"), "returns": D("0")}
    c, a = breakdown.rows
    assert c == {"key": "C", "name": "Product C", **metrics(1, "100", "0", "0", "100", 1, None)}
    # A sold nothing these days but was refunded on 4 March
    assert a == {"key": "A", "name": "Product A", **metrics(0, "0", "0", "10", "-10", 0, None)}


def test_products_without_refund_lines(con_without_refund_lines) -> None:
    breakdown = sales_by(con_without_refund_lines, period=WEEK, by=Dimension.product)
    assert not breakdown.returns_attributed
    assert breakdown.unattributed == {"discounts": D("0"), "returns": D("70")}
    assert [(r["key"], r["returns"], r["net_sales"]) for r in breakdown.rows] == [
        ("C", D("0"), D("100")),
        ("B", D("0"), D("30")),
        ("A", D("0"), D("15")),
    ]
    totals = sales_report(con_without_refund_lines, period=WEEK).totals
    assert totals["returns"] == D("70")  # still in the totals


def test_top_products(con) -> None:
    top = top_products(con, period=WEEK, limit=2)
    assert [(p["key"], p["name"], p["net_sales"]) for p in top] == [
        ("C", "Product C", D("100")),
        ("B", "Product B", D("30")),
    ]
    # product names fall back on the name as sold when the catalog lacks the SKU
    june = top_products(con, period=Period(date(2025, 6, 1), date(2025, 6, 30)), limit=1)
    assert june[0]["key"] == "P" and june[0]["name"] == "Product P"


# -- filters ------------------------------------------------------------------------------------


def test_channel_filter_narrows_totals_series_and_returns(con) -> None:
    app = sales_report(con, period=WEEK, channel="app")
    assert app.totals == metrics(1, "100", "0", "0", "100", 1, "100")  # O2 alone
    assert [row["net_sales"] for row in app.series] == [D(0), D(0), D(100), D(0), D(0), D(0), D(0)]
    # web: O1, and both refunds (R1 for O1, R2 for O4: web orders)
    web = sales_report(con, period=WEEK, channel="web")
    assert web.totals == metrics(1, "50", "5", "70", "-25", 3, "45")
    assert [row["returns"] for row in web.series][:4] == [D(0), D(60), D(0), D(10)]
    assert sales_report(con, period=WEEK, channel="marketplace").totals == ZERO


def test_category_filter_gives_line_figures(con) -> None:
    # socks = A: O1's 2 × 10 with 5 off on the line, R1's refund line of 10 on 4 March
    socks = sales_report(con, period=WEEK, category="socks")
    assert socks.totals == metrics(1, "20", "5", "10", "5", 2, None)  # no AOV for lines
    by_day = [only_metrics(row) for row in socks.series]
    assert by_day[0] == metrics(1, "20", "5", "0", "15", 2, None)
    assert by_day[3] == metrics(0, "0", "0", "10", "-10", 0, None)
    shirts = sales_report(con, period=WEEK, category="shirts").totals
    assert shirts == metrics(1, "30", "0", "0", "30", 1, None)
    both = sales_report(con, period=WEEK, channel="app", category="socks").totals
    assert both == ZERO


def test_filtered_breakdowns(con) -> None:
    # socks by channel: its lines, keyed by their order's channel
    [web] = sales_by(con, period=WEEK, by=Dimension.channel, category="socks").rows
    assert web == {"key": "web", **metrics(1, "20", "5", "10", "5", 2, None)}
    [code] = sales_by(con, period=WEEK, by=Dimension.discount_code, category="socks").rows
    assert code["key"] == "SPRING5" and code["net_sales"] == D("5")
    # web's products: O1's lines; R2 (no refund lines) stays at order level
    products = sales_by(con, period=WEEK, by=Dimension.product, channel="web")
    assert [(r["key"], r["net_sales"]) for r in products.rows] == [("B", D(30)), ("A", D(5))]
    assert products.unattributed == {"discounts": D(0), "returns": D(60)}
    assert not products.returns_attributed
    # a category filter does not hide what stays at order level in the period
    socks = sales_by(con, period=WEEK, by=Dimension.product, category="socks")
    assert [r["key"] for r in socks.rows] == ["A"]
    assert socks.unattributed == {"discounts": D(0), "returns": D(60)}
    app = sales_by(con, period=WEEK, by=Dimension.category, channel="app").rows
    assert [(r["key"], r["net_sales"]) for r in app] == [("shoes", D(100))]
    assert top_products(con, period=WEEK, limit=5, category="shirts")[0]["key"] == "B"


def test_filtered_json_names_its_filters(con) -> None:
    data = sales_report_json(sales_report(con, period=WEEK, channel="web"), "EUR")
    assert data["filters"] == {"channel": "web", "category": None}
    assert "filters" not in sales_report_json(sales_report(con, period=WEEK), "EUR")


# -- the command --------------------------------------------------------------------------------


@pytest.fixture
def shop_workspace(workspace):  # type: ignore[no-untyped-def]
    build_sales_shop(workspace.duckdb_path())
    return workspace


def test_cli_series_json(cli, shop_workspace) -> None:
    result = cli("sales", "-w", shop_workspace.workspace, "--from", "2025-03-01", "--to",
                 "2025-03-07", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"from", "to", "currency", "grain", "by", "totals", "series"}
    assert (data["from"], data["to"], data["currency"]) == ("2025-03-01", "2025-03-07", "EUR")
    assert data["grain"] == "day" and data["by"] is None
    assert data["totals"] == {
        "orders": 2,
        "gross_sales": "150.00",
        "discounts": "5.00",
        "returns": "70.00",
        "net_sales": "75.00",
        "units_sold": 4,
        "average_order_value": "72.50",
    }
    assert len(data["series"]) == 7
    assert data["series"][4] == {
        "start": "2025-03-05",
        "end": "2025-03-05",
        "label": "2025-03-05",
        "orders": 0,
        "gross_sales": "0.00",
        "discounts": "0.00",
        "returns": "0.00",
        "net_sales": "0.00",
        "units_sold": 0,
        "average_order_value": None,
    }


def test_cli_breakdown_json(cli, shop_workspace) -> None:
    result = cli("sales", "-w", shop_workspace.workspace, "--from", "2025-03-01", "--to",
                 "2025-03-07", "--by", "product", "--top", "2", "--grain", "week", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert data["grain"] == "week" and data["by"] == "product"
    assert [row["label"] for row in data["series"]] == ["2025-W09", "2025-W10"]
    breakdown = data["breakdown"]
    assert breakdown["keys"] == 3 and breakdown["returns_attributed"] is False
    assert breakdown["unattributed"] == {"discounts": "0.00", "returns": "60.00"}
    assert [(r["key"], r["name"], r["net_sales"]) for r in breakdown["rows"]] == [
        ("C", "Product C", "100.00"),
        ("B", "Product B", "30.00"),
    ]
    assert [s["gross_sales"] for s in breakdown["rows"][0]["series"]] == ["0.00", "100.00"]


def test_cli_breakdown_without_grain_has_no_per_key_series(cli, shop_workspace) -> None:
    result = cli("sales", "-w", shop_workspace.workspace, "--by", "channel", "--json")
    assert result.code == 0, result.err
    data = result.json()
    # all data: 2024-12-29 (Y1) to 2025-06-02 (the baskets), every day in the series
    assert (data["from"], data["to"]) == ("2024-12-29", "2025-06-02")
    assert len(data["series"]) == (date(2025, 6, 2) - date(2024, 12, 29)).days + 1
    assert data["breakdown"]["unattributed"] == {}
    assert all("series" not in row for row in data["breakdown"]["rows"])


def test_cli_tables(cli, shop_workspace) -> None:
    ws = shop_workspace.workspace
    result = cli("sales", "-w", ws, "--from", "2025-03-01", "--to", "2025-03-07")
    assert result.code == 0 and "2025-03-05" in result.out and "75.00" in result.out
    result = cli("sales", "-w", ws, "--from", "2025-03-01", "--to", "2025-03-07", "--by",
                 "product", "--top", "1")  # fmt: skip
    assert result.code == 0 and "Product C" in result.out and "top 1 of 3 products" in result.out


def test_cli_bad_option_values_exit_2(cli, shop_workspace) -> None:
    ws = shop_workspace.workspace
    assert cli("sales", "-w", ws, "--grain", "year").code == 2
    assert cli("sales", "-w", ws, "--by", "colour").code == 2
