"""Chart data for the pages: small aggregates in the engine, Plotly figures as plain JSON.

The figures are rendered in the browser by static/app.js with the Plotly bundle that the plotly
Python package ships (served from this app, no CDN).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend

from storeops.commerce.period import Period
from storeops.commerce.sales import sales_series


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
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(days) <= 62 else "lines",
            "name": "Net sales",
            "x": days,
            "y": [float(value) for _, value in current],
            "line": {"color": "#2563eb", "width": 2},
            "hovertemplate": f"%{{x|%a %d %b %Y}}<br>%{{y:,.2f}} {currency}<extra></extra>",
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
                "hovertemplate": f"%{{customdata}}<br>%{{y:,.2f}} {currency}<extra></extra>",
            }
        )
    layout = {
        "margin": {"l": 56, "r": 16, "t": 8, "b": 40},
        "height": 320,
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18},
        "yaxis": {
            "tickformat": ",.0f",
            "ticksuffix": f" {currency}",
            "rangemode": "tozero",
            "automargin": True,
        },
        "xaxis": {"type": "date"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    return {"data": data, "layout": layout}
