"""The morning briefing: how sales went, what is wrong, what needs doing.

One read of the warehouse per part: KPIs against the period before, the top anomalies of the
period, the SKUs about to run out, and the after-sales alerts. By default the period is the last
seven store-local days that have data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from ibis.backends import BaseBackend

from storeops.commerce.aftersales import aftersales_alerts
from storeops.commerce.anomalies import Anomaly, top_anomalies
from storeops.commerce.kpis import KpiReport, kpi_report, kpi_report_json
from storeops.commerce.period import Compare, Period, data_period
from storeops.commerce.stock import StockRow, stock_risks
from storeops.core.errors import UserError
from storeops.core.settings import AftersalesSettings

BRIEF_DAYS = 7


@dataclass
class Brief:
    kpis: KpiReport
    anomalies: list[Anomaly]
    stock_risks: list[StockRow]
    aftersales: list[dict[str, Any]]

    def as_json(self, currency: str) -> dict[str, Any]:
        return {
            **kpi_report_json(self.kpis, currency),
            "anomalies": [a.as_json() for a in self.anomalies],
            "stock_risks": [asdict(r) for r in self.stock_risks],
            "aftersales_alerts": self.aftersales,
        }


def brief_period(con: BaseBackend) -> Period:
    """The last seven days that have data."""
    known = data_period(con)
    if known is None:
        raise UserError("the warehouse has no orders yet (import some, or run storeops demo)")
    return Period(max(known.start, known.end - timedelta(days=BRIEF_DAYS - 1)), known.end)


def morning_brief(
    con: BaseBackend,
    *,
    period: Period,
    targets: AftersalesSettings,
    timezone: str,
    limit: int = 5,
) -> Brief:
    return Brief(
        kpis=kpi_report(con, period, Compare.previous),
        anomalies=top_anomalies(con, period, limit=limit),
        stock_risks=stock_risks(con, as_of=period.end, limit=limit * 2),
        aftersales=aftersales_alerts(con, period, targets, timezone=timezone),
    )
