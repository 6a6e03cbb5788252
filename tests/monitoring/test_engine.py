"""The engine against a real HTTP server on 127.0.0.1 and the state DB (SQLite and PostgreSQL):
results stored every second, a restart that continues the counts with no duplicate transition,
API edits picked up without a restart, hooks that fail without losing results."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storeops.core.settings import Settings
from storeops.db.engine import make_engine, session_factory
from storeops.db.migrate import upgrade
from storeops.monitoring import actions
from storeops.monitoring import engine as engine_module
from storeops.monitoring.engine import EngineStatus, run_engine
from storeops.monitoring.models import CheckResult, Monitor, MonitorState
from storeops.monitoring.results import Transition
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.servers import HttpServer
from tests.monitoring.statedb import add_service


class RecordingHooks:
    def __init__(self, fail: bool = False) -> None:
        self.transitions: list[Transition] = []
        self.minutes = 0
        self.fail = fail

    def after_flush(self, session: Session, transitions, now: datetime) -> None:  # type: ignore[no-untyped-def]
        self.transitions.extend(transitions)
        if self.fail and transitions:
            raise RuntimeError("a bug in the hooks")

    def every_minute(self, session: Session, now: datetime) -> None:
        self.minutes += 1


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def add_monitor(sessions, url: str, **fields) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        service = add_service(session, "shop")
        spec = MonitorSpec(name="home", kind="http", service="shop", url=url, interval_seconds=1,
                           timeout_seconds=2, **fields)  # fmt: skip
        return actions.create_monitor(
            session, spec, service_id=service.id, origin="api", actor="t"
        ).id


def state_of(sessions, monitor_id: int) -> MonitorState | None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.get(MonitorState, monitor_id)


async def run_until(
    sessions, hooks, settings: Settings, done: Callable[[], bool], timeout: float = 15, **options
) -> None:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    engine = asyncio.create_task(run_engine(sessions, settings, hooks=hooks, stop=stop, **options))
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(done):
        assert time.monotonic() < deadline, "timed out"
        assert not engine.done(), engine.exception()
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(engine, 10)


def test_a_restart_continues_the_counts_and_fires_failing_once(server, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(workspace=tmp_path)
    monitor_id = add_monitor(sessions, server.url("/status/500"), failure_threshold=4)

    first = RecordingHooks()
    asyncio.run(
        run_until(
            sessions,
            first,
            settings,
            lambda: (
                (s := state_of(sessions, monitor_id)) is not None and s.consecutive_failures >= 1
            ),
        )
    )
    stopped_at = state_of(sessions, monitor_id).consecutive_failures
    assert 1 <= stopped_at < 4 and first.transitions == [] and first.minutes == 1
    with sessions() as session:  # a graceful stop stored every check made
        assert session.scalar(select(func.count()).select_from(CheckResult)) == stopped_at

    second = RecordingHooks()
    asyncio.run(
        run_until(
            sessions,
            second,
            settings,
            lambda: state_of(sessions, monitor_id).consecutive_failures >= 5,
        )
    )
    [failing] = second.transitions
    assert (failing.kind, failing.monitor_id, failing.consecutive_failures) == (
        "failing",
        monitor_id,
        4,
    )
    assert "[STATUS] (500)" in (failing.error or "")


def test_edits_apply_without_restart_and_recovery_fires(
    server, sessions, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine_module, "RELOAD_EVERY_S", 0.5)  # the test need not wait 5 s
    settings = Settings(workspace=tmp_path)
    monitor_id = add_monitor(
        sessions, server.url("/status/503"), failure_threshold=1, success_threshold=2
    )
    hooks = RecordingHooks()

    def edit_when_failing() -> bool:
        if not hooks.transitions:
            return False
        if len(hooks.transitions) == 1:
            with sessions.begin() as session:
                monitor = session.get(Monitor, monitor_id)
                spec = MonitorSpec.model_validate(monitor.spec).model_copy(
                    update={"url": server.url("/status/200")}
                )
                actions.update_monitor(
                    session, monitor, spec, service_id=monitor.service_id, actor="web:a"
                )
        return any(t.kind == "recovered" for t in hooks.transitions)

    asyncio.run(run_until(sessions, hooks, settings, edit_when_failing, timeout=20))
    assert [t.kind for t in hooks.transitions] == ["failing", "recovered"]
    assert hooks.transitions[1].consecutive_successes == 2


def test_hooks_that_raise_lose_no_results(server, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(workspace=tmp_path)
    monitor_id = add_monitor(sessions, server.url("/status/500"), failure_threshold=1)
    hooks = RecordingHooks(fail=True)
    asyncio.run(
        run_until(
            sessions,
            hooks,
            settings,
            lambda: (
                (s := state_of(sessions, monitor_id)) is not None and s.consecutive_failures >= 2
            ),
        )
    )
    assert [t.kind for t in hooks.transitions] == ["failing"]  # fired once, though the hooks failed
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CheckResult)) >= 2


def test_a_batch_the_database_refused_is_written_with_the_next_one(
    server, sessions, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The raw results table gone for a while (as good as a database that refuses writes):
    the checks made meanwhile are stored once it is back, none lost."""
    settings = Settings(workspace=tmp_path)
    monitor_id = add_monitor(sessions, server.url("/status/500"), failure_threshold=100)
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE check_results RENAME TO check_results_away"))
    statuses: list[EngineStatus] = []
    made_while_away: list[int] = []
    back: list[datetime] = []

    def back_after_three_checks() -> bool:
        if not made_while_away:
            if not statuses or statuses[-1].pending < 3:
                return False
            made_while_away.append(statuses[-1].pending)
            with sessions.begin() as session:
                session.execute(text("ALTER TABLE check_results_away RENAME TO check_results"))
            back.append(datetime.now(UTC))
        state = state_of(sessions, monitor_id)
        return state is not None and state.consecutive_failures >= made_while_away[0]

    asyncio.run(
        run_until(sessions, RecordingHooks(), settings, back_after_three_checks,
                  on_status=statuses.append)
    )  # fmt: skip
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(CheckResult))
        before = session.scalar(select(func.count()).where(CheckResult.at < back[0]))
        state = session.get(MonitorState, monitor_id)
    assert before >= made_while_away[0] >= 3
    assert stored == state.consecutive_failures
    assert statuses[-1].checks == stored
