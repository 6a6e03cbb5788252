"""The Overview: the period's KPIs against a comparison, net sales by day, a CSV of the KPIs."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from storeops.commerce.kpis import (
    COUNT_KPIS,
    KPI_LABELS,
    MONEY_KPIS,
    kpi_report,
    kpi_report_json,
)
from storeops.commerce.period import Compare, Period
from storeops.db.users import User
from storeops.web.cache import CachedWarehouse
from storeops.web.charts import daily_net_sales, net_sales_figure
from storeops.web.deps import SettingsDep, require
from storeops.web.params import COMPARE_LABELS, CompareQuery, FromQuery, ToQuery, page_period
from storeops.web.rendering import render

router = APIRouter()
Reader = Annotated[User, Depends(require("overview"))]

CARDS = (
    "net_sales",
    "orders",
    "average_order_value",
    "conversion_rate",
    "returns",
    "new_customers",
)
# For these, a rise is bad news (shown red).
WORSE_WHEN_UP = frozenset({"returns", "discounts"})


def kind(name: str) -> str:
    return "money" if name in MONEY_KPIS else "count" if name in COUNT_KPIS else "rate"


def daily(reads: CachedWarehouse, period: Period) -> list[tuple[date, Decimal]]:
    return reads.get(("daily_net_sales", period), lambda con: daily_net_sales(con, period))


@router.get("/")
def overview(
    request: Request,
    user: Reader,
    reads: CachedWarehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
) -> Response:
    period = reads.get(("page_period", start, end), lambda con: page_period(con, start, end))
    context: dict[str, Any] = {
        "period": period,
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "labels": KPI_LABELS,
        "cards": CARDS,
        "kind": kind,
        "worse_when_up": WORSE_WHEN_UP,
    }
    if period is not None:
        report = reads.get(("kpis", period, compare), lambda con: kpi_report(con, period, compare))
        previous = report.previous_period
        context |= {
            "report": report,
            "figure": net_sales_figure(
                daily(reads, period),
                daily(reads, previous) if previous else None,
                currency=settings.store.currency,
                previous_label=COMPARE_LABELS[compare].capitalize(),
            ),
        }
    return render(request, "overview.html", context)


@router.get("/kpis.csv")
def kpis_csv(
    user: Reader,
    reads: CachedWarehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
) -> Response:
    """The Overview's KPIs as CSV: money with two decimals, rates as fractions, blank = none."""
    period = reads.get(("page_period", start, end), lambda con: page_period(con, start, end))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["kpi", "label", "from", "to", "value", "previous", "change", "change_relative"]
    )
    if period is not None:
        report = reads.get(("kpis", period, compare), lambda con: kpi_report(con, period, compare))
        data = kpi_report_json(report, settings.store.currency)
        previous = data.get("previous", {}).get("kpis", {})
        for name, label in KPI_LABELS.items():
            change = data.get("change", {}).get(name, {})
            row = [
                data["kpis"][name],
                previous.get(name),
                change.get("absolute"),
                change.get("relative"),
            ]
            writer.writerow(
                [name, label, data["from"], data["to"], *("" if v is None else v for v in row)]
            )
    name = f"kpis_{period.start}_{period.end}.csv" if period else "kpis.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
