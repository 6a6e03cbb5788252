"""The monitoring engine: check -> store -> alert, in one process (`storeops monitor run`).

The scheduler starts every check; results are buffered and flushed about once a second, off the
event loop (SQLAlchemy is synchronous), in one transaction with the hooks that turn transitions
into incidents and decide notifications, so a process killed at any point opens no incident
twice. Notifications are sent once that transaction is committed, never while it holds locks.
A batch the database refused is written again with the next one. Monitors are reloaded when
the monitors table changes, so API edits apply without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storeops.core.settings import Settings
from storeops.db.models import utcnow
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import Monitor, MonitorState
from storeops.monitoring.probes import ProbeClient, check
from storeops.monitoring.results import PendingResult, ResultWriter, Transition, prune
from storeops.monitoring.scheduler import Scheduler
from storeops.monitoring.spec import MonitorSpec

logger = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0
RELOAD_EVERY_S = 5.0  # how soon an edit through the API reaches the engine
MINUTE_S = 60.0
PRUNE_EVERY_S = 3600.0


# Work the hooks leave for after their transaction is committed (sending notifications): it
# gets a session with no transaction open, may take its time before it touches it, and what it
# records there is committed by the engine.
AfterCommit = Callable[[Session], object]


class EngineHooks(Protocol):
    """What happens after results are stored (workflows.watch.WatchHooks implements it)."""

    def after_flush(
        self, session: Session, transitions: Sequence[Transition], now: datetime
    ) -> AfterCommit | None:
        """Called in the transaction that stored a batch of results, with or without
        transitions; an exception rolls back the hooks' work only (the results stay)."""

    def every_minute(self, session: Session, now: datetime) -> AfterCommit | None:
        """SLO evaluation, reminders: at start and once a minute, in a transaction of its own."""


@dataclass
class EngineStatus:
    monitors: int = 0  # enabled monitors scheduled
    checks: int = 0  # results stored since start
    pending: int = 0  # results the database has not taken yet
    down: int = 0  # monitors failing their threshold (refreshed every few seconds)
    scheduler: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
    spec: MonitorSpec
    service_id: int


def hard_timeout(spec: MonitorSpec) -> float:
    """How long a check may take before the scheduler cancels it: every attempt, every step."""
    return spec.timeout_seconds * (spec.retries + 1) * max(1, len(spec.steps))


class _Engine:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        hooks: EngineHooks,
        now: Callable[[], datetime],
        client: ProbeClient,
        on_status: Callable[[EngineStatus], None] | None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.hooks = hooks
        self.now = now
        self.client = client
        self.on_status = on_status
        self.writer = ResultWriter()
        self.jobs: dict[int, _Job] = {}
        self.version: tuple[Any, ...] | None = None
        self.calendar = MaintenanceCalendar.of([])
        self.status = EngineStatus()
        self.scheduler = Scheduler(self.check, max_concurrency=settings.monitoring.max_concurrency)

    async def check(self, monitor_id: int) -> None:
        job = self.jobs.get(monitor_id)
        if job is None:
            return  # removed since it was due
        started = self.now()
        result = await check(job.spec, self.client)
        self.writer.add(monitor_id, started, result, self.calendar.covers(job.service_id, started))

    async def run(self, stop: asyncio.Event) -> EngineStatus:
        loop = asyncio.get_running_loop()
        await self.reload()
        scheduler_stop = asyncio.Event()
        scheduler = asyncio.create_task(self.scheduler.run(scheduler_stop))
        next_reload = loop.time() + RELOAD_EVERY_S
        next_minute = loop.time()  # at once too: a restart puts right what a kill left behind
        next_prune = loop.time()
        try:
            while not stop.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), FLUSH_EVERY_S)
                await self.guarded(self.flush())
                if stop.is_set():
                    break
                if loop.time() >= next_reload:
                    next_reload = loop.time() + RELOAD_EVERY_S
                    await self.guarded(self.reload())
                if loop.time() >= next_minute:
                    next_minute = loop.time() + 60
                    await self.guarded(self.every_minute())
                if loop.time() >= next_prune:
                    next_prune = loop.time() + PRUNE_EVERY_S
                    await self.guarded(asyncio.to_thread(self.prune))
        finally:
            # Checks in flight get the scheduler's grace to finish; their results are stored.
            scheduler_stop.set()
            await scheduler
            await self.guarded(self.flush())
        return self.status

    @staticmethod
    async def guarded(work: Any) -> None:
        """A database that hiccups is logged, and the engine carries on."""
        try:
            await work
        except Exception:
            logger.exception("monitoring engine: database work failed, will retry")

    # -- storing results ----------------------------------------------------------------------

    async def flush(self) -> None:
        batch = self.writer.take()  # on the loop, where results are added
        try:
            if batch:
                await asyncio.to_thread(self.write, batch, self.now())
        except Exception:
            self.writer.put_back(batch)  # on the loop again; tried with the next flush
            raise
        finally:
            self.status.pending = len(self.writer)
            self.status.scheduler = self.scheduler.stats.as_dict()
            if self.on_status is not None:
                self.on_status(self.status)

    def write(self, batch: list[PendingResult], now: datetime) -> None:
        """Raises only while the batch is not stored."""
        with self.sessions() as session:
            transitions = self.writer.write(session, batch, now)
            after: AfterCommit | None = None
            try:
                with session.begin_nested():
                    after = self.hooks.after_flush(session, transitions, now)
            except Exception:
                logger.exception(
                    "monitoring engine: after_flush failed; results kept, %d transitions lost",
                    len(transitions),
                )
            session.commit()
            self.status.checks += len(batch)
            self.after_commit(session, after)

    @staticmethod
    def after_commit(session: Session, work: AfterCommit | None) -> None:
        if work is None:
            return
        try:
            work(session)
            session.commit()
        except Exception:
            session.rollback()
            logger.exception("monitoring engine: work after the commit failed")

    async def every_minute(self) -> None:
        await asyncio.to_thread(self.in_transaction, self.hooks.every_minute, self.now())
        await self.load_calendar()

    def in_transaction(
        self, work: Callable[[Session, datetime], AfterCommit | None], now: datetime
    ) -> None:
        with self.sessions() as session:
            after = work(session, now)
            session.commit()
            self.after_commit(session, after)

    def prune(self) -> None:
        with self.sessions.begin() as session:
            deleted = prune(session, self.now(), self.settings.monitoring.raw_retention_days)
        logger.info("monitoring engine: pruned %s", deleted)

    # -- following the monitors table ---------------------------------------------------------

    async def load_calendar(self) -> None:
        self.calendar = await asyncio.to_thread(self.read, MaintenanceCalendar.load)

    def read(self, query: Callable[[Session], Any]) -> Any:
        with self.sessions() as session:
            return query(session)

    async def reload(self) -> None:
        version, jobs, down = await asyncio.to_thread(self.read, self.load_jobs)
        self.status.down = down
        if jobs is None:
            return
        for monitor_id in self.jobs.keys() - jobs.keys():
            self.scheduler.remove_job(monitor_id)
        for monitor_id, job in jobs.items():
            if self.jobs.get(monitor_id) != job:
                self.scheduler.set_job(
                    monitor_id, job.spec.interval_seconds, hard_timeout(job.spec)
                )
        self.jobs, self.version = jobs, version
        self.status.monitors = len(jobs)
        await self.load_calendar()  # windows often change with monitors

    def load_jobs(self, session: Session) -> tuple[Any, dict[int, _Job] | None, int]:
        """(version, the enabled monitors or None when unchanged, monitors down)."""
        version = tuple(session.execute(select(func.count(), func.max(Monitor.updated_at))).one())
        down = session.scalar(
            select(func.count())
            .select_from(MonitorState)
            .join(Monitor, Monitor.id == MonitorState.monitor_id)
            .where(Monitor.enabled, MonitorState.consecutive_failures >= Monitor.failure_threshold)
        )
        if version == self.version:
            return version, None, int(down or 0)
        jobs = {}
        for monitor_id, name, spec, service_id in session.execute(
            select(Monitor.id, Monitor.name, Monitor.spec, Monitor.service_id).where(
                Monitor.enabled
            )
        ):
            try:
                jobs[monitor_id] = _Job(MonitorSpec.model_validate(spec), service_id)
            except ValidationError as exc:
                logger.error("monitor %s has an invalid spec, not scheduled: %s", name, exc)
        return version, jobs, int(down or 0)


async def run_engine(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    hooks: EngineHooks,
    stop: asyncio.Event,
    now: Callable[[], datetime] = utcnow,
    probe_client: ProbeClient | None = None,
    on_status: Callable[[EngineStatus], None] | None = None,
) -> EngineStatus:
    """Runs the enabled monitors until `stop` is set, then stores what is in flight and returns.

    `on_status` is called after every flush (about once a second) with the running totals.
    """
    async with AsyncExitStack() as stack:
        client = probe_client
        if client is None:
            client = await stack.enter_async_context(ProbeClient(ca_file=settings.probe_ca_file()))
        engine = _Engine(sessions, settings, hooks, now, client, on_status)
        return await engine.run(stop)
