"""Periods: comparisons and the days a shop can have."""

from __future__ import annotations

from datetime import date

import pytest

from storeops.commerce.period import Compare, Period
from storeops.core.errors import UserError


def test_previous_and_year_before() -> None:
    week = Period(date(2024, 3, 1), date(2024, 3, 7))
    assert week.compared(Compare.previous) == Period(date(2024, 2, 23), date(2024, 2, 29))
    leap = Period(date(2024, 2, 29), date(2024, 2, 29))
    assert leap.compared(Compare.yoy) == Period(date(2023, 2, 28), date(2023, 2, 28))
    assert week.compared(Compare.none) is None


def test_reversed_period_and_days_outside_any_shop_are_user_errors() -> None:
    with pytest.raises(UserError, match="is after"):
        Period(date(2024, 3, 7), date(2024, 3, 1))
    with pytest.raises(UserError, match="outside 1900-01-01..2200-12-31"):
        Period(date(1, 1, 5), date(1, 1, 9))
