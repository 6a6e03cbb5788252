"""python -m bench import [--lines N] [--keep DIR]

A Shopify orders CSV with N line rows (default 1,000,000), made by the demo exporter, imported
into a fresh workspace. Reports rows/s, peak RSS, and the ratio to DuckDB's own read_csv of the
same file, measured in the same run the same way (a child process each).
Targets (issue): >= 200,000 rows/s, within 3x of the raw read, peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import in_child

TARGET_ROWS_PER_S = 200_000
TARGET_RATIO = 3.0
TARGET_RSS_MB = 1536


def make_export(lines: int, folder: Path) -> Path:
    workspace = folder / "source-shop"
    export = folder / "export"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "storeops",
            "demo",
            "--lines",
            str(lines),
            "--export-shopify",
            str(export),
            "-w",
            str(workspace),
            "--json",
        ],
        check=True,
        capture_output=True,
    )
    return export / "orders_export_1.csv"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench import")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated export in this folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="storeops-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "export" / "orders_export_1.csv"
        if not file.exists():
            print(f"making a Shopify export of ~{args.lines:,} line rows with the demo exporter...")
            file = make_export(args.lines, folder)
        size_mb = file.stat().st_size / 1e6

        raw = in_child(
            f"""
            import duckdb
            con = duckdb.connect()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [{str(file)!r}])
            result = con.execute("SELECT count(*) FROM t").fetchone()[0]
            """
        )
        workspace = Path(tmp) / "bench-ws"
        imported = in_child(
            f"""
            from pathlib import Path
            from storeops.cli.workspace import prepare_stores
            from storeops.connectors.registry import context_for, import_files
            from storeops.core.settings import write_default_settings
            settings = write_default_settings(Path({str(workspace)!r}), name="Bench", currency="EUR",
                                              timezone="Europe/Paris")
            prepare_stores(settings)
            started = time.perf_counter()
            [r] = import_files(settings, "shopify-orders", [Path({str(file)!r})], context_for(settings))
            result = {{"rows": r.rows_read, "quarantined": r.rows_quarantined, "orders": r.orders_loaded,
                       "import_seconds": time.perf_counter() - started}}
            """
        )

    rows = imported.result["rows"]
    seconds = imported.result["import_seconds"]
    rate = rows / seconds
    ratio = seconds / raw.seconds
    print(
        f"file: {size_mb:,.0f} MB, {rows:,} line rows, {imported.result['orders']:,} orders, "
        f"{imported.result['quarantined']:,} quarantined"
    )
    print(f"duckdb read_csv (baseline): {raw.seconds:6.2f} s   peak RSS {raw.peak_rss_mb:7.0f} MB")
    print(f"storeops import:            {seconds:6.2f} s   peak RSS {imported.peak_rss_mb:7.0f} MB")
    print(
        f"rows/s: {rate:,.0f}  (target >= {TARGET_ROWS_PER_S:,}: {'met' if rate >= TARGET_ROWS_PER_S else 'MISSED'})"
    )
    print(
        f"import / raw read: {ratio:.2f}x  (target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    print(
        f"peak RSS: {imported.peak_rss_mb:,.0f} MB  (target <= {TARGET_RSS_MB} MB: "
        f"{'met' if imported.peak_rss_mb <= TARGET_RSS_MB else 'MISSED'})"
    )
    return 0
