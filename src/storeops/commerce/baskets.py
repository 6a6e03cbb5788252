"""Products bought together: support, confidence and lift of SKU pairs, by sparse co-occurrence.

Over the sale orders of a period (store-local days), in the engine:
1. the distinct (order, sku) pairs; an order's basket is its set of distinct SKUs;
2. orders with more than `max_basket` SKUs are left out (wholesale or test orders: a basket of
   n SKUs makes n(n-1)/2 pairs) and counted in `orders_excluded`;
3. SKUs in fewer than `min_support` of the remaining orders are pruned before the self-join. The
   same floor applies to pairs (a pair must be bought together in at least `min_support` orders),
   and a pair is never in more orders than either of its SKUs, so the pruning loses no pair;
4. a self-join on the order with sku_a < sku_b, counted per pair.

With N = orders analysed (at least one SKU, not excluded): support = pair orders / N;
confidence(a→b) = pair orders / orders with a; lift = confidence(a→b) / support(b)
= pair orders × N / (orders with a × orders with b). Pairs come best lift first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import ibis
from ibis.backends import BaseBackend

from storeops.commerce.kpis import sale_orders
from storeops.commerce.period import Period
from storeops.commerce.sales import product_names


@dataclass
class BasketReport:
    period: Period
    min_support: int
    max_basket: int
    orders: int  # orders analysed: at least one SKU, at most max_basket
    orders_excluded: int  # orders with more than max_basket SKUs
    skus: int  # distinct SKUs in the orders analysed
    skus_kept: int  # SKUs in at least min_support orders
    pairs: list[dict[str, Any]]


def _baskets(con: BaseBackend, period: Period) -> ibis.Table:
    """Distinct (source, order_id, sku) of the period's sale orders."""
    orders = sale_orders(con)
    orders = orders.filter(orders.local_date.between(period.start, period.end))
    lines = con.table("order_lines")
    items = lines.join(
        orders.select("source", "source_id"),
        [lines.source == orders.source, lines.order_id == orders.source_id],
    ).select(lines.source, lines.order_id, lines.sku)
    return items.filter(items.sku.notnull()).distinct()


def bought_together(
    con: BaseBackend,
    *,
    period: Period,
    min_support: int = 10,
    max_basket: int = 20,
    top: int = 20,
) -> BasketReport:
    """The `top` SKU pairs by lift among those bought together in ≥ min_support orders."""
    # Materialised once: every step below reads the period's baskets, and the self-join reads
    # the pruned ones twice (Ibis would otherwise inline the query on both sides).
    with _baskets(con, period).cache() as items:
        return _bought_together(con, items, period, min_support, max_basket, top)


def _bought_together(
    con: BaseBackend,
    items: ibis.Table,
    period: Period,
    min_support: int,
    max_basket: int,
    top: int,
) -> BasketReport:
    sizes = items.group_by("source", "order_id").aggregate(skus=items.count())
    summary = sizes.aggregate(
        orders=_count_if(sizes.skus <= max_basket),
        orders_excluded=_count_if(sizes.skus > max_basket),
    )
    counts = summary.to_pyarrow().to_pylist()[0]
    analysed = int(counts["orders"] or 0)
    report = BasketReport(
        period=period,
        min_support=min_support,
        max_basket=max_basket,
        orders=analysed,
        orders_excluded=int(counts["orders_excluded"] or 0),
        skus=0,
        skus_kept=0,
        pairs=[],
    )
    if not analysed:
        return report

    kept_orders = sizes.filter(sizes.skus <= max_basket).select("source", "order_id")
    kept = items.semi_join(kept_orders, ["source", "order_id"])
    with kept.group_by("sku").aggregate(orders=kept.count()).cache() as per_sku:
        sku_counts = (
            per_sku.aggregate(
                skus=per_sku.count(), skus_kept=_count_if(per_sku.orders >= min_support)
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        report.skus, report.skus_kept = int(sku_counts["skus"]), int(sku_counts["skus_kept"] or 0)
        if report.skus_kept < 2:
            return report
        frequent = per_sku.filter(per_sku.orders >= min_support)
        with kept.semi_join(frequent, "sku").cache() as pruned:
            found = _best_pairs(pruned, frequent, min_support, top)
    names = product_names(con, [r["sku_a"] for r in found] + [r["sku_b"] for r in found])
    report.pairs = [_pair(row, analysed, names) for row in found]
    return report


def _count_if(condition: ibis.Value) -> ibis.Value:
    # Not condition.cast(int): PostgreSQL has no cast from boolean to bigint.
    return ibis.ifelse(condition, 1, 0).sum()


def _best_pairs(
    pruned: ibis.Table, frequent: ibis.Table, min_support: int, top: int
) -> list[dict[str, Any]]:
    left = pruned.select("source", "order_id", sku_a="sku")
    right = pruned.select(b_source="source", b_order="order_id", sku_b="sku")
    pairs = (
        left.join(
            right,
            [
                left.source == right.b_source,
                left.order_id == right.b_order,
                left.sku_a < right.sku_b,
            ],
        )
        .group_by("sku_a", "sku_b")
        .aggregate(orders=ibis._.count())
    )
    pairs = pairs.filter(pairs.orders >= min_support)
    of_a = frequent.select(a_sku="sku", orders_a="orders")
    of_b = frequent.select(b_sku="sku", orders_b="orders")
    pairs = pairs.join(of_a, pairs.sku_a == of_a.a_sku).join(of_b, pairs.sku_b == of_b.b_sku)
    # lift ∝ pair / (orders_a × orders_b): N is the same for every pair.
    score = pairs.orders.cast("float64") / (
        pairs.orders_a.cast("float64") * pairs.orders_b.cast("float64")
    )
    best = (
        pairs.select("sku_a", "sku_b", "orders", "orders_a", "orders_b", score=score)
        .order_by([ibis.desc("score"), ibis.desc("orders"), "sku_a", "sku_b"])
        .limit(top)
    )
    return best.to_pyarrow().to_pylist()


def _pair(row: dict[str, Any], analysed: int, names: dict[str, str]) -> dict[str, Any]:
    together, with_a, with_b = int(row["orders"]), int(row["orders_a"]), int(row["orders_b"])
    return {
        "sku_a": row["sku_a"],
        "name_a": names.get(row["sku_a"]),
        "sku_b": row["sku_b"],
        "name_b": names.get(row["sku_b"]),
        "orders": together,
        "orders_a": with_a,
        "orders_b": with_b,
        "support": together / analysed,
        "confidence_a_b": together / with_a,
        "confidence_b_a": together / with_b,
        "lift": together * analysed / (with_a * with_b),
    }


def baskets_summary(report: BasketReport) -> dict[str, Any]:
    """What `storeops baskets --json` and GET /api/v1/baskets answer: the report with its period
    as from/to. Keys: storeops.cli.baskets' docstring."""
    data = asdict(report)
    del data["period"]
    return {**report.period.as_json(), **data}
