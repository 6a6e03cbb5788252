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

from storeops.commerce.compare import changes
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


def pairs_in(
    con: BaseBackend, *, period: Period, pairs: list[tuple[str, str]], max_basket: int = 20
) -> dict[str, Any]:
    """How the given pairs sold in `period` (orders with more than `max_basket` SKUs left out,
    no support floor): {orders: N, pairs: {(sku_a, sku_b): {orders, orders_a, orders_b, support,
    confidence_a_b, confidence_b_a, lift}}}; a ratio is None where its base is 0."""
    with _baskets(con, period).cache() as items:
        sizes = items.group_by("source", "order_id").aggregate(skus=items.count())
        kept_orders = sizes.filter(sizes.skus <= max_basket).select("source", "order_id")
        analysed = int(kept_orders.count().to_pyarrow().as_py() or 0)
        skus = sorted({sku for pair in pairs for sku in pair})
        found: dict[tuple[str, str], int] = {}
        per_sku: dict[str, int] = {}
        if analysed and skus:
            wanted = ibis.memtable({"wanted": skus}, schema={"wanted": "string"})
            kept = items.semi_join(kept_orders, ["source", "order_id"])
            kept = kept.semi_join(wanted, kept.sku == wanted.wanted)
            per_sku = {
                row["sku"]: int(row["orders"])
                for row in kept.group_by("sku")
                .aggregate(orders=kept.count())
                .to_pyarrow()
                .to_pylist()
            }
            left = kept.select("source", "order_id", sku_a="sku")
            right = kept.select(b_source="source", b_order="order_id", sku_b="sku")
            together = (
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
            found = {
                (row["sku_a"], row["sku_b"]): int(row["orders"])
                for row in together.to_pyarrow().to_pylist()
            }
    stats = {}
    for a, b in pairs:
        both = found.get((min(a, b), max(a, b)), 0)
        with_a, with_b = per_sku.get(a, 0), per_sku.get(b, 0)
        stats[(a, b)] = {
            "orders": both,
            "orders_a": with_a,
            "orders_b": with_b,
            "support": both / analysed if analysed else None,
            "confidence_a_b": both / with_a if with_a else None,
            "confidence_b_a": both / with_b if with_b else None,
            "lift": both * analysed / (with_a * with_b) if with_a and with_b else None,
        }
    return {"orders": analysed, "pairs": stats}


PAIR_FIGURES = ("orders", "support", "confidence_a_b", "confidence_b_a", "lift")


def baskets_comparison(con: BaseBackend, report: BasketReport, previous: Period) -> dict[str, Any]:
    """The report's pairs in the compared period: previous{from, to, orders} and pairs: the
    report's, each with previous{orders, orders_a, orders_b, support, confidence_a_b,
    confidence_b_a, lift} (same max_basket, no support floor) and change{figure: {absolute,
    relative}}."""
    keys = [(pair["sku_a"], pair["sku_b"]) for pair in report.pairs]
    then = pairs_in(con, period=previous, pairs=keys, max_basket=report.max_basket)
    pairs = []
    for pair, key in zip(report.pairs, keys, strict=True):
        before = then["pairs"][key]
        pairs.append(pair | {"previous": before, "change": changes(pair, before, PAIR_FIGURES)})
    return {"previous": {**previous.as_json(), "orders": then["orders"]}, "pairs": pairs}


def baskets_summary(report: BasketReport) -> dict[str, Any]:
    """What `storeops baskets --json` and GET /api/v1/baskets answer: the report with its period
    as from/to. Keys: storeops.cli.baskets' docstring."""
    data = asdict(report)
    del data["period"]
    return {**report.period.as_json(), **data}
