"""python -m bench.baskets [--orders N] [--skus N]: the basket analysis at scale.

Builds a synthetic warehouse with DuckDB SQL (2M orders over a year, 30k SKUs drawn log-uniformly,
i.e. Zipf-like: P(rank r) ∝ 1/r; baskets of 1..n SKUs, some SKUs with a bundled companion, and 0.1%
of bulk orders of 25-60 SKUs), then times `bought_together` through Ibis against the same
analysis written by hand in DuckDB SQL, in the same run. Reports time and peak memory; no pass/fail.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import ibis

from storeops.commerce.baskets import bought_together
from storeops.commerce.period import Period
from storeops.warehouse.connection import ensure_schema

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))


def build(path: Path, orders: int, skus: int) -> None:
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)
        con.execute(
            """
            INSERT INTO orders BY NAME
            SELECT 'bench' AS source, 'O' || i AS source_id, DATE '2025-01-01' + (i % 365)::INT
                   AS local_date, true AS is_sale, 'web' AS channel, 0::DECIMAL(18,2) AS discounts
            FROM range($orders) t(i)
            """,
            {"orders": orders},
        )
        con.execute(
            """
            CREATE TEMP TABLE sizes AS
            SELECT i, CASE WHEN random() < 0.001 THEN 25 + (random() * 35)::INT
                           ELSE 1 + LEAST(floor(-ln(random()) * 1.6), 12)::INT END AS n
            FROM range($orders) t(i)
            """,
            {"orders": orders},
        )
        con.execute(
            """
            CREATE TEMP TABLE drawn AS
            SELECT i, j, 1 + floor(exp(random() * ln($skus)))::INT % $skus AS rank
            FROM sizes, range(n) r(j)
            """,
            {"skus": skus},
        )
        # Every 7th SKU often comes with the next one (a bundle): real lift to find.
        con.execute(
            """
            INSERT INTO order_lines BY NAME
            SELECT 'bench' AS source, 'O' || i AS order_id, j + 1 AS line_no,
                   'SKU' || lpad(rank::VARCHAR, 5, '0') AS sku, 1 AS quantity,
                   9.90::DECIMAL(18,2) AS price, 0::DECIMAL(18,2) AS discount
            FROM drawn
            UNION ALL
            SELECT 'bench', 'O' || i, 100 + j, 'SKU' || lpad((rank + 1)::VARCHAR, 5, '0'), 1,
                   4.90, 0
            FROM drawn WHERE rank % 7 = 0 AND random() < 0.4
            """
        )


HAND_SQL = """
WITH items AS (
  SELECT DISTINCT l.source, l.order_id, l.sku FROM order_lines l
  JOIN orders o ON l.source = o.source AND l.order_id = o.source_id
  WHERE o.is_sale AND o.local_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
    AND l.sku IS NOT NULL),
sizes AS (SELECT source, order_id, count(*) AS n FROM items GROUP BY ALL),
kept AS (SELECT i.* FROM items i SEMI JOIN (SELECT * FROM sizes WHERE n <= $max) s
          USING (source, order_id)),
per_sku AS (SELECT sku, count(*) AS orders FROM kept GROUP BY sku HAVING count(*) >= $min),
pruned AS (SELECT k.* FROM kept k SEMI JOIN per_sku USING (sku)),
pairs AS (SELECT a.sku AS sku_a, b.sku AS sku_b, count(*) AS orders FROM pruned a
          JOIN pruned b ON a.source = b.source AND a.order_id = b.order_id AND a.sku < b.sku
          GROUP BY ALL HAVING count(*) >= $min)
SELECT p.*, pa.orders AS orders_a, pb.orders AS orders_b,
       p.orders / (pa.orders * pb.orders)::DOUBLE AS score
FROM pairs p JOIN per_sku pa ON pa.sku = p.sku_a JOIN per_sku pb ON pb.sku = p.sku_b
ORDER BY score DESC, p.orders DESC, sku_a, sku_b LIMIT 20
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baskets")
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--skus", type=int, default=30_000)
    parser.add_argument("--min-support", type=int, default=10)
    parser.add_argument("--max-basket", type=int, default=20)
    parser.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 500MB (it spills)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        started = time.perf_counter()
        # In a child process, so that the peak memory below is the analysis' alone.
        child = multiprocessing.get_context("spawn").Process(
            target=build, args=(path, args.orders, args.skus)
        )
        child.start()
        child.join()
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("SET enable_progress_bar = false")
            if args.memory_limit:
                con.execute(f"SET memory_limit = '{args.memory_limit}'")
            lines = con.sql("SELECT count(*) FROM order_lines").fetchone()[0]
            print(
                f"built {args.orders:,} orders, {lines:,} lines, {args.skus:,} SKUs "
                f"in {time.perf_counter() - started:.1f}s"
            )
            started = time.perf_counter()
            hand = con.execute(HAND_SQL, {"max": args.max_basket, "min": args.min_support})
            hand_rows = hand.fetchall()
            hand_seconds = time.perf_counter() - started

            started = time.perf_counter()
            report = bought_together(
                ibis.duckdb.from_connection(con),
                period=YEAR,
                min_support=args.min_support,
                max_basket=args.max_basket,
            )
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    same = [(r[0], r[1]) for r in hand_rows] == [(p["sku_a"], p["sku_b"]) for p in report.pairs]
    print(
        f"bought_together: {seconds:.2f}s (hand-written DuckDB SQL: {hand_seconds:.2f}s, "
        f"ratio {seconds / hand_seconds:.2f}); peak RSS of this process {peak:.0f} MB; "
        f"same top pairs as the SQL: {same}"
    )
    print(
        f"orders analysed {report.orders:,}, excluded {report.orders_excluded:,} "
        f"(> {args.max_basket} SKUs); SKUs {report.skus:,}, kept {report.skus_kept:,} "
        f"(>= {args.min_support} orders)"
    )
    for pair in report.pairs[:5]:
        print(
            f"  {pair['sku_a']} + {pair['sku_b']}: {pair['orders']} orders, "
            f"lift {pair['lift']:.1f}, confidence {pair['confidence_a_b']:.2f}"
        )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
