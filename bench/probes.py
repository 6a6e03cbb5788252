"""`python -m bench probes [--quick] [--json]`: how many checks one core runs, how punctually
10,000 monitors start, and what a monitor costs in memory.

A target HTTP server (an asyncio HTTP/1.1 responder answering a fixed 200 and closing, so it is
never the bottleneck) runs in its own process pinned to one CPU; every measurement runs in a
fresh child process pinned to another, so "one core" means one core.

1. Throughput: N http monitors due every second (more than one core can check) through the
   Scheduler and probes.check() with a ProbeClient (a fresh connection per check), against a
   bare aiohttp GET loop with the same concurrency and connector in the same process. Then the
   same through the engine (monitoring.engine.run_engine), which also stores every result in a
   SQLite state DB. Target >= 1,000 checks/s. Rates are given per wall second and per second of
   the child's CPU time: on a busy machine the child gets a fraction of its core and the second
   is the better guess of a core of its own (an optimistic one: a starved event loop handles
   more events per wake-up), while the ratio to the baseline holds either way.
2. Start jitter (actual start - due time) of 10,000 monitors at a 60 s interval, through the
   Scheduler and checks, then through the engine. Target p99 < 1 s.
3. Memory: RSS of a child holding 10,000 monitors (specs, scheduler jobs, the engine's per-monitor
   state) after running them a while, minus the same child holding none, / 10,000. Target
   <= 20 KB per monitor. Also the scheduler's own share, from tracemalloc.
4. The Monitors page with 10,000 monitors (bench/monitors_page.py). Target < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import monitors_page

TARGET_CHECKS_PER_S = 1_000.0
TARGET_P99_S = 1.0
TARGET_KB_PER_MONITOR = 20.0
ROOT = Path(__file__).resolve().parent.parent

_SERVER = r"""
import asyncio, os, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
          b"Connection: close\r\n\r\nok")

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.seen = transport, b""

    def data_received(self, data):
        self.seen += data
        if b"\r\n\r\n" in self.seen:
            self.transport.write(ANSWER)
            self.transport.close()

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@contextmanager
def target_server(cpu: int) -> Iterator[tuple[str, int]]:
    """(url, pid) of the target server, pinned to `cpu`."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(cpu)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/", process.pid
    finally:
        process.terminate()
        process.wait(10)


def in_child(function: str, **kwargs: Any) -> dict[str, Any]:
    """Runs `function(**kwargs)` of this module in a new interpreter; its JSON-able answer."""
    code = (
        "import json, logging, sys\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        f"from bench.probes import {function}\n"
        f"print('BENCH ' + json.dumps({function}(**json.loads(sys.argv[1]))))"
    )
    # Its stderr is ours: what the engine logs (a failed write, a slow flush) is seen.
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(kwargs)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {function} failed (its error is above)")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))  # type: ignore[no-any-return]


def _pin(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})


def _specs(url: str, count: int, interval_s: float) -> dict[int, Any]:
    from storeops.monitoring.spec import MonitorSpec

    return {
        i: MonitorSpec(
            name=f"m{i}",
            kind="http",
            service="bench",
            url=url,
            interval_seconds=interval_s,
            timeout_seconds=10,
        )  # fmt: skip
        for i in range(1, count + 1)
    }


class Rate:
    """Work done over a window, per wall second and per second of this process's CPU time (user
    + system): on a shared machine the second is what one core of our own would do."""

    def __init__(self, done: int) -> None:
        self.done, self.wall, self.cpu = done, time.perf_counter(), time.process_time()

    def until(self, done: int) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        count = done - self.done
        return {"count": count, "per_s": count / wall, "per_cpu_s": count / cpu if cpu else 0.0,
                "cpu_share": cpu / wall}  # fmt: skip


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


# -- 1. throughput ----------------------------------------------------------------------------


async def _bare_loop(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """The baseline: `concurrency` workers GETting `url` in a loop, nothing else."""
    import aiohttp

    ok = failed = 0
    connector = aiohttp.TCPConnector(force_close=True, limit=0)  # as ProbeClient's
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal ok, failed
            while time.perf_counter() < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        ok += response.status == 200
                        failed += response.status != 200
                except aiohttp.ClientError:
                    failed += 1

        rate = Rate(0)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        measured = rate.until(ok + failed)
    return measured | {"failed": failed}


async def _scheduled_checks(
    url: str, monitors: int, concurrency: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """storeops: the Scheduler starting probes.check() of `monitors` monitors due every second."""
    from storeops.monitoring.probes import ProbeClient, check
    from storeops.monitoring.scheduler import Scheduler

    specs = _specs(url, monitors, 1.0)
    ok = failed = 0
    async with ProbeClient() as client:

        async def run(monitor_id: int) -> None:
            nonlocal ok, failed
            result = await check(specs[monitor_id], client)
            ok += result.ok
            failed += not result.ok

        scheduler = Scheduler(run, max_concurrency=concurrency)
        for monitor_id, spec in specs.items():
            scheduler.set_job(monitor_id, spec.interval_seconds, spec.timeout_seconds)
        stop = asyncio.Event()
        running = asyncio.create_task(scheduler.run(stop))
        await asyncio.sleep(warmup)  # every monitor's first start lies in its first second
        rate = Rate(ok + failed)
        await asyncio.sleep(seconds)
        measured = rate.until(ok + failed)
        stop.set()
        await running
    return measured | {"failed": failed, "scheduler": scheduler.stats.as_dict()}


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        key: statistics.median(r[key] for r in runs) for key in ("per_s", "per_cpu_s", "cpu_share")
    }


def throughput_child(
    url: str, cpu: int, monitors: int, concurrency: int, seconds: float, rounds: int
) -> dict[str, Any]:
    """Baseline and storeops alternately, `rounds` times each; the medians."""
    _pin(cpu)

    async def main() -> dict[str, Any]:
        bare: list[dict[str, Any]] = []
        ours: list[dict[str, Any]] = []
        for _ in range(rounds):
            bare.append(await _bare_loop(url, concurrency, seconds))
            ours.append(await _scheduled_checks(url, monitors, concurrency, seconds, 1.5))
        return {
            "baseline": _medians(bare),
            "storeops": _medians(ours),
            "failed": sum(r["failed"] for r in bare + ours),
            "scheduler": ours[-1]["scheduler"],
        }

    return asyncio.run(main())


# -- the engine, on a SQLite state DB of its own ----------------------------------------------


def prepare_workspace(folder: Path, url: str, monitors: int, interval_s: float) -> None:
    """A migrated SQLite state DB in `folder` with one service and `monitors` http monitors."""
    from storeops.core.settings import Settings
    from storeops.db.engine import engine_for, session_factory
    from storeops.db.migrate import upgrade
    from storeops.itsm.models import Service
    from storeops.monitoring.actions import create_monitor

    folder.mkdir(parents=True, exist_ok=True)
    engine = engine_for(Settings(workspace=folder))
    try:
        upgrade(engine)
        with session_factory(engine).begin() as session:
            service = Service(name="bench", title="Bench", impact=1.0)
            session.add(service)
            session.flush()
            for spec in _specs(url, monitors, interval_s).values():
                create_monitor(session, spec, service_id=service.id, origin="api", actor="bench")
    finally:
        engine.dispose()


class _NoHooks:
    """The engine's hooks doing nothing: incidents and alerts are not measured here."""

    def after_flush(self, session: Any, transitions: Sequence[Any], now: datetime) -> None:
        return None

    def every_minute(self, session: Any, now: datetime) -> None:
        return None


def engine_child(
    folder: str, cpu: int, concurrency: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """Runs the engine over the workspace: checks finished per second after `warmup` (their
    results are stored about once a second, in a thread of the same process, so the CPU time
    includes storing them), the scheduler's statistics, the RSS at the end, and the results
    stored in all (after the final flush: the writer kept up when it equals the checks run)."""
    _pin(cpu)
    # monitor_state.incident_id points at itsm's table: its model must be known to SQLAlchemy,
    # as in `storeops monitor run` (monitoring itself may not import itsm).
    import storeops.itsm.models  # noqa: F401
    from storeops.core.settings import Settings
    from storeops.db.engine import engine_for, session_factory
    from storeops.monitoring.engine import EngineStatus, run_engine

    settings = Settings(workspace=Path(folder), monitoring={"max_concurrency": concurrency})
    engine = engine_for(settings)
    last: dict[str, Any] = {}
    window: dict[str, Rate] = {}

    async def main() -> EngineStatus:
        stop = asyncio.Event()
        started = time.perf_counter()
        # on_status comes after each stored batch: should storing fail, stop all the same.
        asyncio.get_running_loop().call_later(warmup + seconds + 60, stop.set)

        def on_status(status: EngineStatus) -> None:
            now = time.perf_counter() - started
            finished = status.scheduler.get("finished", 0)
            if now >= warmup and "rate" not in window:
                window["rate"] = Rate(finished)
            last.update(monitors=status.monitors, scheduler=status.scheduler)
            if now >= warmup + seconds and not stop.is_set():
                last.update(window["rate"].until(finished), rss=_rss())
                stop.set()

        return await run_engine(
            session_factory(engine), settings, hooks=_NoHooks(), stop=stop, on_status=on_status
        )

    try:
        status = asyncio.run(main())
    finally:
        engine.dispose()
    if "per_s" not in last:
        raise RuntimeError("the engine stored no results: see its log above")
    return last | {"stored": status.checks, "ran": status.scheduler["finished"]}


# -- 2. start jitter through the scheduler ----------------------------------------------------


def jitter_child(url: str, cpu: int, monitors: int, concurrency: int, seconds: float) -> dict:
    """10,000 monitors at 60 s through the Scheduler and checks for `seconds`; its statistics,
    the share of checks that passed, and the RSS at the end."""
    _pin(cpu)
    from storeops.monitoring.probes import ProbeClient, check
    from storeops.monitoring.scheduler import Scheduler

    async def main() -> dict[str, Any]:
        specs = _specs(url, monitors, 60.0)
        failed = 0
        async with ProbeClient() as client:

            async def run(monitor_id: int) -> None:
                nonlocal failed
                failed += not (await check(specs[monitor_id], client)).ok

            scheduler = Scheduler(run, max_concurrency=concurrency)
            for monitor_id, spec in specs.items():
                scheduler.set_job(monitor_id, spec.interval_seconds, spec.timeout_seconds)
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(seconds, stop.set)
            await scheduler.run(stop)
            rss = _rss()
        return {"scheduler": scheduler.stats.as_dict(), "failed": failed, "rss": rss}

    return asyncio.run(main())


def scheduler_bytes_per_job(jobs: int) -> float:
    """What the scheduler itself allocates per job (tracemalloc)."""
    from storeops.monitoring.scheduler import Scheduler

    async def idle(_: int) -> None:
        return None

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    scheduler = Scheduler(idle, max_concurrency=10)
    for job_id in range(1, jobs + 1):
        scheduler.set_job(job_id, 60.0, 10.0)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / jobs


# -- the report -------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def _jitter_line(name: str, stats: dict[str, Any]) -> str:
    return (
        f"  {name}: {stats['started']:,} starts, p50 {_ms(stats['jitter_p50_s'])}, "
        f"p99 {_ms(stats['jitter_p99_s'])} (target p99 < {TARGET_P99_S:.0f} s: "
        f"{'met' if (stats['jitter_p99_s'] or 0) < TARGET_P99_S else 'MISSED'}); "
        f"late {stats['late']}, skipped {stats['skipped_overlap']} (overlap) "
        f"{stats['skipped_behind']} (behind), timed out {stats['timed_out']}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench probes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="short phases (about 1 minute)")
    parser.add_argument(
        "--monitors", type=int, default=5_000, help="monitors of the throughput phase"
    )
    parser.add_argument("--concurrency", type=int, default=100, help="checks in flight at once")
    parser.add_argument("--seconds", type=float, default=None, help="length of each throughput run")
    parser.add_argument("--jitter-monitors", type=int, default=10_000)
    parser.add_argument("--jitter-seconds", type=float, default=None,
                        help="length of each jitter run (default 90, so every monitor runs)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)
    seconds = args.seconds or (4.0 if args.quick else 10.0)
    rounds = 1 if args.quick else 2
    jitter_seconds = args.jitter_seconds or (20.0 if args.quick else 90.0)

    cpus = sorted(os.sched_getaffinity(0))
    engine_cpu, server_cpu = cpus[0], cpus[-1]
    if engine_cpu == server_cpu:
        print("warning: one CPU only; the server shares the engine's core")
    import psutil

    report: dict[str, Any] = {"cpus": {"engine": engine_cpu, "server": server_cpu}}
    with target_server(server_cpu) as (url, server_pid), tempfile.TemporaryDirectory() as tmp:
        server = psutil.Process(server_pid)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"engine on CPU {engine_cpu}, target server on CPU {server_cpu} ({url}); "
              f"load average {load} (other work on the machine lowers the per-s figures, "
              f"not the per-CPU-s ones)")  # fmt: skip

        # 1. throughput
        server.cpu_percent()
        t = in_child("throughput_child", url=url, cpu=engine_cpu, monitors=args.monitors,
                     concurrency=args.concurrency, seconds=seconds, rounds=rounds)  # fmt: skip
        t["server_cpu_percent"] = server.cpu_percent()
        workspace = Path(tmp) / "throughput"
        prepare_workspace(workspace, url, args.monitors, 1.0)
        e = in_child("engine_child", folder=str(workspace), cpu=engine_cpu,
                     concurrency=args.concurrency, warmup=3.0, seconds=seconds)  # fmt: skip
        base = t["baseline"]
        print(f"\n1. checks on one core: {args.monitors:,} http monitors due every second, "
              f"{args.concurrency} in flight, a fresh connection each")  # fmt: skip
        print("                                      per s   per CPU s  CPU share  vs baseline")
        for name, rate in (
            ("bare aiohttp GET loop (baseline)", base),
            ("Scheduler + probes.check()", t["storeops"]),
            ("engine (+ results in SQLite)", e),
        ):
            print(f"  {name:33} {rate['per_s']:8,.0f}  {rate['per_cpu_s']:10,.0f}  "
                  f"{rate['cpu_share']:9.0%}  {rate['per_cpu_s'] / base['per_cpu_s']:10.2f}")  # fmt: skip
        print(f"  the engine stored {e['stored']:,} results of the {e['ran']:,} checks it ran")
        worst = min(t["storeops"]["per_cpu_s"], e["per_cpu_s"])
        print(f"  target >= {TARGET_CHECKS_PER_S:,.0f} checks per CPU second: "
              f"{'met' if worst >= TARGET_CHECKS_PER_S else 'MISSED'}; failed checks "
              f"{t['failed']}; target server CPU {t['server_cpu_percent']:.0f}% (not the "
              f"bottleneck below 100%)")  # fmt: skip
        report["throughput"] = t | {"engine": e}

        # 2. start jitter, 3. memory (the same runs: RSS at their end)
        n = args.jitter_monitors
        print(f"\n2. start jitter, {n:,} monitors at 60 s, {jitter_seconds:.0f} s each")
        s = in_child("jitter_child", url=url, cpu=engine_cpu, monitors=n,
                     concurrency=args.concurrency, seconds=jitter_seconds)  # fmt: skip
        print(_jitter_line("Scheduler + checks", s["scheduler"]))
        s0 = in_child("jitter_child", url=url, cpu=engine_cpu, monitors=0,
                      concurrency=args.concurrency, seconds=min(jitter_seconds, 20.0))  # fmt: skip
        full, empty = Path(tmp) / "jitter", Path(tmp) / "empty"
        prepare_workspace(full, url, n, 60.0)
        prepare_workspace(empty, url, 0, 60.0)
        g = in_child("engine_child", folder=str(full), cpu=engine_cpu,
                     concurrency=args.concurrency, warmup=0.0, seconds=jitter_seconds)  # fmt: skip
        print(_jitter_line("engine            ", g["scheduler"]))
        print(f"  the engine stored {g['stored']:,} results of the {g['ran']:,} checks it ran")
        g0 = in_child("engine_child", folder=str(empty), cpu=engine_cpu,
                      concurrency=args.concurrency, warmup=0.0,
                      seconds=min(jitter_seconds, 20.0))  # fmt: skip
        report["jitter"] = {"scheduler": s, "engine": g}

        per_job = scheduler_bytes_per_job(n)
        sched_kb = (s["rss"] - s0["rss"]) / n / 1024
        engine_kb = (g["rss"] - g0["rss"]) / n / 1024
        print(f"\n3. memory per monitor (RSS with {n:,} monitors - RSS with none, / {n:,})")
        print(f"  specs + Scheduler + checks: {sched_kb:6.1f} KB")
        print(f"  engine:                     {engine_kb:6.1f} KB  (target <= "
              f"{TARGET_KB_PER_MONITOR:.0f} KB: "
              f"{'met' if engine_kb <= TARGET_KB_PER_MONITOR else 'MISSED'})")  # fmt: skip
        print(f"  the Scheduler's own share:  {per_job / 1024:6.2f} KB ({per_job:.0f} bytes)")
        report["memory"] = {"scheduler_checks_kb": sched_kb, "engine_kb": engine_kb,
                            "scheduler_bytes_per_job": per_job}  # fmt: skip
    print("\n4. " + "\n".join(monitors_page.run()))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0
