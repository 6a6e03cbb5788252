"""ResultWriter: raw results, consecutive counts, transitions fired once, rollups merged across
flushes and restarts, maintenance counted apart, pruning; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from storeops.monitoring import actions, latency, results
from storeops.monitoring.models import CheckResult, Monitor, MonitorState, ResultRollup
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import KEYS_PER_SELECT, ResultWriter, prune
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.statedb import add_service, migrated_session

T0 = datetime(2025, 3, 1, 23, 59, 30, tzinfo=UTC)
OK = ProbeResult(ok=True, duration_ms=40.0, status_code=200)
BAD = ProbeResult(ok=False, duration_ms=900.0, status_code=500, error="[STATUS] (500) == 200")


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    with migrated_session(database_url) as session:
        service = add_service(session, "shop")
        monitor = actions.create_monitor(
            session,
            MonitorSpec(name="home", kind="http", service="shop", url="https://shop.example/",
                        failure_threshold=2, success_threshold=2),
            service_id=service.id, origin="api", actor="test",
        )  # fmt: skip
        session.commit()
        yield session, monitor


def feed(
    session,
    monitor_id: int,
    outcomes,
    start: datetime,
    every=timedelta(seconds=10),
    maintenance=False,
):  # type: ignore[no-untyped-def]
    """Writes the outcomes in a fresh writer (like a restarted engine) and commits."""
    writer = ResultWriter()
    for n, result in enumerate(outcomes):
        writer.add(monitor_id, start + n * every, result, maintenance)
    transitions = writer.flush(session, start + len(outcomes) * every)
    session.commit()
    return transitions


def test_failing_fires_once_at_the_threshold_and_recovered_after_successes(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    step = timedelta(seconds=10)
    assert feed(session, monitor.id, [BAD], T0) == []
    [failing] = feed(session, monitor.id, [BAD, BAD], T0 + step)  # a restart in between
    assert (failing.kind, failing.monitor_id, failing.monitor_name, failing.service_id) == (
        "failing", monitor.id, "home", monitor.service_id,
    )  # fmt: skip
    assert (failing.at, failing.consecutive_failures, failing.error) == (
        T0 + step, 2, "[STATUS] (500) == 200",
    )  # fmt: skip
    # One success does not recover it, and the failing streak is kept while it is failing.
    assert feed(session, monitor.id, [OK, BAD, OK], T0 + 3 * step) == []
    state = session.get(MonitorState, monitor.id)
    session.refresh(state)
    assert (state.consecutive_failures, state.consecutive_successes, state.last_ok) == (4, 1, True)
    [recovered] = feed(session, monitor.id, [OK, OK], T0 + 6 * step)
    assert (recovered.kind, recovered.at, recovered.consecutive_successes) == (
        "recovered", T0 + 6 * step, 2,
    )  # fmt: skip
    session.refresh(state)
    assert (state.consecutive_failures, state.consecutive_successes) == (0, 3)
    assert state.last_checked_at == T0 + 7 * step and state.last_error is None
    # Below the threshold a success simply resets the failures.
    assert feed(session, monitor.id, [BAD, OK, BAD], T0 + 8 * step) == []
    session.refresh(state)
    assert (state.consecutive_failures, state.consecutive_successes, state.last_ok) == (1, 0, False)
    assert session.scalar(select(func.count()).select_from(CheckResult)) == 11


def test_results_added_out_of_order_are_counted_in_start_order(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    writer = ResultWriter()
    writer.add(monitor.id, T0 + timedelta(seconds=20), OK, False)  # finished first
    writer.add(monitor.id, T0, BAD, False)
    writer.add(monitor.id, T0 + timedelta(seconds=10), BAD, False)
    [failing] = writer.flush(session, T0 + timedelta(minutes=1))
    assert failing.at == T0 + timedelta(seconds=10)
    state = session.get(MonitorState, monitor.id)
    assert (state.consecutive_failures, state.consecutive_successes, state.last_ok) == (2, 1, True)


def test_failures_in_maintenance_count_nowhere_but_successes_recover(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    assert feed(session, monitor.id, [BAD, BAD, BAD], T0, maintenance=True) == []
    state = session.get(MonitorState, monitor.id)
    assert (state.consecutive_failures, state.last_ok, state.last_error) == (
        0,
        False,
        "[STATUS] (500) == 200",
    )
    [failing] = feed(session, monitor.id, [BAD, BAD], T0 + timedelta(minutes=1))
    assert failing.kind == "failing"
    [recovered] = feed(session, monitor.id, [OK, OK], T0 + timedelta(minutes=2), maintenance=True)
    assert recovered.kind == "recovered"
    minute = session.scalars(
        select(ResultRollup).where(
            ResultRollup.resolution == "minute", ResultRollup.start == T0.replace(second=0)
        )
    ).one()
    assert (minute.checks, minute.failures, minute.maintenance) == (0, 0, 3)
    assert sum(minute.histogram) == 0  # maintenance checks are no latency sample
    flags = session.scalars(select(CheckResult.in_maintenance).order_by(CheckResult.at)).all()
    assert flags == [True] * 3 + [False] * 2 + [True] * 2


def test_rollups_merge_across_flushes_and_cut_at_utc_minutes_hours_and_days(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    slow = ProbeResult(ok=True, duration_ms=12_000.0, status_code=200)
    # 23:59:30, :40, :50 on day 1, then 00:00:00 and 00:00:10 on day 2.
    feed(session, monitor.id, [OK, BAD, OK], T0)
    feed(session, monitor.id, [BAD, slow], T0 + timedelta(seconds=30))
    # A second flush into the same minute merges with what is stored.
    feed(session, monitor.id, [OK], T0 + timedelta(seconds=25))
    rollups = {(r.resolution, r.start): r for r in session.scalars(select(ResultRollup))}
    day1, day2 = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC)
    assert set(rollups) == {
        ("minute", T0.replace(second=0)), ("minute", day2),
        ("hour", T0.replace(minute=0, second=0)), ("hour", day2),
        ("day", day1), ("day", day2),
    }  # fmt: skip
    for start in (T0.replace(second=0), T0.replace(minute=0, second=0), day1):
        last_minute = next(r for (_, s), r in rollups.items() if s == start)
        assert (last_minute.checks, last_minute.failures) == (4, 1)
        assert last_minute.duration_sum_ms == 40 + 900 + 40 + 40
        assert last_minute.duration_max_ms == 900
        assert last_minute.histogram == latency.histogram_of([40, 900, 40, 40])
    first = rollups[("day", day2)]
    assert (first.checks, first.failures, first.duration_max_ms) == (2, 1, 12_000)
    assert first.histogram[-1] == 1  # slower than the last bound


def test_results_of_a_deleted_monitor_are_dropped(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    writer = ResultWriter()
    writer.add(monitor.id, T0, BAD, False)
    actions.delete_monitor(session, monitor, actor="test")
    session.commit()
    assert writer.flush(session, T0) == []
    session.commit()
    assert session.scalar(select(func.count()).select_from(CheckResult)) == 0
    assert len(writer) == 0


def test_prune_keeps_each_resolution_its_time(db) -> None:  # type: ignore[no-untyped-def]
    session, monitor = db
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for age in (
        timedelta(days=500),
        timedelta(days=300),
        timedelta(days=10),
        timedelta(days=2),
        timedelta(hours=1),
    ):
        feed(session, monitor.id, [OK], now - age)
    deleted = prune(session, now, raw_retention_days=7)
    session.commit()
    assert deleted == {"raw": 3, "minute": 2, "hour": 1}
    left = session.execute(
        select(ResultRollup.resolution, func.count()).group_by(ResultRollup.resolution)
    ).all()
    assert dict(left) == {"minute": 3, "hour": 4, "day": 5}
    assert session.scalar(select(func.count()).select_from(CheckResult)) == 2


def test_a_batch_of_ten_thousand_monitors_is_written_and_merged(database_url: str) -> None:
    """One flush holding a result of each of 10,000 monitors (an engine that stalled for a
    minute): PostgreSQL refused the rollup lookup as one row IN list of that size. SQLite gets
    enough to span several lookups, not the time of all."""
    count = 10_000 if database_url.startswith("postgresql") else 3 * KEYS_PER_SELECT + 7
    with migrated_session(database_url) as session:
        service = add_service(session, "shop")
        spec = {"name": "m", "kind": "http", "service": "shop", "url": "https://shop.example/"}
        session.execute(
            insert(Monitor),
            [{"name": f"m{n:05d}", "kind": "http", "service_id": service.id, "spec": spec}
             for n in range(count)],
        )  # fmt: skip
        session.commit()
        ids = list(session.scalars(select(Monitor.id)))
        for flush in range(2):  # the second one merges into the rollups of the first
            writer = ResultWriter()
            for monitor_id in ids:
                writer.add(monitor_id, T0 + timedelta(seconds=flush), BAD, False)
            writer.flush(session, T0 + timedelta(seconds=flush))
            session.commit()
        assert session.scalar(select(func.count()).select_from(CheckResult)) == 2 * count
        assert set(session.scalars(select(MonitorState.consecutive_failures))) == {2}
        per_resolution = session.execute(
            select(ResultRollup.resolution, func.count(), func.min(ResultRollup.checks))
            .group_by(ResultRollup.resolution)
        ).all()  # fmt: skip
        assert sorted(per_resolution) == [("day", count, 2), ("hour", count, 2),
                                          ("minute", count, 2)]  # fmt: skip


def test_a_batch_put_back_goes_first_and_the_oldest_beyond_the_cap_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(results, "MAX_PENDING", 5)
    writer = ResultWriter()
    for n in range(4):
        writer.add(1, T0 + timedelta(seconds=n), OK, False)
    refused = writer.take()
    for n in range(4, 7):
        writer.add(1, T0 + timedelta(seconds=n), OK, False)
    writer.put_back(refused)
    assert [item.started_at for item in writer.take()] == [
        T0 + timedelta(seconds=n) for n in range(2, 7)
    ]
