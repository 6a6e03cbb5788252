"""The scheduler on a real event loop with short intervals (tens of milliseconds).

Timings allow for a shared, busy machine, where the OS may stall this process for a tenth of a
second now and then: each assertion checks a structure (starts on the job's grid, no burst, a
cap never exceeded) that one stall cannot break and a wrong scheduler cannot meet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import pytest

from storeops.monitoring.scheduler import Scheduler, phase_of

Starts = dict[int, list[float]]


def run_for(
    seconds: float,
    body: Callable[[int], Awaitable[None]],
    jobs: dict[int, tuple[float, float]],
    *,
    max_concurrency: int = 100,
    during: Callable[[Scheduler, float], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    timeout_grace_s: float = 0.02,
) -> tuple[Scheduler, Starts]:
    """Runs a scheduler over `jobs` (id -> (interval, timeout)) for `seconds`, recording the
    clock time at which each job's runs began; `during(scheduler, t0)` runs alongside."""
    starts: Starts = defaultdict(list)

    async def run(job_id: int) -> None:
        starts[job_id].append(clock())
        await body(job_id)

    async def main() -> Scheduler:
        scheduler = Scheduler(
            run, max_concurrency=max_concurrency, clock=clock, timeout_grace_s=timeout_grace_s
        )
        for job_id, (interval, timeout) in jobs.items():
            scheduler.set_job(job_id, interval, timeout)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        side = asyncio.ensure_future(during(scheduler, clock())) if during else None
        await scheduler.run(stop, grace_s=0.05)
        if side is not None:
            await side
        return scheduler

    return asyncio.run(main()), starts


async def idle(_: int) -> None:
    return None


def share_on_grid(times: list[float], job_id: int, interval: float, tolerance: float) -> float:
    """The share of starts within `tolerance` after one of the job's due times, which lie at
    its phase plus whole intervals. A schedule that drifts leaves the grid within a few runs."""
    on = [(t - phase_of(job_id, interval)) % interval < tolerance for t in times]
    return sum(on) / len(on)


def test_phase_is_a_stable_hash_spread_over_the_interval() -> None:
    assert phase_of(7, 60) == phase_of(7, 60)
    # The same in a fresh interpreter (with another hash seed): restarts keep the slots.
    code = "from storeops.monitoring.scheduler import phase_of; print(repr(phase_of(7, 60.0)))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        env=os.environ | {"PYTHONHASHSEED": "123"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(other.stdout) == phase_of(7, 60.0)
    buckets = [0] * 10
    for job_id in range(1, 10_001):
        phase = phase_of(job_id, 60.0)
        assert 0 <= phase < 60
        buckets[int(phase // 6)] += 1
    assert min(buckets) > 850 and max(buckets) < 1150, buckets


def test_first_starts_spread_over_the_interval_at_each_jobs_phase() -> None:
    interval = 0.4
    jobs = {job_id: (interval, 1.0) for job_id in range(1, 201)}
    _, starts = run_for(interval + 0.15, idle, jobs)
    firsts = [times[0] for times in starts.values()]
    assert len(firsts) == 200
    # Spread: never close to all of them inside one tenth of the interval.
    window = interval / 10
    assert max(sum(1 for t in firsts if s <= t < s + window) for s in firsts) < 60
    # Each first start sits at the job's phase of the clock, hence the same after a restart.
    on_phase = [
        share_on_grid(times[:1], job_id, interval, 0.03) for job_id, times in starts.items()
    ]
    assert sum(on_phase) >= 180


def test_slow_runs_do_not_drift_the_schedule() -> None:
    async def slow(_: int) -> None:
        await asyncio.sleep(0.07)  # most of the 0.1 s interval

    scheduler, starts = run_for(1.25, slow, {1: (0.1, 1.0)})
    times = starts[1]
    # Restarting 0.1 s after each end would start every 0.17 s: 7 runs, off the grid.
    assert len(times) >= 10
    assert share_on_grid(times, 1, 0.1, 0.03) >= 0.7, times
    assert scheduler.stats.finished + scheduler.stats.cancelled == len(times)
    assert scheduler.stats.jitter_p50() is not None and scheduler.stats.jitter_p50() < 0.02


def test_the_concurrency_limit_holds() -> None:
    running = 0
    peak = 0

    async def busy(_: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    jobs = {job_id: (0.2, 1.0) for job_id in range(1, 41)}
    scheduler, _ = run_for(0.6, busy, jobs, max_concurrency=4)
    assert peak == 4
    # 4 slots x 0.05 s per run: about 80 runs/s at most, though 200/s are due.
    assert 12 <= scheduler.stats.finished <= 60


class SlowLoris:
    """A TCP server on 127.0.0.1 that sends one byte every 50 ms and never finishes."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        async def trickle(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                writer.write(b"HTTP/1.1 200 OK\r\n")
                while True:
                    writer.write(b"X")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            except (ConnectionError, asyncio.CancelledError):
                writer.close()

        self.server = await asyncio.start_server(trickle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]


def test_a_hanging_slow_lorised_run_is_cancelled_and_others_keep_their_schedule() -> None:
    loris = SlowLoris()
    port = 0
    cancelled_reads: list[float] = []

    async def body(job_id: int) -> None:
        if job_id == 1:  # reads to the end of a response that never ends, with no timeout
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.monotonic()
            try:
                await reader.read(-1)
            finally:
                cancelled_reads.append(time.monotonic() - started)
                writer.close()

    async def main() -> tuple[Scheduler, Starts]:
        nonlocal port
        port = await loris.start()
        starts: Starts = defaultdict(list)

        async def run(job_id: int) -> None:
            starts[job_id].append(time.monotonic())
            await body(job_id)

        scheduler = Scheduler(run, max_concurrency=10, timeout_grace_s=0.02)
        scheduler.set_job(1, 0.1, 0.15)
        scheduler.set_job(2, 0.1, 1.0)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, stop.set)
        await scheduler.run(stop, grace_s=0.05)
        assert loris.server is not None
        loris.server.close()
        return scheduler, starts

    scheduler, starts = asyncio.run(main())
    stats = scheduler.stats
    assert stats.timed_out >= 3
    # Each read ended at its timeout, or sooner when the stop cancelled it.
    assert all(took < 0.45 for took in cancelled_reads), cancelled_reads
    assert sum(took >= 0.15 for took in cancelled_reads) >= stats.timed_out
    assert len(cancelled_reads) == stats.timed_out + stats.cancelled
    # Still in flight at the next due time: that run is skipped, not piled up.
    assert stats.skipped_overlap >= 3
    assert len(starts[1]) == stats.timed_out + stats.cancelled
    times = starts[2]
    assert len(times) >= 9
    assert share_on_grid(times, 2, 0.1, 0.03) >= 0.7, times


def test_raising_runs_are_counted_logged_without_their_message_and_stop_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def body(job_id: int) -> None:
        if job_id == 1:
            raise RuntimeError("https://admin:s3cret@shop.example failed")
        if job_id == 2:
            raise TimeoutError  # the run's own timeout, not the scheduler's

    with caplog.at_level(logging.WARNING, logger="storeops.monitoring.scheduler"):
        scheduler, starts = run_for(0.5, body, {1: (0.05, 1.0), 2: (0.05, 1.0), 3: (0.05, 1.0)})
    stats = scheduler.stats
    assert len(starts[1]) >= 6 and len(starts[2]) >= 6 and len(starts[3]) >= 6
    assert stats.failed == len(starts[1]) + len(starts[2])
    assert stats.finished == len(starts[3]) and stats.timed_out == 0
    assert "RuntimeError" in caplog.text and "s3cret" not in caplog.text


def test_a_run_still_in_flight_at_its_due_time_is_skipped() -> None:
    running: set[int] = set()
    overlapped = False

    async def long(job_id: int) -> None:
        nonlocal overlapped
        overlapped |= job_id in running
        running.add(job_id)
        await asyncio.sleep(0.12)  # over two intervals of 0.05 s
        running.discard(job_id)

    scheduler, starts = run_for(0.62, long, {1: (0.05, 1.0)})
    assert not overlapped
    times = starts[1]
    # Due every 0.05 s, runs every third due time: the two between are skipped.
    assert 3 <= len(times) <= 5
    assert all(b - a > 0.12 for a, b in zip(times, times[1:], strict=False)), times
    assert share_on_grid(times, 1, 0.05, 0.02) >= 0.6, times
    assert scheduler.stats.skipped_overlap >= 2 * (len(times) - 1)


def test_jobs_are_added_changed_and_removed_while_running() -> None:
    changed_at: list[float] = []

    async def during(scheduler: Scheduler, t0: float) -> None:
        await asyncio.sleep(0.3)
        changed_at.append(time.monotonic())
        scheduler.remove_job(1)
        scheduler.set_job(2, 0.05, 1.0)  # new
        scheduler.set_job(3, 0.05, 1.0)  # was 0.2 s: the next run comes sooner

    scheduler, starts = run_for(0.7, idle, {1: (0.05, 1.0), 3: (0.2, 1.0)}, during=during)
    t_change = changed_at[0]
    # A run dispatched just before the removal may begin just after it, no later one.
    assert sum(t >= t_change for t in starts[1]) <= 1 and len(starts[1]) >= 4
    assert all(t >= t_change for t in starts[2]) and 5 <= len(starts[2]) <= 9
    before = [t for t in starts[3] if t < t_change]
    after = [t for t in starts[3] if t >= t_change]
    assert 1 <= len(before) <= 2 and 6 <= len(after) <= 9
    assert len(scheduler) == 2


def test_a_longer_interval_applies_after_the_run_already_due() -> None:
    changed_at: list[float] = []

    async def during(scheduler: Scheduler, t0: float) -> None:
        await asyncio.sleep(0.3)
        changed_at.append(time.monotonic())
        scheduler.set_job(1, 0.25, 1.0)  # was 0.05 s

    _, starts = run_for(0.9, idle, {1: (0.05, 1.0)}, during=during)
    after = [t for t in starts[1] if t >= changed_at[0]]
    # The run due within 0.05 s keeps its time; the ones after it come 0.25 s apart.
    assert 3 <= len(after) <= 4, after
    assert after[0] - changed_at[0] < 0.08
    assert all(0.2 < b - a < 0.35 for a, b in zip(after, after[1:], strict=False)), after


def test_jitter_percentiles_are_nearest_rank() -> None:
    scheduler = Scheduler(idle, max_concurrency=1)
    assert scheduler.stats.jitter_p99() is None
    scheduler.stats.jitter.extend(x / 1000 for x in range(100, 0, -1))  # 0.001 .. 0.100
    assert scheduler.stats.jitter_p50() == 0.050
    assert scheduler.stats.jitter_p99() == 0.099
    assert scheduler.stats.as_dict()["jitter_p99_s"] == 0.099


def test_falling_behind_skips_the_missed_runs_instead_of_bursting() -> None:
    jump = [0.0]

    def clock() -> float:
        return time.monotonic() + jump[0]

    async def during(scheduler: Scheduler, t0: float) -> None:
        await asyncio.sleep(0.2)
        jump[0] = 1.0  # as if the process had been frozen for ten intervals

    scheduler, starts = run_for(0.5, idle, {1: (0.1, 1.0)}, during=during, clock=clock)
    times = starts[1]
    assert 3 <= len(times) <= 6  # ~2 before the jump, ~3 after: not 10 more at once
    assert 9 <= scheduler.stats.skipped_behind <= 12
    assert scheduler.stats.late == 1


def test_stop_returns_promptly_awaiting_quick_runs_and_cancelling_slow_ones() -> None:
    quick_runs = 0

    async def body(job_id: int) -> None:
        nonlocal quick_runs
        if job_id == 1:
            quick_runs += 1
        await asyncio.sleep(0.1 if job_id == 1 else 30)

    async def main() -> tuple[Scheduler, float]:
        scheduler = Scheduler(body, max_concurrency=10)
        scheduler.set_job(1, 0.2, 60)
        scheduler.set_job(2, 0.2, 60)
        stop = asyncio.Event()
        running = asyncio.ensure_future(scheduler.run(stop, grace_s=0.3))
        async with asyncio.timeout(2):
            while scheduler.in_flight < 2:
                await asyncio.sleep(0.005)
        stop.set()
        started = time.monotonic()
        await running
        return scheduler, time.monotonic() - started

    scheduler, took = asyncio.run(main())
    assert 0.25 <= took < 0.7  # the grace period, then the cancellation
    # The quick run in flight finished within the grace period; the slow one was cancelled.
    assert scheduler.stats.finished == quick_runs and scheduler.stats.cancelled == 1
    assert scheduler.in_flight == 0


def test_sigterm_stops_the_scheduler_gracefully() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from storeops.monitoring.scheduler import Scheduler, stop_on_signals

        async def run(job_id):
            await asyncio.sleep(0.05)

        async def main():
            scheduler = Scheduler(run, max_concurrency=5)
            for job_id in range(20):
                scheduler.set_job(job_id, 0.1, 1.0)
            stop = asyncio.Event()
            stop_on_signals(stop)
            asyncio.get_running_loop().call_later(0.3, lambda: print("ready", flush=True))
            await scheduler.run(stop, grace_s=2.0)
            s = scheduler.stats
            print("stopped", s.started, s.finished, s.cancelled, flush=True)

        asyncio.run(main())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    word, started, finished, cancelled = out.split()
    assert word == "stopped" and int(started) >= 20
    # Runs in flight at SIGTERM were awaited (within the grace period), not cancelled.
    assert int(finished) == int(started) and int(cancelled) == 0
