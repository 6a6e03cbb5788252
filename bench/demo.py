"""`python -m bench demo [--lines N] [--monitors]`: time `storeops demo` at N order lines
(default 10M).

Runs the real command in a subprocess on a fresh temporary workspace, polls the child's resident
memory (psutil) and reports rows/s and the ratios to the issue's targets: 10M lines in 120 s
with a peak RSS of 3 GB on a 2-core machine. Ratios below 1 meet the target. The target is the
shop's data, so the command runs with --no-monitors; --monitors adds the demo shop, its monitors
and the staged incident, which take about 20 s whatever the size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

TARGET_SECONDS_PER_10M = 120.0
TARGET_RSS_BYTES = 3 * 1024**3


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run(lines: int, seed: int, end: str, *, monitors: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="storeops-bench-demo-") as folder:
        command = [
            sys.executable,
            "-m",
            "storeops",
            "demo",
            "-w",
            str(Path(folder) / "ws"),
            "--lines",
            str(lines),
            "--seed",
            str(seed),
            "--end",
            end,
            "--json",
            "--monitors" if monitors else "--no-monitors",
        ]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            try:
                peak = max(peak, _tree_rss(watched))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        out, err = child.communicate()
        seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"storeops demo failed ({child.returncode}):\n{err}")
    summary = json.loads(out)
    return {
        "seconds": seconds,
        "peak_rss": peak,
        "order_lines": summary["order_lines"],
        "orders": summary["orders"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench demo", description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default="2024-12-31", help="last day (fixed, so runs compare)")
    parser.add_argument("--monitors", action="store_true", help="also run the monitors' demo")
    args = parser.parse_args(argv)
    result = run(args.lines, args.seed, args.end, monitors=args.monitors)
    target_seconds = TARGET_SECONDS_PER_10M * args.lines / 10_000_000
    flag = "--monitors" if args.monitors else "--no-monitors"
    print(
        f"storeops demo --lines {args.lines:,} {flag}: {result['order_lines']:,} order lines, "
        f"{result['orders']:,} orders; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(
        f"  wall time   {result['seconds']:8.1f} s    {result['order_lines'] / result['seconds']:,.0f} lines/s"
    )
    print(f"  peak RSS    {result['peak_rss'] / 1024**3:8.2f} GB")
    print(f"  time / target ({target_seconds:.0f} s)   {result['seconds'] / target_seconds:.2f}")
    print(f"  RSS / target (3 GB)         {result['peak_rss'] / TARGET_RSS_BYTES:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
