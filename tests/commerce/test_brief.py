"""The morning briefing puts the parts together for the last seven days with data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from storeops.cli.workspace import prepare_stores
from storeops.commerce.brief import brief_period, morning_brief
from storeops.commerce.period import Period
from storeops.core.settings import AftersalesSettings, write_default_settings
from tests.commerce.shop import build_shop


def test_brief_covers_the_last_seven_days_against_the_seven_before(shop) -> None:
    period = brief_period(shop)
    assert period == Period(date(2025, 3, 2), date(2025, 3, 8))
    brief = morning_brief(
        shop, period=period, targets=AftersalesSettings(), timezone="Europe/Paris"
    )
    assert brief.kpis.previous_period == Period(date(2025, 2, 23), date(2025, 3, 1))
    assert brief.kpis.kpis["orders"] == 2  # O2 and O5
    assert brief.kpis.kpis["gross_sales"] == D("110.00")
    assert brief.kpis.previous["orders"] == 2  # O4 and O1
    data = brief.as_json("EUR")
    assert {"from", "to", "currency", "kpis", "previous", "change"} <= data.keys()
    assert {"anomalies", "stock_risks", "aftersales_alerts"} <= data.keys()


def test_brief_command_json_and_screen(cli, tmp_path) -> None:
    settings = write_default_settings(
        tmp_path / "ws", name="Brief Shop", currency="EUR", timezone="Europe/Paris"
    )
    prepare_stores(settings)
    settings.duckdb_path().unlink()
    build_shop(settings.duckdb_path())
    result = cli("brief", "-w", settings.workspace, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["from"] == "2025-03-02" and data["to"] == "2025-03-08"
    assert data["kpis"]["gross_sales"] == "110.00"
    screen = cli("brief", "-w", settings.workspace)
    assert screen.code == 0
    assert "Brief Shop" in screen.out and "Net sales" in screen.out
