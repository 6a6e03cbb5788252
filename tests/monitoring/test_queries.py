"""Uptime and latency over any window, read from rollups and raw results, equal to working them
out from every raw result; the monitors page with 10,000 monitors; status bars; on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select

from storeops.monitoring import actions, latency, queries
from storeops.monitoring.models import CheckResult, Monitor, MonitorState, ResultRollup
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import ResultWriter, prune
from storeops.monitoring.spec import MonitorSpec
from tests.monitoring.statedb import add_service

NOW = datetime(2025, 3, 4, 10, 23, 17, tzinfo=UTC)


def spec(name: str, **fields) -> MonitorSpec:  # type: ignore[no-untyped-def]
    return MonitorSpec(
        name=name, kind="http", service="shop", url="https://shop.example/", **fields
    )


def test_window_pieces_cover_the_window_exactly_once() -> None:
    start = datetime(2025, 3, 1, 22, 58, 30, tzinfo=UTC)
    end = datetime(2025, 3, 4, 1, 2, 15, tzinfo=UTC)
    assert queries.window_pieces(start, end) == [
        ("day", datetime(2025, 3, 2, tzinfo=UTC), datetime(2025, 3, 4, tzinfo=UTC)),
        ("hour", datetime(2025, 3, 1, 23, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC)),
        ("minute", datetime(2025, 3, 1, 22, 59, tzinfo=UTC), datetime(2025, 3, 1, 23, tzinfo=UTC)),
        ("raw", start, datetime(2025, 3, 1, 22, 59, tzinfo=UTC)),
        ("hour", datetime(2025, 3, 4, tzinfo=UTC), datetime(2025, 3, 4, 1, tzinfo=UTC)),
        ("minute", datetime(2025, 3, 4, 1, tzinfo=UTC), datetime(2025, 3, 4, 1, 2, tzinfo=UTC)),
        ("raw", datetime(2025, 3, 4, 1, 2, tzinfo=UTC), end),
    ]
    short = queries.window_pieces(NOW - timedelta(seconds=40), NOW)
    assert short == [("raw", NOW - timedelta(seconds=40), NOW)]
    rnd = random.Random(5)
    for _ in range(200):
        lo = NOW - timedelta(seconds=rnd.randrange(0, 10 * 86400))
        hi = lo + timedelta(seconds=rnd.randrange(1, 5 * 86400))
        pieces = sorted(queries.window_pieces(lo, hi), key=lambda p: p[1])
        assert pieces[0][1] == lo and pieces[-1][2] == hi
        assert all(a[2] == b[1] for a, b in zip(pieces, pieces[1:], strict=False))


def seed_results(session) -> tuple[list[int], list[tuple[int, datetime, bool, float, bool]]]:  # type: ignore[no-untyped-def]
    """Two monitors checked every 7 min 13 s for three days, one of them in a maintenance hour."""
    shop = add_service(session, "shop")
    ids = [
        actions.create_monitor(session, spec(name), service_id=shop.id, origin="api", actor="t").id
        for name in ("home", "cart")
    ]
    rnd = random.Random(42)
    rows = []
    writer = ResultWriter()
    at = NOW - timedelta(days=3)
    while at < NOW:
        for monitor_id in ids:
            ok = rnd.random() > 0.15
            duration = rnd.choice([3.0, 42.0, 77.0, 180.0, 640.0, 2500.0, 15000.0]) * rnd.uniform(
                0.8, 1.2
            )
            maintenance = (
                datetime(2025, 3, 2, 3, tzinfo=UTC) <= at < datetime(2025, 3, 2, 4, tzinfo=UTC)
            )
            writer.add(monitor_id, at, ProbeResult(ok=ok, duration_ms=duration), maintenance)
            rows.append((monitor_id, at, ok, duration, maintenance))
        at += timedelta(minutes=7, seconds=13)
    writer.flush(session, NOW)
    session.commit()
    return ids, rows


def brute(rows, ids, start, end):  # type: ignore[no-untyped-def]
    inside = [r for r in rows if r[0] in ids and start <= r[1] < end]
    counted = [r for r in inside if not r[4]]
    checks = len(counted)
    failures = sum(1 for r in counted if not r[2])
    histogram = latency.histogram_of(r[3] for r in counted)
    return (
        checks,
        failures,
        sum(1 for r in inside if r[4]),
        histogram,
        max((r[3] for r in counted), default=0.0),
    )


def test_uptime_and_latency_over_any_window_equal_the_raw_results(session) -> None:  # type: ignore[no-untyped-def]
    ids, rows = seed_results(session)
    rnd = random.Random(7)
    windows = [
        (NOW - timedelta(days=3), NOW),
        (NOW - timedelta(hours=24), NOW),
        (NOW - timedelta(minutes=5), NOW),
    ]
    for _ in range(25):
        lo = NOW - timedelta(seconds=rnd.randrange(60, 3 * 86400))
        windows.append((lo, min(NOW, lo + timedelta(seconds=rnd.randrange(30, 2 * 86400)))))
    for start, end in windows:
        for chosen in ([ids[0]], ids):
            checks, failures, maintenance, histogram, max_ms = brute(rows, chosen, start, end)
            total = queries.total_stats(session, chosen, start, end, with_latency=True)
            assert (total.checks, total.failures, total.maintenance) == (
                checks,
                failures,
                maintenance,
            )
            assert total.histogram == histogram and total.max_ms == pytest.approx(max_ms)
            expected = None if checks == 0 else (checks - failures) / checks
            assert queries.uptime(session, chosen, start, end) == expected
            wanted = {q: latency.percentile(histogram, q, max_ms=max_ms) for q in (50, 95, 99)}
            got = queries.latency_percentiles(session, chosen, start, end)
            assert got == pytest.approx(wanted) if checks else got == {50: None, 95: None, 99: None}
    per = queries.uptime_by_monitor(session, [*ids, 999], NOW - timedelta(days=1), NOW)
    assert per[999] is None and per[ids[0]] is not None


def test_old_windows_are_answered_from_rollups_after_raw_results_are_pruned(session) -> None:  # type: ignore[no-untyped-def]
    ids, rows = seed_results(session)
    # Whole hours: nothing of them needs raw results.
    start, end = datetime(2025, 3, 1, 11, tzinfo=UTC), datetime(2025, 3, 3, 9, tzinfo=UTC)
    before = queries.total_stats(session, ids, start, end, with_latency=True)
    prune(session, NOW, raw_retention_days=1)
    session.commit()
    assert session.scalars(
        select(CheckResult.at).order_by(CheckResult.at)
    ).first() >= NOW - timedelta(days=1)
    after = queries.total_stats(session, ids, start, end, with_latency=True)
    assert after == before
    assert (after.checks, after.failures) == brute(rows, ids, start, end)[:2]


def test_daily_uptime_bars_and_recent_results(session) -> None:  # type: ignore[no-untyped-def]
    ids, rows = seed_results(session)
    bars = queries.daily_uptime(session, ids, now=NOW, days=5)
    assert [day for day, _ in bars] == [
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 3, 2),
        date(2025, 3, 3),
        date(2025, 3, 4),
    ]
    assert bars[0][1] is None
    for day, value in bars[1:]:
        start = datetime.combine(day, datetime.min.time(), UTC)
        checks, failures = brute(rows, ids, start, start + timedelta(days=1))[:2]
        assert value == (checks - failures) / checks
    tokyo = queries.daily_uptime(session, ids, now=NOW, days=4, timezone="Asia/Tokyo")
    assert [day for day, _ in tokyo][-1] == date(2025, 3, 4)  # 19:23 in Tokyo
    zone = ZoneInfo("Asia/Tokyo")
    for day, value in tokyo:
        start = datetime.combine(day, datetime.min.time(), zone)
        checks, failures = brute(rows, ids, start, start + timedelta(days=1))[:2]
        assert value == ((checks - failures) / checks if checks else None)

    mine = sorted((r for r in rows if r[0] == ids[1]), key=lambda r: r[1], reverse=True)
    first = queries.recent_results(session, ids[1], limit=3)
    assert [r.at for r in first] == [r[1] for r in mine[:3]]
    following = queries.recent_results(session, ids[1], limit=2, before=first[-1].at)
    assert [r.at for r in following] == [r[1] for r in mine[3:5]]


def test_monitor_rows_filter_search_page_and_status(session) -> None:  # type: ignore[no-untyped-def]
    shop, search = add_service(session, "shop"), add_service(session, "search")
    made = {}
    for name, service in (
        ("home", shop),
        ("cart", shop),
        ("find", search),
        ("api_v2", search),
        ("apix", shop),
        ("off", shop),
    ):
        made[name] = actions.create_monitor(
            session,
            spec(name, enabled=name != "off"),
            service_id=service.id,
            origin="api",
            actor="t",
        )
    writer = ResultWriter()
    ok, bad = (
        ProbeResult(ok=True, duration_ms=10),
        ProbeResult(ok=False, duration_ms=10, error="boom"),
    )
    plan = {"home": [ok, ok], "cart": [bad, bad, bad], "find": [ok, bad], "api_v2": [bad, bad, ok]}
    for name, outcomes in plan.items():
        for n, result in enumerate(outcomes):
            writer.add(made[name].id, NOW - timedelta(minutes=3 - n), result, False)
    writer.flush(session, NOW)
    session.commit()

    page = queries.monitor_rows(session, limit=None, now=NOW)
    assert page.total == 6
    assert {r.name: r.status for r in page.rows} == {
        "api_v2": "down", "apix": "pending", "cart": "down", "find": "degraded", "home": "up", "off": "paused",
    }  # fmt: skip
    assert [r.name for r in page.rows] == sorted(made)
    rows = {r.name: r for r in page.rows}
    assert rows["home"].uptime_24h == 1.0 and rows["find"].uptime_24h == 0.5
    assert rows["apix"].uptime_24h is None and rows["cart"].last_error == "boom"
    assert rows["api_v2"].public()["consecutive_failures"] == 2  # still failing: one success so far

    two = queries.monitor_rows(session, limit=2, offset=2, now=NOW)
    assert (two.total, [r.name for r in two.rows]) == (6, ["cart", "find"])
    assert [r.name for r in queries.monitor_rows(session, search="API_", now=NOW).rows] == [
        "api_v2"
    ]
    assert [
        r.name for r in queries.monitor_rows(session, search="a", service_id=shop.id, now=NOW).rows
    ] == ["apix", "cart"]
    down = queries.monitor_rows(session, status="down", service_ids=[search.id], now=NOW)
    assert (down.total, [r.name for r in down.rows]) == (1, ["api_v2"])
    with pytest.raises(ValueError, match="unknown status"):
        queries.monitor_rows(session, status="sideways")


def test_monitors_page_with_10000_monitors_is_a_few_queries(session) -> None:  # type: ignore[no-untyped-def]
    shop = add_service(session, "shop")
    body = spec("m").model_dump(mode="json")
    session.execute(
        insert(Monitor),
        [{"name": f"m{n:05d}", "kind": "http", "service_id": shop.id, "spec": body | {"name": f"m{n:05d}"},
          "origin": "api"} for n in range(10_000)],
    )  # fmt: skip
    ids = session.scalars(select(Monitor.id)).all()
    session.execute(
        insert(MonitorState),
        [{"monitor_id": i, "consecutive_failures": i % 3, "consecutive_successes": 0,
          "last_ok": i % 3 == 0, "last_checked_at": NOW} for i in ids],
    )  # fmt: skip
    hour = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    session.execute(
        insert(ResultRollup),
        [{"monitor_id": i, "resolution": res, "start": start, "checks": 60, "failures": i % 3,
          "maintenance": 0, "duration_sum_ms": 600.0, "duration_max_ms": 20.0,
          "histogram": latency.histogram_of([10.0] * 60)}
         for i in ids for res, start in (("hour", hour), ("minute", NOW.replace(second=0) - timedelta(minutes=1)))],
    )  # fmt: skip
    session.commit()

    statements: list[str] = []
    bind = session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        # The time this takes is bench/probes.py's to measure; here, that it stays a few queries.
        for offset, search, status in ((0, None, None), (5000, None, None), (0, "m09", "down")):
            statements.clear()
            page = queries.monitor_rows(
                session, limit=50, offset=offset, search=search, status=status, now=NOW
            )
            assert len(statements) <= 4, statements  # count, page, uptime from rollups and raw
            assert len(page.rows) == 50
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert page.total == len(
        [n for n in range(10_000) if f"m{n:05d}".startswith("m09") and (ids[n] % 3) >= 2]
    )
    assert all(r.uptime_24h == (120 - 2 * (r.id % 3)) / 120 for r in page.rows)
