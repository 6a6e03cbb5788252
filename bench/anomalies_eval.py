"""python -m bench anomalies [--seeds 1,2,3] [--days 800] [--lines 300000]

How well `storeops anomalies` finds what is known to be wrong. For each seed: a demo shop, then
anomalies injected with DuckDB SQL on known days of its last year:
- a channel outage: 90 % (or all) of one channel's orders of a day removed;
- a collapsing category: a growing share of its lines removed over a week (30 % .. 100 %);
- a pricing error: one SKU at a tenth of its price for a day, bought ten times as often;
- RANDOM_EXTRA more, drawn at random: a partial channel drop, a channel spike, a site-wide drop.
The detector then runs over that last year. Day-level precision and recall (a day is flagged
when any anomaly is reported on it), and whether the culprit is named: an anomaly reported for
the injected channel / category / SKU on one of its days, or that member first in its dimension
of the day's drill-down (explain_gap). The demo also has outages of its own (its calendar says when): flagged days on
them are reported apart, they are not injected but they are real.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import ibis
import numpy as np

from storeops.cli.workspace import prepare_stores
from storeops.commerce.anomalies import detect_anomalies, explain_gap
from storeops.commerce.expected import event_label
from storeops.commerce.period import Period
from storeops.connectors.demo.calendar import Calendar
from storeops.connectors.demo.generate import generate_demo, options_for
from storeops.core.settings import Settings, write_default_settings
from storeops.warehouse.derived import CELL_SOURCES, refresh_sales_cells

END = date(2025, 6, 30)
CHANNELS = ("web", "mobile_app", "marketplace")  # pos is closed on Sundays: drawn apart
RANDOM_EXTRA = 3


@dataclass
class Injected:
    kind: str
    days: list[date]
    member: str | None  # what the drill-down should name (channel, category or sku)
    dimension: str | None
    metric: str


@dataclass
class Outcome:
    seed: int
    injected: list[Injected]
    flagged_days: set[date]
    demo_outage_days: set[date]
    named: dict[str, bool] = field(default_factory=dict)  # kind -> detected with right member


def make_shop(folder: Path, *, seed: int, days: int, lines: int) -> Settings:
    settings = write_default_settings(
        folder, name="Eval Shop", currency="EUR", timezone="Europe/Paris"
    )
    prepare_stores(settings)
    generate_demo(settings, options_for(end=END, seed=seed, days=days, lines=lines))
    return settings


def _ordinary_days(rng: np.random.Generator, first: date, last: date, count: int, span: int):  # type: ignore[no-untyped-def]
    """`count` starts of `span` non-event days each, far enough apart not to overlap."""
    chosen: list[date] = []
    while len(chosen) < count:
        day = first + timedelta(days=int(rng.integers(0, (last - first).days - span)))
        window = [day + timedelta(days=k) for k in range(span)]
        if any(event_label(d) for d in window):
            continue
        if all(abs((day - other).days) > span + 7 for other in chosen):
            chosen.append(day)
    return chosen


def _drop_orders(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Removes sale orders matching `where` (over orders o) with their lines and refunds."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE gone AS SELECT source, source_id FROM orders o WHERE {where}"
    )
    for table, column in (
        ("order_lines", "order_id"),
        ("refunds", "order_id"),
        ("refund_lines", "order_id"),
        ("orders", "source_id"),
    ):
        con.execute(
            f"DELETE FROM {table} t USING gone g WHERE t.source = g.source AND t.{column} = g.source_id"
        )


def _bucket(expr: str, buckets: int = 1000) -> str:
    """A deterministic pseudo-random bucket of a text value, 0 .. buckets-1."""
    return f"(hash({expr}) % {buckets})"


def channel_outage(con, day: date, channel: str, share: float) -> None:  # type: ignore[no-untyped-def]
    _drop_orders(
        con,
        f"o.local_date = DATE '{day}' AND o.channel = '{channel}' "
        f"AND {_bucket('o.source_id')} < {int(share * 1000)}",
    )


def channel_spike(con, day: date, channel: str, copies: int) -> None:  # type: ignore[no-untyped-def]
    """Every order of the channel that day placed `copies` more times (a bot, a runaway feed)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE picked AS
        SELECT source, source_id FROM orders WHERE local_date = DATE '{day}' AND channel = '{channel}'"""
    )
    _copy_orders(con, copies, sku=None)


def _copy_orders(con, copies: int, sku: str | None) -> None:  # type: ignore[no-untyped-def]
    """Inserts `copies` copies of the orders in temp table `picked` (only the line of `sku` when
    given), with new ids."""
    line_filter = f"AND l.sku = '{sku}'" if sku else ""
    con.execute(
        f"""INSERT INTO orders SELECT o.* REPLACE (o.source_id || '-copy' || k AS source_id,
                o.name || '-' || k AS name, {"0" if sku else "o.discounts"} AS discounts,
                o.refunded * 0 AS refunded)
            FROM orders o JOIN picked p USING (source, source_id), range(1, {copies + 1}) r(k)"""
    )
    con.execute(
        f"""INSERT INTO order_lines SELECT l.* REPLACE (l.order_id || '-copy' || k AS order_id)
            FROM order_lines l JOIN picked p ON l.source = p.source AND l.order_id = p.source_id,
                 range(1, {copies + 1}) r(k)
            WHERE TRUE {line_filter}"""
    )


def pricing_error(con, day: date, sku: str) -> None:  # type: ignore[no-untyped-def]
    """One SKU at a tenth of its price for a day: ten times the orders for it."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE picked AS
        SELECT DISTINCT o.source, o.source_id FROM orders o JOIN order_lines l
          ON l.source = o.source AND l.order_id = o.source_id
        WHERE o.local_date = DATE '{day}' AND l.sku = '{sku}' AND o.is_sale"""
    )
    con.execute(
        f"""UPDATE order_lines l SET price = round(price / 10, 2), discount = 0
            FROM picked p WHERE l.source = p.source AND l.order_id = p.source_id AND l.sku = '{sku}'"""
    )
    _copy_orders(con, 9, sku=sku)


def category_collapse(con, first: date, category: str) -> None:  # type: ignore[no-untyped-def]
    """A growing share of the category's lines gone over a week (30 % on day one, all on day 7)."""
    for k in range(7):
        share = 0.3 + 0.7 * k / 6
        day = first + timedelta(days=k)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE cut AS
            SELECT l.source, l.order_id, l.line_no, l.discount FROM order_lines l
            JOIN orders o ON o.source = l.source AND o.source_id = l.order_id
            JOIN (SELECT sku, max(category) AS category FROM products GROUP BY sku) p USING (sku)
            WHERE o.local_date = DATE '{day}' AND p.category = '{category}'
              AND {_bucket("l.order_id || '#' || l.line_no")} < {int(share * 1000)}"""
        )
        con.execute(
            """UPDATE orders o SET discounts = o.discounts - c.d
               FROM (SELECT source, order_id, sum(discount) AS d FROM cut GROUP BY ALL) c
               WHERE o.source = c.source AND o.source_id = c.order_id"""
        )
        con.execute(
            """DELETE FROM order_lines l USING cut c
               WHERE l.source = c.source AND l.order_id = c.order_id AND l.line_no = c.line_no"""
        )
        _drop_orders(
            con,
            f"""o.local_date = DATE '{day}' AND NOT EXISTS (SELECT 1 FROM order_lines l
                WHERE l.source = o.source AND l.order_id = o.source_id)""",
        )


def inject(path: Path, seed: int, first: date, last: date) -> list[Injected]:
    """The three named anomalies and RANDOM_EXTRA random ones, on ordinary days of first..last."""
    rng = np.random.default_rng(seed + 1000)
    days = _ordinary_days(rng, first, last, 3 + RANDOM_EXTRA, 7)
    found: list[Injected] = []
    with duckdb.connect(str(path)) as con:
        channel = str(rng.choice(CHANNELS))
        channel_outage(con, days[0], channel, share=float(rng.choice([0.9, 1.0])))
        found.append(Injected("channel outage", [days[0]], channel, "channel", "orders"))

        shares = con.execute(
            f"""SELECT p.category FROM order_lines l
                JOIN orders o ON o.source = l.source AND o.source_id = l.order_id
                JOIN (SELECT sku, max(category) AS category FROM products GROUP BY sku) p USING (sku)
                WHERE o.local_date BETWEEN DATE '{days[1] - timedelta(days=28)}' AND DATE '{days[1]}'
                GROUP BY 1 HAVING sum(l.price * l.quantity) >= 0.1 * (
                  SELECT sum(price * quantity) FROM order_lines l2 JOIN orders o2
                  ON o2.source = l2.source AND o2.source_id = l2.order_id
                  WHERE o2.local_date BETWEEN DATE '{days[1] - timedelta(days=28)}' AND DATE '{days[1]}')
                ORDER BY 1"""
        ).fetchall()
        category = str(rng.choice([row[0] for row in shares]))
        category_collapse(con, days[1], category)
        week = [days[1] + timedelta(days=k) for k in range(7)]
        found.append(Injected("category collapse", week, category, "category", "net_sales"))

        skus = con.execute(
            f"""SELECT l.sku FROM order_lines l JOIN orders o
                ON o.source = l.source AND o.source_id = l.order_id
                WHERE o.local_date BETWEEN DATE '{days[2] - timedelta(days=28)}' AND DATE '{days[2] - timedelta(days=1)}'
                AND l.sku IN (SELECT l.sku FROM order_lines l JOIN orders o
                  ON o.source = l.source AND o.source_id = l.order_id WHERE o.local_date = DATE '{days[2]}')
                GROUP BY 1 ORDER BY count(DISTINCT o.source_id) DESC, 1 LIMIT 20"""
        ).fetchall()
        sku = str(rng.choice([row[0] for row in skus[4:]] or [row[0] for row in skus]))
        pricing_error(con, days[2], sku)
        found.append(Injected("pricing error", [days[2]], sku, "product", "orders"))

        for day in days[3:]:
            kind = str(rng.choice(["channel drop", "channel spike", "site-wide drop"]))
            if kind == "channel drop":
                channel = str(rng.choice(CHANNELS))
                channel_outage(con, day, channel, share=float(rng.uniform(0.5, 0.9)))
                found.append(Injected(kind, [day], channel, "channel", "orders"))
            elif kind == "channel spike":
                channel = str(rng.choice(CHANNELS))
                channel_spike(con, day, channel, copies=1)
                found.append(Injected(kind, [day], channel, "channel", "orders"))
            else:
                share = float(rng.uniform(0.4, 0.7))
                _drop_orders(
                    con,
                    f"o.local_date = DATE '{day}' AND {_bucket('o.source_id')} < {int(share * 1000)}",
                )
                found.append(Injected(kind, [day], None, None, "orders"))
        # The injections rewrite facts behind the writers' back: rebuild the derived cells as
        # a writer would, so the detector reads what was injected.
        import_id = con.execute("SELECT max(import_id) FROM imports").fetchone()[0]
        refresh_sales_cells(con, qualifier="", import_id=import_id, tables=set(CELL_SOURCES))
    return found


def _top(rows: list[dict], dimension: str) -> str | None:
    return next((row["member"] for row in rows if row["dimension"] == dimension), None)


def _name(item: Injected) -> str:
    return f"{item.kind} {item.days[0]:%m-%d}"


def _named(con, item: Injected, found: list) -> bool:  # type: ignore[no-untyped-def]
    """Detected on one of its days, and the culprit named: by an anomaly of that very member,
    or as the first member of its dimension in the day's drill-down."""
    flagged = sorted({a.day for a in found if a.day in item.days})
    if item.dimension is None:
        return bool(flagged)
    if any(
        (a.dimension, a.member) == (item.dimension, item.member)
        for a in found
        if a.day in item.days
    ):
        return True
    return any(
        _top(explain_gap(con, day=day, metric=item.metric), item.dimension) == item.member
        for day in flagged
    )


def evaluate(folder: Path, *, seed: int, days: int, lines: int) -> Outcome:
    settings = make_shop(folder / f"shop-{seed}", seed=seed, days=days, lines=lines)
    period = Period(END - timedelta(days=364), END)
    path = settings.duckdb_path()
    assert path is not None
    injected = inject(path, seed, period.start, period.end - timedelta(days=7))
    calendar = Calendar(END - timedelta(days=days - 1), END, settings.store.timezone, seed)
    outages = {calendar.dates[o.day] for o in calendar.outages}
    with duckdb.connect(str(path), read_only=True) as raw:
        con = ibis.duckdb.from_connection(raw)
        found = detect_anomalies(con, period=period, explain=False)
        outcome = Outcome(seed, injected, {a.day for a in found}, outages)
        for item in injected:
            outcome.named[_name(item)] = _named(con, item, found)
    return outcome


def day_scores(outcome: Outcome) -> dict[str, float]:
    truth = {d for item in outcome.injected for d in item.days}
    flagged = outcome.flagged_days
    hits = flagged & truth
    others = flagged - truth
    return {
        "truth_days": len(truth),
        "flagged_days": len(flagged),
        "true_positive_days": len(hits),
        "precision": len(hits) / len(flagged) if flagged else 1.0,
        "recall": len(hits) / len(truth),
        "other_flagged_on_demo_outages": len(others & outcome.demo_outage_days),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench anomalies")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--days", type=int, default=800)
    parser.add_argument("--lines", type=int, default=300_000)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="storeops-anomalies-") as tmp:
        for seed in seeds:
            started = time.perf_counter()
            outcome = evaluate(Path(tmp), seed=seed, days=args.days, lines=args.lines)
            rows.append((outcome, day_scores(outcome), time.perf_counter() - started))
    print(f"demo: {args.days} days, ~{args.lines:,} order lines; detector over the last 365 days")
    header = f"{'seed':>4} {'truth':>5} {'flagged':>7} {'hits':>4} {'precision':>9} {'recall':>6} {'on demo outages':>15}  culprit named (by an anomaly of it, or first in the drill-down)"
    print(header)
    for outcome, s, _seconds in rows:
        named = ", ".join(
            f"{_name(item)}={'yes' if outcome.named[_name(item)] else 'NO'}"
            for item in outcome.injected
        )
        print(
            f"{outcome.seed:>4} {s['truth_days']:>5} {s['flagged_days']:>7} {s['true_positive_days']:>4} "
            f"{s['precision']:>9.2f} {s['recall']:>6.2f} {s['other_flagged_on_demo_outages']:>15}  {named}"
        )
    total = {
        k: sum(s[k] for _, s, _ in rows)
        for k in ("truth_days", "flagged_days", "true_positive_days")
    }
    print(
        f" all {total['truth_days']:>5} {total['flagged_days']:>7} {total['true_positive_days']:>4} "
        f"{total['true_positive_days'] / max(total['flagged_days'], 1):>9.2f} "
        f"{total['true_positive_days'] / total['truth_days']:>6.2f}"
    )
    for kind in ("channel outage", "category collapse", "pricing error"):
        named = sum(
            outcome.named[_name(item)]
            for outcome, _, _ in rows
            for item in outcome.injected
            if item.kind == kind
        )
        print(f"{kind}: detected and named in {named}/{len(rows)} seeds")
    return 0
