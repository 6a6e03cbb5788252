"""Plotly figures of the reliability pages, as plain JSON (drawn by static/app.js)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storeops.monitoring.models import CheckResult
from storeops.web.charts import money_axis, money_hover

_LAYOUT = {
    "margin": {"l": 56, "r": 16, "t": 8, "b": 40},
    "height": 280,
    "hovermode": "closest",
    "legend": {"orientation": "h", "y": -0.22},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


def latency_figure(results: Sequence[CheckResult]) -> dict[str, Any]:
    """Each check's duration over time (UTC instants, shown in the browser's zone); failed
    checks as red crosses on top, so an outage shows where it happened."""
    ordered = sorted(results, key=lambda r: r.at)
    passed = [r for r in ordered if r.ok]
    failed = [r for r in ordered if not r.ok]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Response time",
            "x": [r.at.isoformat() for r in passed],
            "y": [round(r.duration_ms, 1) for r in passed],
            "line": {"color": "#2563eb", "width": 1.5},
            "hovertemplate": "%{x|%d %b %H:%M:%S}<br>%{y:,.0f} ms<extra></extra>",
        }
    ]
    if failed:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Failed check",
                "x": [r.at.isoformat() for r in failed],
                "y": [round(r.duration_ms, 1) for r in failed],
                "text": [r.error or "failed" for r in failed],
                "marker": {"color": "#b91c1c", "symbol": "x", "size": 8},
                "hovertemplate": "%{x|%d %b %H:%M:%S}<br>%{y:,.0f} ms<br>%{text}<extra></extra>",
            }
        )
    layout = _LAYOUT | {
        "yaxis": {"ticksuffix": " ms", "rangemode": "tozero", "automargin": True},
        "xaxis": {"type": "date"},
    }
    return {"data": data, "layout": layout}


def monthly_revenue_figure(months: Sequence[tuple[str, float]], currency: str) -> dict[str, Any]:
    """Revenue at risk per store-local month ("2025-03"), as bars."""
    data = [
        {
            "type": "bar",
            "name": "Revenue at risk",
            "x": [month for month, _ in months],
            "y": [amount for _, amount in months],
            "marker": {"color": "#b91c1c"},
            "hovertemplate": f"%{{x|%b %Y}}<br>{money_hover(currency)}<extra></extra>",
        }
    ]
    layout = _LAYOUT | {
        "yaxis": money_axis(currency, automargin=True),
        "xaxis": {"type": "date", "tickformat": "%b %Y", "dtick": "M1"},
        "showlegend": False,
    }
    return {"data": data, "layout": layout}
