"""The one scheduler of the monitoring engine: every check starts here, nowhere else.

One timer loop over a heap of due times (no task sleeping per monitor), so 10,000 monitors cost
a few hundred bytes each. Due times are absolute (next = previous due + interval), so a slow
check never drifts its monitor's schedule, and a monitor's first run sits at a phase given by a
stable hash of its id, so monitors sharing an interval spread over it and a restarted process
keeps their slots. A run that raises, hangs or overruns its timeout is counted and logged, and
never delays another: each run is its own task under a hard timeout, and at most
`max_concurrency` run at once.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import signal
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

# Added to a job's timeout before its run is cancelled: the probe enforces its own timeout, and
# the scheduler's is the backstop for one that does not.
TIMEOUT_GRACE_S = 1.0
# A start this much after its due time counts as late (the p99 start-jitter target).
LATE_AFTER_S = 1.0


def phase_of(job_id: int, interval_s: float) -> float:
    """Where in its interval a job runs, the same in every process (Python's hash() is salted)."""
    return zlib.crc32(job_id.to_bytes(8, "little", signed=True)) / 2**32 * interval_s


class SchedulerStats:
    """Counts since start and a bounded sample of start jitter (actual start - due time)."""

    __slots__ = (
        "started",
        "finished",
        "timed_out",
        "failed",
        "cancelled",
        "skipped_overlap",
        "skipped_behind",
        "late",
        "jitter",
    )

    def __init__(self, jitter_samples: int) -> None:
        self.started = 0  # runs begun
        self.finished = 0  # runs that returned
        self.timed_out = 0  # runs cancelled at their timeout
        self.failed = 0  # runs that raised
        self.cancelled = 0  # runs cancelled when the scheduler stopped
        self.skipped_overlap = 0  # due while the job's previous run was still in flight
        self.skipped_behind = 0  # due times passed over after falling an interval behind
        self.late = 0  # runs started more than LATE_AFTER_S after their due time
        self.jitter: deque[float] = deque(maxlen=jitter_samples)

    def jitter_percentile(self, q: float) -> float | None:
        """The q-th percentile (0-100, nearest rank) of the sampled start jitter, in seconds."""
        if not self.jitter:
            return None
        ordered = sorted(self.jitter)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1]

    def jitter_p50(self) -> float | None:
        return self.jitter_percentile(50)

    def jitter_p99(self) -> float | None:
        return self.jitter_percentile(99)

    def as_dict(self) -> dict[str, Any]:
        counts = {name: getattr(self, name) for name in self.__slots__ if name != "jitter"}
        return counts | {"jitter_p50_s": self.jitter_p50(), "jitter_p99_s": self.jitter_p99()}


class _Job:
    __slots__ = ("interval", "timeout", "due", "seq", "last_due")

    def __init__(self, interval: float, timeout: float, due: float, seq: int) -> None:
        self.interval = interval
        self.timeout = timeout
        self.due = due  # the next due time
        self.seq = seq  # which heap entry is this job's live one (others are stale)
        self.last_due: float | None = None  # the due time of the latest run started


class Scheduler:
    """Runs `run(job_id)` for every job at its interval; `await run(stop)` until stop is set."""

    def __init__(
        self,
        run: Callable[[int], Awaitable[None]],
        *,
        max_concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        timeout_grace_s: float = TIMEOUT_GRACE_S,
        jitter_samples: int = 20_000,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._run = run
        self._clock = clock
        self._timeout_grace_s = timeout_grace_s
        self._free = max_concurrency  # the semaphore's count: slots for runs
        self._jobs: dict[int, _Job] = {}
        self._heap: list[tuple[float, int, int]] = []  # (due, seq, job_id)
        self._seq = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # job_id -> its run
        self._waiter: asyncio.Future[None] | None = None
        self.stats = SchedulerStats(jitter_samples)

    def __len__(self) -> int:
        return len(self._jobs)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def set_job(self, job_id: int, interval_s: float, timeout_s: float) -> None:
        """Adds a job, or changes one: a new interval applies from the next run on."""
        if interval_s <= 0 or timeout_s <= 0:
            raise ValueError("interval and timeout must be positive")
        now = self._clock()
        job = self._jobs.get(job_id)
        if job is not None and job.interval == interval_s:
            job.timeout = timeout_s
            return
        if job is None or job.last_due is None:
            due = now + (phase_of(job_id, interval_s) - now) % interval_s
        else:
            # Sooner when the interval shrank; a longer one starts after the run already due.
            due = min(job.due, max(now, job.last_due + interval_s))
        if job is None:
            job = self._jobs[job_id] = _Job(interval_s, timeout_s, due, 0)
        job.interval, job.timeout = interval_s, timeout_s
        self._push(job_id, job, due)
        self._wake()  # the loop may be sleeping until a later due time

    def remove_job(self, job_id: int) -> None:
        """Forgets a job (its heap entry goes stale); a run in flight finishes on its own."""
        self._jobs.pop(job_id, None)

    async def run(self, stop: asyncio.Event, *, grace_s: float = 5.0) -> None:
        """Starts due jobs until `stop` is set, then gives runs in flight `grace_s` seconds to
        finish before cancelling them."""
        stop_watch = asyncio.ensure_future(stop.wait())
        stop_watch.add_done_callback(self._wake)
        try:
            while not stop.is_set():
                await self._sleep(self._start_due())
        finally:
            stop_watch.cancel()
            await self._drain(grace_s)

    # -- the timer loop ---------------------------------------------------------------------

    def _push(self, job_id: int, job: _Job, due: float) -> None:
        self._seq += 1
        job.due, job.seq = due, self._seq
        heapq.heappush(self._heap, (due, self._seq, job_id))

    def _start_due(self) -> float | None:
        """Starts every due job a slot allows; seconds until the next due time (None: wait for
        a change or a free slot)."""
        now = self._clock()
        heap = self._heap
        while heap:
            due, seq, job_id = heap[0]
            job = self._jobs.get(job_id)
            if job is None or job.seq != seq:
                heapq.heappop(heap)  # removed or rescheduled since
                continue
            if due > now:
                return due - now
            if job_id in self._in_flight:
                self.stats.skipped_overlap += 1
            elif self._free == 0:
                return None
            else:
                self._start(job_id, job, due)
            heapq.heappop(heap)
            self._push(job_id, job, self._next_due(job, due, now))
        return None

    def _next_due(self, job: _Job, due: float, now: float) -> float:
        """due + interval; runs missed by falling behind are skipped, not made up in a burst."""
        following = due + job.interval
        if following <= now:
            missed = math.floor((now - due) / job.interval)
            self.stats.skipped_behind += missed
            following = due + (missed + 1) * job.interval
        return following

    def _start(self, job_id: int, job: _Job, due: float) -> None:
        self._free -= 1
        job.last_due = due
        self.stats.started += 1
        task = asyncio.ensure_future(self._run_once(job_id, due, job.timeout))
        self._in_flight[job_id] = task

    async def _run_once(self, job_id: int, due: float, timeout_s: float) -> None:
        stats = self.stats
        lag = self._clock() - due
        stats.jitter.append(lag)
        if lag > LATE_AFTER_S:
            stats.late += 1
        deadline = asyncio.timeout(timeout_s + self._timeout_grace_s)
        try:
            async with deadline:
                await self._run(job_id)
        except TimeoutError:
            if deadline.expired():
                stats.timed_out += 1
                logger.warning("job %d: run cancelled after %.1f s", job_id, timeout_s)
            else:
                stats.failed += 1
                logger.warning("job %d: run raised TimeoutError", job_id)
        except asyncio.CancelledError:
            stats.cancelled += 1
            raise
        except Exception as exc:
            # The type only: a message may carry a URL with credentials in it.
            stats.failed += 1
            logger.warning("job %d: run raised %s", job_id, type(exc).__name__)
        else:
            stats.finished += 1
        finally:
            del self._in_flight[job_id]
            self._free += 1
            self._wake()

    def _wake(self, *_: object) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _sleep(self, delay: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_later(delay, self._wake) if delay is not None else None
        try:
            await self._waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    async def _drain(self, grace_s: float) -> None:
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Sets `stop` on SIGTERM or SIGINT (graceful stop); returns a function undoing that."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for number in signals:
        loop.add_signal_handler(number, stop.set)

    def undo() -> None:
        for number in signals:
            loop.remove_signal_handler(number)

    return undo
