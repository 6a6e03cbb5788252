"""Readable numbers and store-local dates for the pages (registered as Jinja filters).

money: "€1,234.50" (symbol for common currencies, else "1,234.50 CHF"); count: "12,345";
rate: "12.3%"; number(kind): one of those by kind ("money", "count", "rate", "ratio" 1.23,
"hours" 4.8 h, "score" 3.72 / 5); change: "+12.3%", "+1.2 pts" for rates, "new" (or "+3" for a
count) from zero; trend: "good", "bad" or "" for a change, read as news; localdate:
"Sat 1 Mar 2025"; localtime: a UTC timestamp as the store's wall-clock time, "1 Mar 2025 14:05".
A value that cannot be computed (None) shows as an em dash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from storeops.commerce.compare import change as change_of
from storeops.core.money import format_money
from storeops.core.settings import Settings

MISSING = "—"


def money(value: Decimal | int | None, currency: str) -> str:
    return MISSING if value is None else format_money(value, currency)


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def rate(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1%}"


def change(value: dict[str, Any] | None, *, points: bool = False, kind: str = "") -> str:
    """A KPI's change: relative for amounts and counts, in percentage points for rates; from
    zero, "new" (a count says by how much: "+3")."""
    if not value or value.get("absolute") is None:
        return ""
    absolute = value["absolute"]
    if points or kind == "rate":
        return f"{absolute * 100:+.1f} pts"
    relative = value.get("relative")
    if relative is not None:
        return f"{relative:+.1%}"
    if kind == "count":
        return f"{absolute:+,}"
    return "new" if absolute else "no change"


def trend(value: dict[str, Any] | None, worse_when_up: bool = False) -> str:
    """'good' or 'bad' for a change (a rise is good news unless `worse_when_up`), '' for none."""
    absolute = (value or {}).get("absolute")
    if not absolute:
        return ""
    return "good" if (absolute > 0) != worse_when_up else "bad"


def number(value: Any, kind: str, currency: str) -> str:
    """A value by its kind (module docstring)."""
    if value is None:
        return MISSING
    if kind == "money":
        return money(value, currency)
    if kind == "count":
        return count(value)
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "score":
        return f"{value:.2f} / 5"
    return rate(value)


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
        number=lambda value, kind: number(value, kind, currency),
        count=count,
        rate=rate,
        change=change,
        trend=trend,
        localdate=localdate,
        localtime=lambda value: localtime(value, timezone),
    )
    env.globals["change_of"] = change_of
