"""`python -m bench web [--lines N] [--keep]`: Overview latency under load, cold and warm cache.

Builds a demo warehouse of N order lines (default 10M; `--keep` keeps it in --dir and reuses it
next time), measures what checking the cache's warehouse version costs against opening the
warehouse, then for 1 and 2 uvicorn workers starts `storeops serve` on a free 127.0.0.1 port,
signs in, creates an API token, and runs 8 concurrent clients (asyncio + httpx, loopback)
asking for the Overview page (session cookie) and GET /api/v1/kpis (bearer token):

- cold: every request asks for a period never asked before, so each one reads the warehouse;
- warm: the Overview's default period and the API's default, asked again and again.

Prints p50/p95/p99 latency and requests/s per phase and route, and the ratio of the warm
Overview's p95 to the issue's target (250 ms with 8 clients on 10M lines; below 1 meets it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

TARGET_P95_MS = 250.0
EMAIL = "bench@bench.example"
PASSWORD = "bench password 123"
END = date(2025, 12, 31)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STOREOPS_")} | {"CI": "1"}


def build(folder: Path, lines: int) -> float:
    """The demo shop in `folder` (seconds taken; 0 when reused)."""
    if (folder / "warehouse.duckdb").exists():
        return 0.0
    print(f"building a demo warehouse of ~{lines:,} order lines in {folder} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "storeops", "demo", "--no-monitors", "-w", str(folder), "--lines", str(lines),
         "--seed", "42", "--end", END.isoformat(), "--json"],
        env=_env(), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def credentials(folder: Path) -> str:
    """Makes sure the bench user exists (admin) and returns a new API token for it."""
    from storeops.core.settings import load_settings
    from storeops.db.engine import engine_for, session_factory
    from storeops.db.migrate import upgrade
    from storeops.db.users import create_api_token, create_user, get_user

    engine = engine_for(load_settings(folder))
    try:
        upgrade(engine)
        with session_factory(engine).begin() as session:
            user = get_user(session, EMAIL)
            if user is None:
                user, _ = create_user(
                    session, email=EMAIL, role="admin", password=PASSWORD, actor="bench"
                )
            return create_api_token(session, user, name="bench", actor="bench")[1]
    finally:
        engine.dispose()


def probe_version_check(folder: Path) -> dict[str, float]:
    """Milliseconds: the cache's version check against opening the warehouse read-only."""
    from storeops.core.settings import load_settings
    from storeops.warehouse.engine import open_warehouse
    from storeops.web.cache import warehouse_version

    settings = load_settings(folder)

    def best(run, repeat: int) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def open_close() -> None:
        with open_warehouse(settings):
            pass

    return {
        "version_check_ms": best(lambda: warehouse_version(settings), 1000),
        "open_warehouse_ms": best(open_close, 7),
    }


@dataclass
class Phase:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"overview": [], "api": []})
    errors: int = 0
    seconds: float = 0.0


async def run_phase(
    http: httpx.AsyncClient,
    token: str,
    urls: list[tuple[str, str]],
    *,
    clients: int,
    seconds: float,
) -> Phase:
    """`clients` concurrent clients work through `urls` (route, url) until done or time is up
    (requests under way then finish)."""
    phase = Phase()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in urls:
        queue.put_nowait(item)
    deadline = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < deadline:
            try:
                route, url = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            headers = {"Authorization": f"Bearer {token}"} if route == "api" else {}
            started = time.perf_counter()
            answer = await http.get(url, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                phase.errors += 1
            else:
                phase.latencies[route].append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started
    return phase


async def measure(
    base: str, cookies: httpx.Cookies, token: str, args: argparse.Namespace, first: date, last: date
) -> tuple[Phase, Phase]:
    """The cold phase, then (after a warm-up on the same connections, hence the same workers,
    each with its own cache) the warm phase."""
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, limits=limits, timeout=600
    ) as http:
        cold = await run_phase(
            http, token, cold_urls(args.cold_requests, first, last),
            clients=args.clients, seconds=args.seconds,
        )  # fmt: skip
        await run_phase(http, token, warm_urls(4 * args.clients), clients=args.clients, seconds=600)
        warm = await run_phase(
            http, token, warm_urls(args.warm_requests),
            clients=args.clients, seconds=args.seconds,
        )  # fmt: skip
    return cold, warm


def cold_urls(count: int, first: date, last: date) -> list[tuple[str, str]]:
    """30-day periods never asked before, the Overview and the API in turn."""
    span = (last - first).days - 60
    urls = []
    for i in range(count):
        start = first + timedelta(days=30 + (i * 7919) % span)  # spread, no repeats for count<span
        end = start + timedelta(days=29)
        query = f"from={start}&to={end}"
        urls.append(("overview", f"/?{query}") if i % 2 == 0 else ("api", f"/api/v1/kpis?{query}"))
    return urls


def warm_urls(count: int) -> list[tuple[str, str]]:
    return [("overview", "/") if i % 2 == 0 else ("api", "/api/v1/kpis") for i in range(count)]


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


def report(name: str, phase: Phase) -> dict[str, object]:
    done = sum(len(v) for v in phase.latencies.values())
    rate = done / phase.seconds if phase.seconds else 0.0
    print(f"  {name}: {done} requests in {phase.seconds:.1f} s = {rate:.1f} req/s, "
          f"{phase.errors} errors")  # fmt: skip
    result: dict[str, object] = {"requests_per_s": rate, "errors": phase.errors}
    for route, values in phase.latencies.items():
        stats = percentiles(values)
        result[route] = stats
        if "p50" in stats:
            print(f"    {route:8} n={stats['n']:5}  p50 {stats['p50']:8.1f} ms  "
                  f"p95 {stats['p95']:8.1f} ms  p99 {stats['p99']:8.1f} ms")  # fmt: skip
    return result


def serve(folder: Path, workers: int, args: argparse.Namespace, token: str) -> dict[str, object]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "storeops", "serve", "--port", str(port), "--workers",
         str(workers), "-w", str(folder)],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"storeops serve stopped:\n{server.stderr.read()[-3000:]}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{base}/healthz", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("storeops serve did not answer in 60 s") from None
                time.sleep(0.2)
        with httpx.Client(base_url=base, follow_redirects=False) as http:
            form = http.get("/login").text
            csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = http.post(
                "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf}
            )
            if signed.status_code != 303:
                raise RuntimeError(f"sign-in failed: {signed.status_code}")
            cookies = http.cookies
            first, last = _data_days(http, token)
        print(f"{workers} worker(s), {args.clients} clients, data {first} .. {last}")
        cold, warm = asyncio.run(measure(base, cookies, token, args, first, last))
        cold_result = report("cold (every period new)", cold)
        warm_result = report("warm (default periods)", warm)
        return {"workers": workers, "cold": cold_result, "warm": warm_result}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _data_days(http: httpx.Client, token: str) -> tuple[date, date]:
    """The first and last day with orders (the API's default period); warms the API's key."""
    answer = http.get(
        "/api/v1/kpis", headers={"Authorization": f"Bearer {token}"}, timeout=300
    ).json()
    return date.fromisoformat(answer["from"]), date.fromisoformat(answer["to"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench web", description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines (approx.)")
    parser.add_argument(
        "--keep", action="store_true", help="build into --dir once, then reuse it (not deleted)"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="with --keep (default: TMP/storeops-bench-web/ws-N)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit of each phase")
    parser.add_argument("--cold-requests", type=int, default=32, help="requests of the cold phase")
    parser.add_argument(
        "--warm-requests", type=int, default=4000, help="requests of the warm phase"
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)

    if args.keep:
        folder = args.dir or Path(tempfile.gettempdir()) / "storeops-bench-web" / f"ws-{args.lines}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="storeops-bench-web-")) / "ws"
    try:
        built = build(folder, args.lines)
        if built:
            print(f"built in {built:.0f} s")
        token = credentials(folder)
        probe = probe_version_check(folder)
        print(f"cache version check {probe['version_check_ms'] * 1000:.1f} µs; "
              f"opening the warehouse (Ibis, read-only) {probe['open_warehouse_ms']:.1f} ms")  # fmt: skip
        runs = [serve(folder, int(w), args, token) for w in args.workers.split(",")]
    finally:
        if not args.keep:
            shutil.rmtree(folder.parent, ignore_errors=True)
    print(f"target: warm Overview p95 <= {TARGET_P95_MS:.0f} ms with 8 clients on 10M lines")
    for run in runs:
        overview = run["warm"]["overview"]  # type: ignore[index]
        if "p95" in overview:
            print(f"  {run['workers']} worker(s): warm Overview p95 {overview['p95']:.1f} ms, "
                  f"ratio {overview['p95'] / TARGET_P95_MS:.2f}")  # fmt: skip
    if args.json:
        print(json.dumps({"lines": args.lines, "probe": probe, "runs": runs}, indent=2))
    return 0
