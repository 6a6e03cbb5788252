"""Revenue at risk from a real workspace: the warehouse read once an hour, an empty or missing
warehouse saying so, live and frozen amounts and their text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from storeops.core.settings import Settings
from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade
from storeops.itsm import actions
from storeops.itsm.models import Origin, Service
from storeops.itsm.schemas import ServiceSpec
from storeops.workflows.revenue_at_risk import (
    RevenueRates,
    at_risk_text,
    format_money,
    live_amount,
    rate_text,
    totals,
)
from tests.commerce.revenue_rate_data import ORDINARY, ZONE, write_warehouse

PARIS = ZoneInfo(ZONE)
AT = datetime(2025, 3, 25, 14, 20, tzinfo=PARIS)


def service(impact: float) -> Service:
    return Service(name="search", title="Search", impact=impact)


@pytest.fixture
def shop(workspace: Settings) -> Settings:
    """The workspace with the hand-made shop of revenue_rate_data (1.2833 a minute at AT)."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    write_warehouse(path, ORDINARY)
    return workspace


def test_a_services_rate_is_the_store_baseline_times_its_impact(shop: Settings) -> None:
    rates = RevenueRates(shop)
    rate = rates.for_service(service(0.3), AT)
    assert (rate.store_per_minute, rate.per_minute) == (D("1.2833"), D("0.3850"))  # 0.38499
    assert (rate.basis, rate.known, rate.impact) == ("weekday-hour", True, 0.3)
    assert rates.for_service(service(1.0), AT).per_minute == D("1.2833")


def test_the_baseline_is_read_once_per_store_local_hour(shop: Settings) -> None:
    rates = RevenueRates(shop)
    for minute in (20, 35, 59):
        rates.for_service(service(1.0), AT.replace(minute=minute))
    assert rates.reads == 1
    later = rates.for_service(service(1.0), AT.replace(hour=15, minute=0))
    assert (rates.reads, later.per_minute) == (2, D("0"))  # 15:00: 999, 0, 0, 0 -> median 0
    rates.for_service(service(1.0), AT.replace(minute=40))  # back in the 14:00 hour: kept
    assert rates.reads == 2


def test_an_empty_warehouse_has_no_sales_history(workspace: Settings) -> None:
    rate = RevenueRates(workspace).for_service(service(1.0), AT)
    assert (rate.per_minute, rate.basis, rate.known) == (D(0), "no sales history", False)
    assert rate_text(rate.per_minute, "EUR", basis=rate.basis) == "€0.00/min (no sales history)"


def test_a_missing_warehouse_is_no_history_and_is_not_created(workspace: Settings) -> None:
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    rates = RevenueRates(workspace)
    rate = rates.for_service(service(1.0), AT)
    assert (rate.per_minute, rate.basis) == (D(0), "no sales history")
    assert not path.exists() and rates.reads == 0


def test_money_text() -> None:
    assert format_money(D("1234.5"), "EUR") == "€1,234.50"
    assert format_money(D("-3"), "USD") == "−$3.00"
    assert format_money(D("1234.5"), "CHF") == "1,234.50 CHF"
    assert rate_text(D("20.5713"), "GBP") == "£20.57/min"


def test_live_and_frozen_amounts_and_monthly_totals(database_url: str, workspace) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    t0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    try:
        with session_factory(engine)() as session:
            checkout = actions.upsert_service(
                session, ServiceSpec(name="checkout", impact=1.0), origin=Origin.config, actor="t"
            )
            incident = actions.open_incident(
                session,
                service=checkout,
                title="checkout-page failing: HTTP 500",
                source="monitor",
                severity="sev1",
                now=t0,
                revenue_per_minute=D("20.5713"),
                actor=actions.SYSTEM,
            )
            session.commit()
            now = t0 + timedelta(minutes=60)  # 20.5713 × 60 = 1,234.278
            assert live_amount(incident, now) == D("1234.28")
            assert at_risk_text(incident, now, "EUR") == "≈ €1,234.28 at risk so far, €20.57/min"
            actions.resolve_incident(
                session, incident, now=t0 + timedelta(minutes=30), actor=actions.SYSTEM
            )
            session.commit()
            later = t0 + timedelta(days=3)
            assert live_amount(incident, later) == D("617.14")  # frozen at 30 minutes
            assert at_risk_text(incident, later, "EUR") == "≈ €617.14 at risk, €20.57/min"
            [march] = totals(session, workspace, now=later)
            assert (march.service, march.month, march.revenue_at_risk) == (
                "checkout",
                "2025-03",
                D("617.14"),
            )
    finally:
        engine.dispose()


def test_an_unreadable_warehouse_keeps_the_last_baseline_or_says_so(shop: Settings) -> None:
    rates = RevenueRates(shop)
    assert rates.for_service(service(1.0), AT).per_minute == D("1.2833")
    path = shop.duckdb_path()
    assert path is not None
    path.write_bytes(b"not a DuckDB file" * 100)
    later = rates.for_service(service(1.0), AT + timedelta(hours=2))
    assert (later.per_minute, later.basis) == (D("1.2833"), "weekday-hour")  # the last one read
    fresh = RevenueRates(shop).for_service(service(1.0), AT)
    assert (fresh.per_minute, fresh.basis, fresh.known) == (D(0), "warehouse unavailable", False)
    assert (
        rate_text(fresh.per_minute, "EUR", basis=fresh.basis) == "€0.00/min (warehouse unavailable)"
    )
