"""Promotions: per campaign run and per discount code, orders, revenue, discount cost,
incremental revenue against the no-promotion baseline and the post-promotion dip, with a chart
of actual against baseline sales for one run (storeops.commerce.promotions).

One promotion_report per request. The page opens on the last 365 days with orders: campaigns
are a few a year, and a month would rarely hold one. Against the previous period (or the same
dates last year), the orders with codes and each code's orders and revenue show how they moved
(storeops.commerce.promotions.promotions_comparison).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from ibis.backends import BaseBackend

from storeops.commerce.period import Compare, Period, data_period
from storeops.commerce.promotions import (
    Estimator,
    coded_sales,
    promotion_report,
    promotions_comparison,
)
from storeops.db.users import User
from storeops.web.charts import day_axis, money_axis, money_hover
from storeops.web.datatable import Column, csv_response, page_of
from storeops.web.deps import SettingsDep, Warehouse, require
from storeops.web.params import COMPARE_LABELS, CompareQuery, FromQuery, ToQuery, page_period
from storeops.web.rendering import render
from storeops.web.tables import (
    PER_PAGE_CHOICES,
    Direction,
    DirQuery,
    PageQuery,
    PerPageQuery,
    TablePage,
    url_with,
)

router = APIRouter()
Reader = Annotated[User, Depends(require("promotions"))]
PAGE_DAYS = 365

CAMPAIGN_COLUMNS = (
    Column("campaign", "Campaign", sub="dates"),
    Column("orders", "Orders", "count", hide="sm"),
    Column("net_sales", "Revenue", "money"),
    Column("discounts", "Discount cost", "money", hide="sm"),
    Column("shop_sales", "Shop sales", "money", hide="md"),
    Column("baseline", "Baseline", "money", hide="md"),
    Column("incremental_revenue", "Incremental", "money"),
    Column("incremental_rate", "Uplift", "rate", hide="sm"),
    Column("dip", "Post-promo dip", "money", hide="sm"),
)
CODE_COLUMNS = (
    Column("code", "Code"),
    Column("campaign", "Campaign", hide="sm"),
    Column("first_day", "First used", "date", hide="md"),
    Column("last_day", "Last used", "date", hide="md"),
    Column("orders", "Orders", "count", previous="previous_orders"),
    Column("gross_sales", "Gross sales", "money", hide="sm"),
    Column("discounts", "Discount cost", "money", hide="sm"),
    Column("net_sales", "Revenue", "money", previous="previous_net_sales"),
)
CampaignSort = StrEnum(  # type: ignore[misc]
    "CampaignSort", {c.key: c.key for c in CAMPAIGN_COLUMNS} | {"first_day": "first_day"}
)
CodeSort = StrEnum("CodeSort", {c.key: c.key for c in CODE_COLUMNS})  # type: ignore[misc]
TEXT_COLUMNS = {"campaign", "code", "first_day", "last_day"}


class CsvTable(StrEnum):
    campaigns = "campaigns"
    codes = "codes"
    chart = "chart"


WeeksQuery = Annotated[
    int, Query(ge=1, le=52, description="Weeks before a campaign its baseline is taken from.")
]
AfterDaysQuery = Annotated[
    int, Query(ge=1, le=90, description="Days after a campaign searched for a pull-forward dip.")
]
EstimatorQuery = Annotated[
    Estimator, Query(description="Baseline per weekday: median or trimmed-mean.")
]
CampaignQuery = Annotated[
    str | None, Query(max_length=200, description="The campaign charted (default: the first).")
]
RunQuery = Annotated[
    date | None, Query(description="First day of the campaign's run, when it ran several times.")
]


def promotions_period(con: BaseBackend, start: date | None, end: date | None) -> Period | None:
    """As asked; without `from`, the PAGE_DAYS days up to `to` (default: the last day with
    orders), never before the first day with orders. None without orders."""
    if start is None:
        known = data_period(con)
        if known is None:
            return None
        end = end or known.end
        start = min(max(known.start, end - timedelta(days=PAGE_DAYS - 1)), end)
    return page_period(con, start, end)


def campaign_rows(campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per campaign run, the baseline figures flattened (None unless status ok)."""
    rows = []
    for c in campaigns:
        ok = c["status"] == "ok"
        rows.append(
            {
                **c,
                "codes": ", ".join(c["codes"]),
                "dates": _dates(c["first_day"], c["last_day"]),
                "shop_sales": c["baseline"]["actual"] if ok else None,
                "baseline": c["baseline"]["expected"] if ok else None,
                "dip": c["dip"]["dip"] if ok else None,
                "_badge": None if ok else c["status"].replace("_", " "),
            }
        )
    return rows


def _dates(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return "no dates"
    if first == last:
        return f"{first.day} {first:%b %Y}"
    return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"


def chosen_run(
    campaigns: list[dict[str, Any]], name: str | None, run: date | None
) -> dict[str, Any] | None:
    """The run asked for; else the campaign's first run; else the first run with a baseline."""
    named = [c for c in campaigns if c["campaign"] == name]
    for c in named:
        if run is None or c["first_day"] == run:
            return c
    return next((c for c in campaigns if c["status"] == "ok"), campaigns[0] if campaigns else None)


def chart_days(campaign: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's days and the days after it: actual and baseline sales (status ok only)."""
    if campaign["status"] != "ok":
        return []
    window = [{**d, "part": "campaign"} for d in campaign["baseline"]["days"]]
    after = [{**d, "part": "after"} for d in campaign["dip"]["days"]]
    return window + after


def code_rows(codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Code rows with their compared figures as previous_* (when compared)."""
    return [
        {
            **row,
            **{f"previous_{name}": value for name, value in row.get("previous", {}).items()},
        }
        for row in codes
    ]


def baseline_figure(days: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Bars of the shop's actual sales (the run's days, then the days after it), the baseline
    as a line over both."""
    hover = f"%{{x|%a %-d %b %Y}}<br>{money_hover(currency)}"
    data: list[dict[str, Any]] = []
    for part, name, color in (
        ("campaign", "Actual, campaign days", "#2563eb"),
        ("after", "Actual, days after", "#93c5fd"),
    ):
        chosen = [d for d in days if d["part"] == part]
        if chosen:
            data.append(
                {
                    "type": "bar",
                    "name": name,
                    "x": [d["date"].isoformat() for d in chosen],
                    "y": [float(d["actual"]) for d in chosen],
                    "marker": {"color": color},
                    "hovertemplate": f"{hover}<extra>{name}</extra>",
                }
            )
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Baseline (no promotion)",
            "x": [d["date"].isoformat() for d in days],
            "y": [float(d["baseline"]) for d in days],
            "line": {"color": "#111827", "width": 2, "dash": "dot"},
            "hovertemplate": f"{hover}<extra>Baseline</extra>",
        }
    )
    layout = {
        "margin": {"l": 56, "r": 16, "t": 8, "b": 40},
        "height": 320,
        "barmode": "overlay",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18},
        "yaxis": money_axis(currency, rangemode="tozero", automargin=True),
        "xaxis": day_axis(days[0]["date"], days[-1]["date"]),
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }  # fmt: skip
    return {"data": data, "layout": layout}


def _table(
    rows: list[dict[str, Any]], sort: Any, direction: Direction | None, page: int, per_page: int
) -> TablePage:
    """Sorted as asked, else in the domain's order (campaigns by date, codes as listed)."""
    default = Direction.asc if sort is None or sort.value in TEXT_COLUMNS else Direction.desc
    return page_of(
        rows,
        sort=sort.value if sort else None,
        direction=direction or default,
        page=page,
        per_page=per_page,
    )


def _prefixed(request: Request, prefix: str) -> Callable[..., str]:
    """Links of a table whose sort/dir/page/per_page parameters carry `prefix`."""
    return lambda **changes: url_with(request, **{prefix + k: v for k, v in changes.items()})


@router.get("/promotions")
def promotions_page(
    request: Request,
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    weeks: WeeksQuery = 4,
    after_days: AfterDaysQuery = 7,
    estimator: EstimatorQuery = Estimator.median,
    campaign: CampaignQuery = None,
    run: RunQuery = None,
    sort: Annotated[CampaignSort | None, Query(description="Campaign table column.")] = None,
    direction: DirQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
    codes_sort: Annotated[CodeSort | None, Query(description="Code table column.")] = None,
    codes_dir: Annotated[Direction | None, Query(description="asc or desc.")] = None,
    codes_page: PageQuery = 1,
    codes_per_page: PerPageQuery = 25,
) -> Response:
    period = promotions_period(con, start, end)
    context: dict[str, Any] = {
        "period": period,
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "weeks": weeks,
        "after_days": after_days,
        "estimator": estimator,
        "estimators": list(Estimator),
        "per_page_choices": PER_PAGE_CHOICES,
        "campaign_columns": CAMPAIGN_COLUMNS,
        "code_columns": CODE_COLUMNS,
        "link": _prefixed(request, ""),
        "codes_link": _prefixed(request, "codes_"),
        "csv_url": lambda table: url_with(
            request,
            "/promotions.csv",
            table=table,
            page=None,
            per_page=None,
            codes_page=None,
            codes_per_page=None,
        ),  # fmt: skip
    }
    if period is None:
        return render(request, "promotions.html", context)
    report = promotion_report(
        con,
        period=period,
        timezone=settings.store.timezone,
        weeks=weeks,
        after_days=after_days,
        estimator=estimator,
    )
    rows = campaign_rows(report.campaigns)
    selected = chosen_run(report.campaigns, campaign, run)
    for row in rows:
        row["_href"] = url_with(request, campaign=row["campaign"], run=row["first_day"])
        if selected and (row["campaign"], row["first_day"]) == (
            selected["campaign"],
            selected["first_day"],
        ):
            row["_class"] = "selected"
    ok = [c for c in report.campaigns if c["status"] == "ok"]
    days = chart_days(selected) if selected else []
    other = period.compared(compare)
    comparison = promotions_comparison(con, report, other) if other else None
    codes = code_rows(comparison["codes"] if comparison else report.codes)
    context |= {
        "previous_period": other,
        "comparison": comparison,
        "coded": comparison["coded"] if comparison else coded_sales(con, period),
        "campaigns": _table(rows, sort, direction, page, per_page),
        "codes": _table(codes, codes_sort, codes_dir, codes_page, codes_per_page),
        "totals": {
            "runs": len(report.campaigns),
            "incremental": sum(c["incremental_revenue"] for c in ok) if ok else None,
            "dip": sum(c["dip"]["dip"] for c in ok if c["dip"]["dip"] is not None) if ok else None,
        },
        "selected": selected,
        "asked_missing": campaign is not None
        and (selected is None or selected["campaign"] != campaign),
        "asked": campaign,
        "figure": baseline_figure(days, settings.store.currency) if days else None,
    }
    return render(request, "promotions.html", context)


@router.get("/promotions.csv")
def promotions_csv(
    user: Reader,
    con: Warehouse,
    settings: SettingsDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare: CompareQuery = Compare.previous,
    weeks: WeeksQuery = 4,
    after_days: AfterDaysQuery = 7,
    estimator: EstimatorQuery = Estimator.median,
    campaign: CampaignQuery = None,
    run: RunQuery = None,
    table: Annotated[CsvTable, Query(description="campaigns, codes or chart.")] = (
        CsvTable.campaigns
    ),
    sort: Annotated[CampaignSort | None, Query(description="Campaign table column.")] = None,
    direction: DirQuery = None,
    codes_sort: Annotated[CodeSort | None, Query(description="Code table column.")] = None,
    codes_dir: Annotated[Direction | None, Query(description="asc or desc.")] = None,
) -> Response:
    """A table of the page as CSV, every row: campaigns (with status and reason), codes (with
    their orders and revenue in the compared period), or the chart's days of the selected run
    (date, part, actual, baseline)."""
    period = promotions_period(con, start, end)
    columns: tuple[Column, ...] = {
        CsvTable.campaigns: (
            *CAMPAIGN_COLUMNS,
            Column("first_day", "From", "date"),
            Column("last_day", "To", "date"),
            Column("codes", "Codes"),
            Column("status", "Status"),
            Column("reason", "Reason"),
        ),
        CsvTable.codes: CODE_COLUMNS,
        CsvTable.chart: (
            Column("campaign", "Campaign"),
            Column("date", "Day", "date"),
            Column("part", "Part"),
            Column("actual", "Actual", "money"),
            Column("baseline", "Baseline", "money"),
        ),
    }[table]
    if period is None:
        return csv_response(f"promotions_{table.value}.csv", columns, [])
    report = promotion_report(
        con,
        period=period,
        timezone=settings.store.timezone,
        weeks=weeks,
        after_days=after_days,
        estimator=estimator,
    )
    rows: list[dict[str, Any]]
    if table is CsvTable.campaigns:
        rows = campaign_rows(report.campaigns)
        rows = _table(rows, sort, direction, 1, max(len(rows), 1)).rows
    elif table is CsvTable.codes:
        other = period.compared(compare)
        codes = code_rows(
            promotions_comparison(con, report, other)["codes"] if other else report.codes
        )
        rows = _table(codes, codes_sort, codes_dir, 1, max(len(codes), 1)).rows
    else:
        selected = chosen_run(report.campaigns, campaign, run)
        rows = (
            [{**d, "campaign": selected["campaign"]} for d in chart_days(selected)]
            if selected
            else []
        )
    name = f"promotions_{table.value}_{period.start}_{period.end}.csv"
    return csv_response(name, columns, rows)
