"""After-sales on a small shop worked out by hand (tests/commerce/aftersales_data.py), on every
engine; the stand-out test; [aftersales] settings; the CLI's JSON; the demo shop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from math import comb
from pathlib import Path

import pytest
from ibis.backends import BaseBackend

from storeops.commerce.aftersales import (
    ReturnRow,
    TicketReport,
    aftersales_alerts,
    aftersales_comparison,
    alerts_from,
    binomial_tail,
    returns_report,
    standouts,
    ticket_report,
)
from storeops.commerce.period import Period
from storeops.core.settings import AftersalesSettings, load_settings
from tests.commerce.aftersales_data import aftersales_rows
from tests.commerce.conftest import ENGINES
from tests.commerce.shop import write_rows
from tests.commerce.stock_data import engine_backend

WEEK = Period(date(2025, 3, 1), date(2025, 3, 7))
PARIS = "Europe/Paris"
TARGETS = AftersalesSettings(
    first_response_hours=24,
    resolution_hours=72,
    compliance_target=0.9,
    categories={"damaged": {"first_response_hours": 4}},
)


@pytest.fixture(scope="module")
def aftersales_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rows(tmp_path_factory.mktemp("aftersales") / "warehouse.duckdb", aftersales_rows())


@pytest.fixture(scope="module", params=ENGINES)
def after_shop(request: pytest.FixtureRequest, aftersales_file: Path) -> Iterator[BaseBackend]:
    yield from engine_backend(request, aftersales_file)


def test_returns_of_the_weeks_orders(after_shop) -> None:
    totals = returns_report(after_shop, WEEK).totals
    # O1, O2, O3, O6 (O5 is older, O7 voided); R1, R2, R3 are theirs, whenever refunded.
    assert totals["orders"] == 4 and totals["refunded_orders"] == 3
    assert totals["order_refund_rate"] == pytest.approx(0.75)
    assert totals["units_sold"] == 8
    assert totals["net_sales"] == D("298.00")  # 140 + 58 + 60 + 40
    assert totals["refunded"] == D("124.00")  # 50 + 29 + 45
    assert totals["refund_rate"] == pytest.approx(124 / 298)
    # R2 (29 of O2's 58) sends back half of O2's units: 0.5 of S1 and 1 of K1.
    assert totals["units_returned"] == pytest.approx(3.5)
    assert totals["unit_return_rate"] == pytest.approx(3.5 / 8)
    assert totals["unattributed"] == D("5.00")  # R3's shipping has no line


def test_refunds_by_sku_itemised_or_apportioned(after_shop) -> None:
    by_sku = {r.key: r for r in returns_report(after_shop, WEEK).by_sku}
    s1 = by_sku["S1"]  # R1's line (50) + R2 × 50/58 (25)
    assert (s1.units_sold, s1.net_sales, s1.refunded) == (3, D("150.00"), D("75.00"))
    assert s1.units_returned == pytest.approx(1.5) and s1.refund_rate == pytest.approx(0.5)
    assert s1.unit_return_rate == pytest.approx(0.5) and s1.category == "shoes"
    k1 = by_sku["K1"]  # R2 × 8/58 (4), the line's value net of its discount
    assert (k1.net_sales, k1.refunded, k1.units_returned) == (D("8.00"), D("4.00"), 1.0)
    s2 = by_sku["S2"]  # R3's line only
    assert (s2.units_sold, s2.refunded, s2.units_returned) == (2, D("40.00"), 1.0)
    s3 = by_sku["S3"]  # sold, never returned
    assert (s3.refunded, s3.units_returned, s3.refund_rate) == (D("0.00"), 0.0, 0.0)


def test_refunds_by_category_and_reason(after_shop) -> None:
    report = returns_report(after_shop, WEEK)
    cats = {r.key: r for r in report.by_category}
    assert (cats["shoes"].units_sold, cats["shoes"].net_sales) == (6, D("290.00"))
    assert (cats["shoes"].refunded, cats["shoes"].units_returned) == (D("115.00"), 2.5)
    assert (cats["socks"].refunded, cats["socks"].refund_rate) == (D("4.00"), 0.5)
    assert report.by_reason == [
        {
            "reason": "size",
            "refunds": 1,
            "refunded": D("50.00"),
            "units_returned": 1,
            "share": pytest.approx(50 / 124),
            "refund_rate": pytest.approx(50 / 298),
        },
        {
            "reason": "(none)",
            "refunds": 1,
            "refunded": D("45.00"),
            "units_returned": 1,
            "share": pytest.approx(45 / 124),
            "refund_rate": pytest.approx(45 / 298),
        },
        {
            "reason": "damaged",
            "refunds": 1,
            "refunded": D("29.00"),
            "units_returned": 0,  # no refund lines: units unknown
            "share": pytest.approx(29 / 124),
            "refund_rate": pytest.approx(29 / 298),
        },
    ]
    assert report.standouts == []  # nothing sells the minimum volume here


def test_binomial_tail_is_exact() -> None:
    for n, p, x in ((20, 15 / 110, 10), (50, 0.3, 20), (7, 0.5, 0), (7, 0.5, 8), (30, 0.0, 1)):
        exact = sum(comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x, n + 1))
        assert binomial_tail(x, n, p) == pytest.approx(min(exact, 1.0), rel=1e-9, abs=1e-300)


def _row(sku: str, category: str, sold: int, back: float) -> ReturnRow:
    return ReturnRow(sku, sold, D(0), back, D(0), None, back / sold, category)


def test_standouts_against_the_rest_of_the_category() -> None:
    rows = [
        _row("X", "c", 20, 10),
        _row("Y", "c", 100, 10),
        _row("W", "c", 10, 5),  # 50 % but under 20 units sold: not tested
        _row("Z", "d", 30, 0),  # alone in its category: against the rest of the shop
    ]
    found = standouts(rows)
    # X against Y + W: 15 of 110. Y, against X + W (15 of 30), and Z are below their baselines.
    p0 = 15 / 110
    p = sum(comb(20, k) * p0**k * (1 - p0) ** (20 - k) for k in range(10, 21))
    assert [s.sku for s in found] == ["X"]
    x = found[0]
    assert (x.units_sold, x.units_returned, x.return_rate) == (20, 10, 0.5)
    assert x.baseline_rate == pytest.approx(p0)
    assert x.p_value == pytest.approx(p)
    assert x.q_value == pytest.approx(3 * p)  # three SKUs tested, X the smallest p-value


def test_few_returns_never_stand_out() -> None:
    # 2 of 20 against 0 of 200: p = 0, but fewer than 3 units returned.
    assert standouts([_row("A", "c", 20, 2), _row("B", "c", 200, 0)]) == []


def test_ticket_service_levels(after_shop) -> None:
    r = ticket_report(after_shop, WEEK, TARGETS, timezone=PARIS)
    # Opened in the week (Paris days): T1, T2, T3, T4, T5, T8 (T9 is 8 March in Paris).
    assert (r.opened, r.answered, r.resolved) == (6, 4, 3)
    # Responses 1, 2, 6, 30 h; resolutions 12, 24, 72 h (T4's comes after the week).
    assert r.first_response_hours == {
        "p50": pytest.approx(4.0),
        "p90": pytest.approx(6 + 0.7 * 24),
    }
    assert r.resolution_hours == {"p50": pytest.approx(24.0), "p90": pytest.approx(24 + 0.8 * 48)}
    # T2 took 30 h > 24; T3 took 6 h > 4 (damaged); T5 unanswered after 86 h; T8 pending.
    assert r.first_response_sla == {"met": 2, "breached": 3, "pending": 1, "compliance": 0.4}
    # T2's 72 h meets 72; T5 is 86 h old; T4 (35 h) and T8 are pending.
    assert r.resolution_sla == {"met": 3, "breached": 1, "pending": 2, "compliance": 0.75}
    assert r.satisfaction == {"rated": 3, "average": 4.0, "share_4_5": pytest.approx(2 / 3)}
    # Open at the end: T4, T5, T8. At the start: T6 (T7 is closed without a time).
    assert (r.backlog, r.backlog_start) == (3, 1)
    cats = {c["category"]: c for c in r.by_category}
    assert cats["return"]["opened"] == 3 and cats["damaged"]["first_response_sla"]["breached"] == 1
    assert cats["question"]["first_response_hours"] == {"p50": None, "p90": None}


def test_week_without_tickets(after_shop) -> None:
    r = ticket_report(after_shop, Period(date(2025, 4, 1), date(2025, 4, 7)), TARGETS)
    assert (r.opened, r.answered, r.resolved) == (0, 0, 0)
    assert r.first_response_hours == {"p50": None, "p90": None}
    assert r.first_response_sla["compliance"] is None
    assert r.satisfaction == {"rated": 0, "average": None, "share_4_5": None}
    assert r.by_category == []
    assert r.backlog == r.backlog_start == 3  # T5, T8, T9 still open


def test_alerts(after_shop) -> None:
    alerts = aftersales_alerts(after_shop, WEEK, TARGETS, timezone=PARIS)
    assert [(a["kind"], a["value"]) for a in alerts] == [
        ("first_response_sla", 0.4),
        ("resolution_sla", 0.75),
    ]
    assert "40%" in alerts[0]["message"]
    quiet = AftersalesSettings(compliance_target=0.4)
    assert aftersales_alerts(after_shop, WEEK, quiet, timezone=PARIS) == []


def test_comparison_with_the_week_before(after_shop) -> None:
    before = Period(date(2025, 2, 22), date(2025, 2, 28))

    def reports(period: Period):  # type: ignore[no-untyped-def]
        return returns_report(after_shop, period), ticket_report(
            after_shop, period, TARGETS, timezone=PARIS
        )

    compared = aftersales_comparison(reports(WEEK), reports(before))
    previous = compared["previous"]
    assert (previous["from"], previous["to"]) == ("2025-02-22", "2025-02-28")
    # The week before has no order (O5 is of 20 Feb) and one ticket, T6: answered in 2 h, and
    # 85 h old unresolved at its end (past 72 h); open at the end with it: T6 alone.
    figures = previous["figures"]
    assert (figures["refund_rate"], figures["refunded"]) == (None, D("0.00"))
    assert (figures["first_response_sla"], figures["resolution_sla"]) == (1.0, 0.0)
    assert (figures["backlog"], figures["tickets_opened"]) == (1, 1)
    change = compared["change"]
    assert change["refund_rate"] == {"absolute": None, "relative": None}
    assert change["refunded"] == {"absolute": D("124.00"), "relative": None}
    assert change["first_response_sla"]["absolute"] == pytest.approx(0.4 - 1.0)  # points
    assert change["resolution_sla"] == {"absolute": 0.75, "relative": None}
    assert change["backlog"] == {"absolute": 2, "relative": 2.0}


def test_backlog_growth_alert() -> None:
    def report(start: int, end: int) -> TicketReport:
        sla = {"met": 0, "breached": 0, "pending": 0, "compliance": None}
        none = {"p50": None, "p90": None}
        return TicketReport(WEEK, end, start, 0, 0, 0, none, none, sla, sla, {}, [])

    class NoReturns:  # only the tickets matter here
        standouts: list = []

    grown = alerts_from(NoReturns(), report(10, 15), TARGETS)  # type: ignore[arg-type]
    assert [a["kind"] for a in grown] == ["backlog_growth"]
    assert alerts_from(NoReturns(), report(20, 24), TARGETS) == []  # type: ignore[arg-type]
    assert alerts_from(NoReturns(), report(40, 49), TARGETS) == []  # type: ignore[arg-type]


def _set_aftersales(settings_file: Path, body: str) -> None:
    text = settings_file.read_text()
    head, _, _ = text.partition("[aftersales]")
    settings_file.write_text(head + "[aftersales]\n" + body)


def test_aftersales_settings_and_overrides(workspace) -> None:
    assert workspace.aftersales.first_response_hours == 24  # the template's values
    _set_aftersales(
        workspace.settings_file,
        'resolution_hours = 48\n[aftersales.categories."damaged item"]\nfirst_response_hours = 4\n',
    )
    settings = load_settings(workspace.workspace)
    assert settings.aftersales.resolution_hours == 48
    assert settings.aftersales.categories["damaged item"].first_response_hours == 4
    assert settings.aftersales.categories["damaged item"].resolution_hours is None


@pytest.mark.parametrize(
    ("body", "field", "line"),
    [
        ("first_response_hours = -1\n", "aftersales.first_response_hours", 1),
        ("compliance_target = 1.5\n", "aftersales.compliance_target", 1),
        ("first_response_hours = 80\n", "aftersales", 0),
        ("sla = 3\n", "aftersales.sla", 1),
    ],
)
def test_bad_aftersales_setting_names_file_line_and_field(
    cli, workspace, body: str, field: str, line: int
) -> None:
    _set_aftersales(workspace.settings_file, body)
    header = workspace.settings_file.read_text().splitlines().index("[aftersales]") + 1
    result = cli("aftersales", "-w", workspace.workspace)
    assert result.code == 2
    assert f"storeops.toml:{header + line}" in result.err
    assert field in result.err and "Traceback" not in result.err


def test_aftersales_cli_json(cli, workspace) -> None:
    write_rows(workspace.duckdb_path(), aftersales_rows())
    _set_aftersales(
        workspace.settings_file,
        "first_response_hours = 24\nresolution_hours = 72\ncompliance_target = 0.9\n"
        '[aftersales.categories."damaged"]\nfirst_response_hours = 4\n',
    )
    ws = workspace.workspace
    result = cli("aftersales", "-w", ws, "--from", "2025-03-01", "--to", "2025-03-07", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"from", "to", "currency", "targets", "returns", "tickets", "alerts"}
    assert data["targets"]["categories"]["damaged"]["first_response_hours"] == 4
    returns = data["returns"]
    assert set(returns) == {"totals", "by_sku", "by_category", "by_reason", "standouts"}
    assert returns["totals"]["refunded"] == "124.00"
    assert [r["key"] for r in returns["by_sku"]] == ["S1", "S2", "K1", "S3"]  # by refunded
    assert returns["by_sku"][0]["refunded"] == "75.00"
    tickets = data["tickets"]
    assert tickets["backlog"] == 3 and tickets["first_response_sla"]["compliance"] == 0.4
    assert tickets["first_response_hours"]["p50"] == pytest.approx(4.0)
    assert [a["kind"] for a in data["alerts"]] == ["first_response_sla", "resolution_sla"]
    limited = cli("aftersales", "-w", ws, "--from", "2025-03-01", "--limit", "1", "--json")
    assert len(limited.json()["returns"]["by_sku"]) == 1
    assert cli("aftersales", "-w", ws).code == 0  # the readable report


@pytest.mark.slow
def test_demo_shop_returns_stand_out(cli, tmp_path) -> None:
    ws = tmp_path / "demo"
    assert (
        cli(
            "demo", "--no-monitors", "--days", "400", "--end", "2025-06-30", "-w", ws, "--json"
        ).code
        == 0
    )
    data = cli("aftersales", "-w", ws, "--from", "2025-01-01", "--json").json()
    standouts = data["returns"]["standouts"]
    assert standouts and all(s["return_rate"] > s["baseline_rate"] for s in standouts)
    assert {a["sku"] for a in data["alerts"] if a["kind"] == "returns_standout"} == {
        s["sku"] for s in standouts
    }
    tickets = data["tickets"]
    assert tickets["opened"] > 0 and 0 < tickets["first_response_sla"]["compliance"] <= 1
    assert 1 <= tickets["satisfaction"]["average"] <= 5
