"""Chart data for the pages: small aggregates in the engine, Plotly figures as plain JSON, and the
axis and hover formats every money chart shares (the store's currency symbol, compact ticks, a
date axis that stays within the period shown).

The figures are rendered in the browser by static/app.js with the Plotly bundle that the plotly
Python package ships (served from this app, no CDN).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend

from storeops.commerce.period import Period
from storeops.commerce.sales import sales_series
from storeops.core.money import currency_affixes

# At most this many date ticks: Plotly picks fewer on a narrow chart (a phone).
DATE_TICKS = 8
HALF_DAY = timedelta(hours=12)


def money_axis(currency: str, **extra: Any) -> dict[str, Any]:
    """A money axis: "€15k" (the symbol, or "15k CHF"), compact so that a phone keeps its width."""
    prefix, suffix = currency_affixes(currency)
    return {"tickformat": "~s", "tickprefix": prefix, "ticksuffix": suffix, **extra}


def money_hover(currency: str, value: str = "y") -> str:
    """A hover template piece for an amount: "€%{y:,.2f}"."""
    prefix, suffix = currency_affixes(currency)
    return f"{prefix}%{{{value}:,.2f}}{suffix}"


def day_axis(first: date, last: date, **extra: Any) -> dict[str, Any]:
    """A date axis spanning `first`..`last` (each day's mark centred on its day), ticks as
    "7 Dec" (the year is in the page's heading), at most DATE_TICKS of them."""
    return {
        "type": "date",
        "range": [_edge(first, -HALF_DAY), _edge(last, HALF_DAY)],
        "tickformat": "%-d %b",
        "nticks": DATE_TICKS,
        "automargin": True,
        **extra,
    }


def _edge(day: date, offset: timedelta) -> str:
    return (datetime.combine(day, time(0)) + offset).isoformat(sep=" ")


def daily_net_sales(con: BaseBackend, period: Period) -> list[tuple[date, Decimal]]:
    """Net sales of each day of the period (storeops.commerce.sales' definitions, zeros filled)."""
    return [(row["start"], row["net_sales"]) for row in sales_series(con, period=period)]


def net_sales_figure(
    current: list[tuple[date, Decimal]],
    previous: list[tuple[date, Decimal]] | None,
    *,
    currency: str,
    previous_label: str = "Comparison period",
) -> dict[str, Any]:
    """A Plotly line chart of net sales by day; the comparison is drawn on the same days."""
    days = [day.isoformat() for day, _ in current]
    amount = money_hover(currency)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(days) <= 62 else "lines",
            "name": "Net sales",
            "x": days,
            "y": [float(value) for _, value in current],
            "line": {"color": "#2563eb", "width": 2},
            "hovertemplate": f"%{{x|%a %-d %b %Y}}<br>{amount}<extra></extra>",
        }
    ]
    if previous:
        # Day i of the comparison sits under day i of the period; its own date is in the hover.
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": previous_label,
                "x": days[: len(previous)],
                "y": [float(value) for _, value in previous],
                "customdata": [day.isoformat() for day, _ in previous],
                "line": {"color": "#94a3b8", "width": 2, "dash": "dot"},
                "hovertemplate": f"%{{customdata}}<br>{amount}<extra></extra>",
            }
        )
    layout = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 40},
        "height": 320,
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18},
        "yaxis": money_axis(currency, rangemode="tozero", automargin=True),
        "xaxis": day_axis(current[0][0], current[-1][0]) if current else {"type": "date"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    return {"data": data, "layout": layout}
