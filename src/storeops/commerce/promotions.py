"""Promotions: what each discount code and campaign sold, and what it added over no promotion.

Codes. `orders.discount_codes` is split on commas; codes match `promotions.code` without regard to
case or surrounding spaces. Per code, over the sale orders of the period that used it: orders,
gross sales (Σ line price × quantity), discounts (the orders' discounts: the warehouse keeps one
discount total per order), net sales = gross − discounts. An order with several codes counts under
each of them. A code used on orders but missing from `promotions` is listed with campaign None.

Campaigns. A campaign's window is the store-local days from its codes' earliest `starts_at` to their
latest `ends_at` (an `ends_at` at local midnight ends the day before). Campaigns whose window meets
the period are listed, with the orders of their window that used any of their codes (an order
counted once per campaign).

Counterfactual baseline (what the whole shop would have sold on those days without the campaign):
1. daily sales = gross sales − discounts of the day's sale orders. Returns are left out: they are
   dated when refunded, days or weeks later, and would move the campaign's returns into the days
   after it.
2. lookback = the `weeks` × 7 days before the campaign's first day, from the first day the warehouse
   has orders, leaving out the days of every other campaign and the `after_days` days after each
   (pull-forward dips). A campaign that runs through the whole lookback and the whole window (an
   evergreen welcome code) is background, not another promotion: it weighs on both sides alike.
3. the baseline of a day = the median (or the 20 % trimmed mean: ⌊0.2 n⌋ values dropped at each
   end, so a plain mean below 5 weeks) of the lookback's sales on the same weekday; a weekday
   without any lookback day falls back to all lookback days (`basis` says which).
4. incremental revenue = Σ actual − Σ baseline over the window's days that have data;
   post-promotion dip = Σ baseline − Σ actual over the `after_days` days after the window (other
   campaigns' days left out): positive when the promotion pulled sales forward.
A campaign without any lookback day (it starts when the data starts) gets status "no_baseline" and
no incremental figures; one without dates gets "no_window".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.compare import changes
from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period, data_period
from storeops.core.money import to_money

ZERO = Decimal("0.00")
TRIM = 0.2  # share of the values a trimmed mean drops at each end


class Estimator(StrEnum):
    median = "median"
    trimmed_mean = "trimmed-mean"


@dataclass(frozen=True)
class Window:
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass
class PromotionReport:
    period: Period
    method: dict[str, Any]
    codes: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)


def promotion_report(
    con: BaseBackend,
    *,
    period: Period,
    timezone: str,
    weeks: int = 4,
    after_days: int = 7,
    estimator: Estimator = Estimator.median,
) -> PromotionReport:
    """Codes and campaigns of the period with their baselines (see the module docstring)."""
    promos = _promotions(con, ZoneInfo(timezone))
    runs = _campaign_runs(promos)
    report = PromotionReport(
        period=period,
        method={"weeks": weeks, "after_days": after_days, "estimator": estimator.value},
    )
    report.codes = _code_usage(con, period, promos)

    used = {_code_key(row["code"]) for row in report.codes if row["orders"]}
    chosen = [
        run
        for run in runs
        if (run.window and run.window.first <= period.end and run.window.last >= period.start)
        or (run.window is None and used & set(run.keys))
    ]
    known = data_period(con)
    dated = [run for run in chosen if run.window is not None]
    usage = _campaign_usage(con, dated)
    plans = {
        run.id: _plan(run, runs, weeks=weeks, after_days=after_days, known=known) for run in dated
    }
    daily = _daily_sales(con, [day for plan in plans.values() for day in plan.all_days()])
    for run in chosen:
        row: dict[str, Any] = {
            "campaign": run.campaign,
            "codes": sorted(p["code"] for p in promos if p["key"] in run.keys),
            "first_day": run.window.first if run.window else None,
            "last_day": run.window.last if run.window else None,
        }
        row |= usage.get(run.id, _usage_sums({}))
        row |= (
            _evaluate(plans[run.id], daily, estimator=estimator, known=known)
            if run.id in plans
            else _no_window()
        )
        report.campaigns.append(row)
    return report


# --- promotions table --------------------------------------------------------------------------


def _promotions(con: BaseBackend, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The promotions table (small) with each code's key and local first and last day."""
    table = con.table("promotions")
    rows = table.select("code", "campaign", "starts_at", "ends_at").to_pyarrow().to_pylist()
    for row in rows:
        row["key"] = _code_key(row["code"])
        row["first"] = _local_day(row["starts_at"], zone) if row["starts_at"] else None
        row["last"] = _last_local_day(row["ends_at"], zone) if row["ends_at"] else None
    return [row for row in rows if row["key"]]


def _code_key(code: str | None) -> str:
    return (code or "").strip().upper()


def _local(utc: datetime, zone: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)


def _local_day(utc: datetime, zone: ZoneInfo) -> date:
    return _local(utc, zone).date()


def _last_local_day(utc: datetime, zone: ZoneInfo) -> date:
    local = _local(utc, zone)
    # An end at local midnight is the end of the day before (an exclusive bound).
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


@dataclass(frozen=True)
class _Run:
    """One run of a campaign: its codes whose windows overlap or touch (a campaign name used
    every year, "black friday", runs once a year)."""

    campaign: str
    window: Window | None
    keys: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.campaign}|{self.window.first if self.window else ''}"


def _campaign_runs(promos: list[dict[str, Any]]) -> list[_Run]:
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in promos:
        if row["campaign"] is not None:
            by_name[row["campaign"]].append(row)
    runs: list[_Run] = []
    for name, rows in by_name.items():
        dated = sorted(
            (r for r in rows if r["first"] and r["last"] and r["first"] <= r["last"]),
            key=lambda r: r["first"],
        )
        undated = tuple(r["key"] for r in rows if r not in dated)
        if undated:
            runs.append(_Run(name, None, undated))
        current: list[dict[str, Any]] = []
        for row in dated:
            if current and row["first"] > max(r["last"] for r in current) + timedelta(days=1):
                runs.append(_run_of(name, current))
                current = []
            current.append(row)
        if current:
            runs.append(_run_of(name, current))
    return sorted(runs, key=lambda r: (r.window.first if r.window else date.min, r.campaign))


def _run_of(name: str, rows: list[dict[str, Any]]) -> _Run:
    window = Window(min(r["first"] for r in rows), max(r["last"] for r in rows))
    return _Run(name, window, tuple(r["key"] for r in rows))


# --- code usage (in the engine) ----------------------------------------------------------------


def _orders_with_codes(con: BaseBackend, first: date, last: date) -> ibis.Table:
    """Sale orders of the days with their gross sales, one row per (order, code key)."""
    orders = sale_orders(con)
    orders = orders.filter(
        orders.local_date.between(first, last),
        orders.discount_codes.notnull(),
        orders.discount_codes.strip() != "",
    ).select("source", "source_id", "local_date", "discounts", "discount_codes")
    lines = con.table("order_lines")
    lines = lines.semi_join(
        orders, [lines.source == orders.source, lines.order_id == orders.source_id]
    )
    gross = lines.group_by(["source", "order_id"]).aggregate(
        gross=(lines.price * lines.quantity).sum()
    )
    with_gross = orders.left_join(
        gross, [orders.source == gross.source, orders.source_id == gross.order_id]
    ).select(
        "source",
        "source_id",
        "local_date",
        "discounts",
        "discount_codes",
        gross=ibis.coalesce(ibis._.gross, 0),
    )
    split = with_gross.mutate(code=with_gross.discount_codes.split(",").unnest())
    split = split.mutate(key=split.code.strip().upper())
    split = split.filter(split.key != "")
    # a code typed twice on one order counts once
    return split.group_by(["source", "source_id", "key"]).aggregate(
        local_date=split.local_date.max(),
        discounts=split.discounts.max(),
        gross=split.gross.max(),
    )


def _usage_sums(row: dict[str, Any]) -> dict[str, Any]:
    gross = to_money(row.get("gross_sales") or 0)
    discounts = to_money(row.get("discounts") or 0)
    return {
        "orders": int(row.get("orders") or 0),
        "gross_sales": gross,
        "discounts": discounts,
        "net_sales": gross - discounts,
    }


def _code_usage(
    con: BaseBackend, period: Period, promos: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    used = _orders_with_codes(con, period.start, period.end)
    sums = used.group_by("key").aggregate(
        orders=used.count(), gross_sales=used.gross.sum(), discounts=used.discounts.sum()
    )
    by_key = {row.pop("key"): row for row in sums.to_pyarrow().to_pylist()}
    listed = {}
    for promo in promos:
        dated = promo["first"] is not None or promo["last"] is not None
        # a missing bound is open; a code without any date is listed only when used
        in_period = (
            dated
            and (promo["first"] is None or promo["first"] <= period.end)
            and (promo["last"] is None or promo["last"] >= period.start)
        )
        if in_period or promo["key"] in by_key:
            listed[promo["key"]] = promo
    rows = []
    for key in sorted(set(listed) | set(by_key)):
        promo = listed.get(key, {})
        rows.append(
            {
                "code": promo.get("code", key),
                "campaign": promo.get("campaign"),
                "first_day": promo.get("first"),
                "last_day": promo.get("last"),
                **_usage_sums(by_key.get(key, {})),
            }
        )
    return rows


def _campaign_usage(con: BaseBackend, runs: list[_Run]) -> dict[str, dict[str, Any]]:
    """Orders of each campaign run's window that used one of its codes, each order once."""
    pairs = [(key, run) for run in runs for key in run.keys if run.window]
    if not pairs:
        return {}
    keys = ibis.memtable(
        {
            "key": [k for k, _ in pairs],
            "campaign": [run.id for _, run in pairs],
            "first": [run.window.first for _, run in pairs if run.window],
            "last": [run.window.last for _, run in pairs if run.window],
        }
    )
    windows = [run.window for run in runs if run.window]
    used = _orders_with_codes(con, min(w.first for w in windows), max(w.last for w in windows))
    joined = used.join(keys, "key")
    joined = joined.filter(joined.local_date.between(joined.first, joined.last))
    orders = joined.group_by(["campaign", "source", "source_id"]).aggregate(
        gross=joined.gross.max(), discounts=joined.discounts.max()
    )
    sums = orders.group_by("campaign").aggregate(
        orders=orders.count(), gross_sales=orders.gross.sum(), discounts=orders.discounts.sum()
    )
    return {row.pop("campaign"): _usage_sums(row) for row in sums.to_pyarrow().to_pylist()}


def _daily_sales(con: BaseBackend, days: Iterable[date]) -> dict[date, Decimal]:
    """Gross sales − discounts of the sale orders of each day from the first to the last given."""
    days = list(days)
    if not days:
        return {}
    first, last = min(days), max(days)
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(first, last))
    discounts = orders.group_by("local_date").aggregate(discounts=orders.discounts.sum())
    lines = con.table("order_lines")
    sold = lines.join(
        orders.select("source", "source_id", "local_date"),
        [lines.source == orders.source, lines.order_id == orders.source_id],
    )
    gross = sold.group_by("local_date").aggregate(gross=(sold.price * sold.quantity).sum())
    sales: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for row in gross.to_pyarrow().to_pylist():
        sales[row["local_date"]] += to_money(row["gross"] or 0)
    for row in discounts.to_pyarrow().to_pylist():
        sales[row["local_date"]] -= to_money(row["discounts"] or 0)
    return dict(sales)


# --- baseline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    window: Window
    lookback: Window
    lookback_days: list[date]  # with data, other promotions' days left out
    after: list[date]  # after the window, other promotions' days left out
    after_excluded: list[date]

    def all_days(self) -> list[date]:
        return self.lookback_days + self.window.days() + self.after


def _plan(
    run: _Run,
    runs: list[_Run],
    *,
    weeks: int,
    after_days: int,
    known: Period | None,
) -> _Plan:
    assert run.window is not None
    window = run.window
    lookback = Window(window.first - timedelta(days=7 * weeks), window.first - timedelta(days=1))
    data_first = known.start if known else window.first
    data_last = known.end if known else lookback.last
    others = [
        w
        for other in runs
        if other.id != run.id
        and (w := other.window) is not None
        # ran throughout the lookback and the window: background, not another promotion
        and not (w.first <= max(lookback.first, data_first) and w.last >= window.last)
    ]
    dips = [Window(w.first, w.last + timedelta(days=after_days)) for w in others]
    lookback_days = [
        day
        for day in lookback.days()
        if data_first <= day <= data_last and not any(w.covers(day) for w in dips)
    ]
    after_all = [
        window.last + timedelta(days=i)
        for i in range(1, after_days + 1)
        if window.last + timedelta(days=i) <= data_last
    ]
    promo_days = [day for day in after_all if any(w.covers(day) for w in others)]
    after = [day for day in after_all if day not in promo_days]
    return _Plan(window, lookback, lookback_days, after, promo_days)


def _estimate(values: list[Decimal], estimator: Estimator) -> Decimal:
    if estimator is Estimator.trimmed_mean:
        cut = int(len(values) * TRIM)
        kept = sorted(values)[cut : len(values) - cut]
        return to_money(sum(kept, ZERO) / len(kept))
    return to_money(statistics.median(values))


def _no_window() -> dict[str, Any]:
    return {
        "status": "no_window",
        "reason": "the campaign's codes have no start or end date",
        "baseline": None,
        "incremental_revenue": None,
        "incremental_rate": None,
        "dip": None,
    }


def _evaluate(
    plan: _Plan, daily: dict[date, Decimal], *, estimator: Estimator, known: Period | None
) -> dict[str, Any]:
    lookback = {
        "first_day": plan.lookback.first,
        "last_day": plan.lookback.last,
        "days_used": len(plan.lookback_days),
    }
    if not plan.lookback_days:
        first = known.start if known else None
        return {
            **_no_window(),
            "status": "no_baseline",
            "reason": (
                f"no usable day in the {plan.lookback.first}..{plan.lookback.last} lookback"
                f" (data starts {first}; other promotions' days are left out)"
            ),
            "baseline": {"lookback": lookback, "days": []},
        }
    by_weekday: dict[int, list[Decimal]] = defaultdict(list)
    for day in plan.lookback_days:
        by_weekday[day.weekday()].append(daily.get(day, ZERO))
    everything = [v for values in by_weekday.values() for v in values]

    def expected(day: date) -> dict[str, Any]:
        values = by_weekday.get(day.weekday())
        basis = "weekday" if values else "all days"
        values = values or everything
        return {
            "date": day,
            "weekday": day.strftime("%A"),
            "actual": daily.get(day, ZERO),
            "baseline": _estimate(values, estimator),
            "observations": len(values),
            "basis": basis,
        }

    last = known.end if known else plan.window.last
    window_days = [expected(day) for day in plan.window.days() if day <= last]
    if not window_days:
        return {
            **_no_window(),
            "status": "no_data",
            "reason": f"the warehouse has no days of the campaign yet (data ends {last})",
        }
    actual = sum((d["actual"] for d in window_days), ZERO)
    baseline = sum((d["baseline"] for d in window_days), ZERO)
    after_days = [expected(day) for day in plan.after]
    after_actual = sum((d["actual"] for d in after_days), ZERO)
    after_baseline = sum((d["baseline"] for d in after_days), ZERO)
    return {
        "status": "ok",
        "reason": None,
        "baseline": {
            "lookback": lookback,
            "actual": actual,
            "expected": baseline,
            "days": window_days,
        },
        "incremental_revenue": actual - baseline,
        "incremental_rate": float((actual - baseline) / baseline) if baseline else None,
        "dip": {
            "status": "ok" if after_days else "no_data",
            "actual": after_actual,
            "expected": after_baseline,
            "dip": after_baseline - after_actual if after_days else None,
            "excluded_days": plan.after_excluded,
            "days": after_days,
        },
    }


def coded_sales(con: BaseBackend, period: Period) -> dict[str, Any]:
    """The sale orders of the period that used any code, each order once: orders, gross sales,
    discounts, net sales (as per code)."""
    used = _orders_with_codes(con, period.start, period.end)
    orders = used.group_by(["source", "source_id"]).aggregate(
        gross=used.gross.max(), discounts=used.discounts.max()
    )
    sums = orders.aggregate(
        orders=orders.count(), gross_sales=orders.gross.sum(), discounts=orders.discounts.sum()
    )
    return _usage_sums(sums.to_pyarrow().to_pylist()[0])


CODE_FIGURES = ("orders", "gross_sales", "discounts", "net_sales")


def promotions_comparison(
    con: BaseBackend, report: PromotionReport, previous: Period
) -> dict[str, Any]:
    """The report's codes against the compared period: coded{...} (orders with any code in the
    report's period), previous{from, to, coded{...}}, change{coded{figure: {absolute,
    relative}}}, and codes: the report's code rows, each with previous{orders, gross_sales,
    discounts, net_sales} (the same code in the compared period) and change{figure: ...}."""
    used = _orders_with_codes(con, previous.start, previous.end)
    sums = used.group_by("key").aggregate(
        orders=used.count(), gross_sales=used.gross.sum(), discounts=used.discounts.sum()
    )
    before = {row.pop("key"): _usage_sums(row) for row in sums.to_pyarrow().to_pylist()}
    codes = []
    for row in report.codes:
        then = before.get(_code_key(row["code"]), _usage_sums({}))
        codes.append(row | {"previous": then, "change": changes(row, then, CODE_FIGURES)})
    now, then_all = coded_sales(con, report.period), coded_sales(con, previous)
    return {
        "coded": now,
        "previous": {**previous.as_json(), "coded": then_all},
        "change": {"coded": changes(now, then_all, CODE_FIGURES)},
        "codes": codes,
    }


def promotions_summary(report: PromotionReport, currency: str) -> dict[str, Any]:
    """What `storeops promotions --json` and GET /api/v1/promotions answer, before JSON encoding
    (money Decimal, days as dates). Keys: storeops.cli.promotions' docstring."""
    return {
        **report.period.as_json(),
        "currency": currency,
        "method": report.method,
        "codes": report.codes,
        "campaigns": report.campaigns,
    }
