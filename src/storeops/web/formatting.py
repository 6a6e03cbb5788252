"""Readable numbers and store-local dates for the pages (registered as Jinja filters).

money: "€1,234.50" (symbol for common currencies, else "1,234.50 CHF"); count: "12,345";
rate: "12.3%"; number(kind): one of those by kind ("money", "count", "rate"); change: "+12.3%" or "+1.2 pts" for rates; localdate: "Sat 1 Mar 2025";
localtime: a UTC timestamp as the store's wall-clock time, "1 Mar 2025 14:05".
A value that cannot be computed (None) shows as an em dash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from storeops.core.settings import Settings

MISSING = "—"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def money(value: Decimal | int | None, currency: str) -> str:
    if value is None:
        return MISSING
    amount = f"{abs(Decimal(value)):,.2f}"
    sign = "−" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def rate(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1%}"


def change(value: dict[str, Any] | None, *, points: bool = False) -> str:
    """A KPI's change: relative for amounts and counts, in percentage points for rates."""
    if not value or value.get("absolute") is None:
        return ""
    if points:
        return f"{value['absolute'] * 100:+.1f} pts"
    relative = value.get("relative")
    return "new" if relative is None else f"{relative:+.1%}"


def localdate(value: date | None) -> str:
    return MISSING if value is None else f"{value:%a} {value.day} {value:%b %Y}"


def localtime(value: datetime | None, timezone: str) -> str:
    """A stored timestamp (UTC; naive ones are UTC too) on the store's clock."""
    if value is None:
        return MISSING
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = aware.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y %H:%M}"


def install(env: Environment, settings: Settings) -> None:
    """Adds the filters to a Jinja environment, bound to the store's currency and time zone."""
    currency, timezone = settings.store.currency, settings.store.timezone
    env.filters.update(
        money=lambda value, code=None: money(value, code or currency),
        number=lambda value, kind: (
            money(value, currency)
            if kind == "money"
            else count(value)
            if kind == "count"
            else rate(value)
        ),
        count=count,
        rate=rate,
        change=change,
        localdate=localdate,
        localtime=lambda value: localtime(value, timezone),
    )
