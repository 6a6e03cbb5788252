"""Burn rates, error budgets and the SRE workbook's multiwindow multi-burn-rate policy."""

from __future__ import annotations

import pytest

from storeops.monitoring import burn


def test_burn_rate_is_error_ratio_over_the_allowed_ratio() -> None:
    # 99.9%: 1 bad in 1000 spends the budget exactly at pace; 144 bad in 10,000 is 14.4x.
    assert burn.burn_rate(999, 1000, 0.999) == pytest.approx(1.0)
    assert burn.burn_rate(10_000 - 144, 10_000, 0.999) == pytest.approx(14.4)
    assert burn.burn_rate(100, 100, 0.99) == 0.0
    assert burn.burn_rate(0, 20, 0.95) == pytest.approx(20.0)  # all bad: 1 / 0.05


def test_no_data_has_no_ratio_no_burn_and_no_budget() -> None:
    assert burn.error_ratio(0, 0) is None
    assert burn.burn_rate(0, 0, 0.999) is None
    assert burn.budget_remaining(0, 0, 0.999) is None


def test_budget_allowed_and_remaining_can_go_negative() -> None:
    # 99% of 43,200 checks (30 days at one a minute): 432 may fail.
    assert burn.allowed_bad(43_200, 0.99) == pytest.approx(432)
    assert burn.budget_remaining(43_200, 43_200, 0.99) == pytest.approx(1.0)
    assert burn.budget_remaining(43_200 - 108, 43_200, 0.99) == pytest.approx(0.75)
    assert burn.budget_remaining(43_200 - 432, 43_200, 0.99) == pytest.approx(0.0)
    assert burn.budget_remaining(43_200 - 864, 43_200, 0.99) == pytest.approx(-1.0)


def _burns(**values: float | None) -> dict[str, float | None]:
    names = {"m5": "5m", "m30": "30m", "h1": "1h", "h6": "6h", "d3": "3d"}
    return {names[k]: v for k, v in values.items()}


def test_fast_page_needs_both_the_hour_and_the_five_minutes() -> None:
    fired = burn.firing(_burns(h1=14.4, m5=20.0, h6=3.0, m30=3.0, d3=0.5))
    assert [(f.severity, f.rule.long_window) for f in fired] == [("page", "1h")]
    assert (fired[0].burn_long, fired[0].burn_short) == (14.4, 20.0)
    # The hour burnt hard but the last five minutes are clean: the incident is over, no page.
    assert burn.firing(_burns(h1=30.0, m5=0.0, h6=3.0, m30=3.0, d3=0.5)) == []
    # A five-minute spike alone does not page either.
    assert burn.firing(_burns(h1=2.0, m5=100.0, h6=1.0, m30=5.0, d3=0.5)) == []


def test_slow_page_and_ticket() -> None:
    fired = burn.firing(_burns(h1=7.0, m5=7.0, h6=6.0, m30=6.5, d3=2.0))
    assert [(f.severity, f.rule.long_window) for f in fired] == [("page", "6h"), ("ticket", "3d")]
    ticket_only = burn.firing(_burns(h1=1.2, m5=1.1, h6=1.0, m30=1.3, d3=1.0))
    assert [(f.severity, f.rule.long_window) for f in ticket_only] == [("ticket", "3d")]
    assert burn.firing(_burns(h1=1.2, m5=1.1, h6=0.99, m30=1.3, d3=5.0)) == []


def test_windows_without_data_never_alert() -> None:
    assert burn.firing(_burns(h1=None, m5=50.0, h6=None, m30=50.0, d3=None)) == []
    assert burn.firing({}) == []


def test_strongest_picks_the_highest_long_burn_of_a_severity() -> None:
    fired = burn.firing(_burns(h1=20.0, m5=20.0, h6=8.0, m30=9.0, d3=3.0))
    page = burn.strongest(fired, "page")
    assert page is not None and page.rule.long_window == "1h"
    ticket = burn.strongest(fired, "ticket")
    assert ticket is not None and ticket.burn_long == 3.0
    assert burn.strongest([], "page") is None
