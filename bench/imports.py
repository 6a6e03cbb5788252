"""python -m bench import [--lines N] [--keep DIR] [--repeat K]

A Shopify orders CSV of ~N line rows in one file (default 1,000,000), made by the demo exporter,
imported into a fresh workspace. Reports rows/s, peak RSS, and the ratio to DuckDB's own read_csv
of the same file, measured in the same run the same way: a child process each, the modules the
work needs loaded before the clock starts (DuckDB imports pandas the first time it is given a
parameter; the `storeops` command has it loaded at startup), the clock around the work alone.
With --repeat K both are measured K times, alternating, and the medians are reported: on a shared
machine one run says little.
Targets (issue): >= 200,000 rows/s, within 3x of the raw read, peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import Measurement, in_child

TARGET_ROWS_PER_S = 200_000
TARGET_RATIO = 3.0
TARGET_RSS_MB = 1536
ONE_FILE = 10**9  # orders per exported file: all of them in one


def make_export(lines: int, folder: Path) -> Path:
    """The demo's orders (~`lines` line rows) as ONE Shopify export file."""
    workspace = folder / "source-shop"
    subprocess.run(
        [sys.executable, "-m", "storeops", "demo", "--lines", str(lines), "--no-monitors"]
        + ["-w", str(workspace), "--json"],
        check=True,
        capture_output=True,
    )
    in_child(
        f"""
        from pathlib import Path
        from storeops.connectors.demo.shopify_export import export_orders
        from storeops.core.settings import load_settings
        from storeops.warehouse.connection import read_connection
        settings = load_settings(Path({str(workspace)!r}))
        with read_connection(settings) as con:
            result = [str(p) for p in export_orders(con, Path({str(folder / "export")!r}),
                      settings.store.timezone, orders_per_file={ONE_FILE})]
        """
    )
    return folder / "export" / "orders_export_1.csv"


def raw_read(file: Path) -> Measurement:
    return in_child(
        f"""
        import duckdb, pandas
        con = duckdb.connect()
        started = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [{str(file)!r}])
        result = {{"rows": con.execute("SELECT count(*) FROM t").fetchone()[0],
                   "seconds": time.perf_counter() - started}}
        """
    )


def storeops_import(file: Path, workspace: Path) -> Measurement:
    return in_child(
        f"""
        import pandas
        from pathlib import Path
        from storeops.cli.workspace import prepare_stores
        from storeops.connectors.registry import KINDS, context_for, import_files
        from storeops.core.settings import write_default_settings
        KINDS["shopify-orders"].stage_function()
        settings = write_default_settings(Path({str(workspace)!r}), name="Bench", currency="EUR",
                                          timezone="Europe/Paris")
        prepare_stores(settings)
        started = time.perf_counter()
        [r] = import_files(settings, "shopify-orders", [Path({str(file)!r})], context_for(settings))
        result = {{"rows": r.rows_read, "quarantined": r.rows_quarantined,
                   "orders": r.orders_loaded, "seconds": time.perf_counter() - started}}
        """
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench import")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated export in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="measure K times, report medians")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="storeops-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "export" / "orders_export_1.csv"
        if not file.exists():
            print(f"making a Shopify export of ~{args.lines:,} line rows with the demo exporter...")
            file = make_export(args.lines, folder)
        size_mb = file.stat().st_size / 1e6

        raws, imports = [], []
        for attempt in range(args.repeat):
            raws.append(raw_read(file))
            imports.append(storeops_import(file, Path(tmp) / f"bench-ws-{attempt}"))

    info = imports[0].result
    raw_s = statistics.median(m.result["seconds"] for m in raws)
    import_s = statistics.median(m.result["seconds"] for m in imports)
    ratios = [i.result["seconds"] / r.result["seconds"] for r, i in zip(raws, imports, strict=True)]
    raw_rss = max(m.peak_rss_mb for m in raws)
    rss = max(m.peak_rss_mb for m in imports)
    rows = info["rows"]
    rate = rows / import_s
    ratio = statistics.median(ratios)
    runs = f" (median of {args.repeat})" if args.repeat > 1 else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"file: {size_mb:,.0f} MB, {rows:,} line rows, {info['orders']:,} orders, "
        f"{info['quarantined']:,} quarantined; load average {load}"
    )
    print(f"duckdb read_csv (baseline): {raw_s:6.2f} s   peak RSS {raw_rss:7.0f} MB{runs}")
    print(f"storeops import:            {import_s:6.2f} s   peak RSS {rss:7.0f} MB{runs}")
    print(
        f"rows/s: {rate:,.0f}  (target >= {TARGET_ROWS_PER_S:,}: {'met' if rate >= TARGET_ROWS_PER_S else 'MISSED'})"
    )
    print(
        f"import / raw read: {ratio:.2f}x{runs}  (target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    print(
        f"peak RSS: {rss:,.0f} MB  (target <= {TARGET_RSS_MB} MB: "
        f"{'met' if rss <= TARGET_RSS_MB else 'MISSED'})"
    )
    return 0
