"""KPIs of the hand-made shop, worked out on paper, on every engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from storeops.commerce.kpis import kpi_report
from storeops.commerce.period import Compare, Period, resolve_period

WEEK = Period(date(2025, 3, 1), date(2025, 3, 7))


def test_week_kpis_follow_shopify_definitions(shop) -> None:
    kpis = kpi_report(shop, WEEK, Compare.none).kpis
    assert kpis["orders"] == 2  # O1 and O2; O3 is voided, O5 is on 8 March in Paris
    assert kpis["gross_sales"] == D("150.00")  # 2×10 + 30 + 100
    assert kpis["discounts"] == D("5.00")
    assert kpis["returns"] == D("70.00")  # refunds dated this week, whatever the order's day
    assert kpis["net_sales"] == D("75.00")
    assert kpis["shipping"] == D("4.90") and kpis["taxes"] == D("30.00")
    assert kpis["total_sales"] == D("109.90")
    assert kpis["average_order_value"] == D("72.50")  # (150 - 5) / 2
    assert kpis["units_sold"] == 4
    assert kpis["customers"] == 2
    assert kpis["new_customers"] == 1  # c2; c1 first bought in January
    assert kpis["returning_customer_rate"] == pytest.approx(0.5)
    assert kpis["sessions"] == 700
    assert kpis["conversion_rate"] == pytest.approx(2 / 700)
    # costs known for A and B only: (2×10 − 5 + 30) − (2×4 + 12)
    assert kpis["gross_profit"] == D("25.00")
    assert kpis["gross_margin"] == pytest.approx(25 / 45)
    assert kpis["cost_coverage"] == pytest.approx(45 / 145)


def test_previous_period_and_change(shop) -> None:
    report = kpi_report(shop, WEEK, Compare.previous)
    assert report.previous_period == Period(date(2025, 2, 22), date(2025, 2, 28))
    assert report.previous["orders"] == 1
    assert report.previous["gross_sales"] == D("60.00")
    assert report.previous["net_sales"] == D("50.00")
    assert report.change["orders"] == {"absolute": 1, "relative": pytest.approx(1.0)}
    assert report.change["net_sales"]["absolute"] == D("25.00")
    assert report.change["net_sales"]["relative"] == pytest.approx(0.5)


def test_year_over_year_with_no_data_has_no_relative_change(shop) -> None:
    report = kpi_report(shop, WEEK, Compare.yoy)
    assert report.previous_period == Period(date(2024, 3, 1), date(2024, 3, 7))
    assert report.previous["orders"] == 0 and report.previous["average_order_value"] is None
    assert report.change["orders"] == {"absolute": 2, "relative": None}


def test_all_data_when_no_bounds(shop) -> None:
    assert resolve_period(shop, None, None) == Period(date(2025, 1, 10), date(2025, 3, 8))
    assert resolve_period(shop, date(2025, 3, 1), None) == Period(
        date(2025, 3, 1), date(2025, 3, 8)
    )
