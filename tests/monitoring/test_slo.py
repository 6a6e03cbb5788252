"""SLO status and burn-rate alerts from real results written by the ResultWriter (raw results
and rollups), on SQLite and PostgreSQL, with a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import MaintenanceWindow, Monitor, Slo, SloAlert
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import PendingResult, ResultWriter
from storeops.monitoring.slo import evaluate_slo_alerts, slo_status

from .statedb import add_service, migrated_session

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WINDOWS = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "3d": timedelta(days=3),
}
NO_MAINTENANCE = MaintenanceCalendar([])


@dataclass(frozen=True)
class Check:
    monitor_id: int
    at: datetime
    ok: bool
    ms: float = 120.0
    maintenance: bool = False


def write(session: Session, checks: list[Check]) -> None:
    batch = [
        PendingResult(
            c.monitor_id,
            c.at,
            ProbeResult(ok=c.ok, duration_ms=c.ms, error=None if c.ok else "HTTP 503"),
            c.maintenance,
        )
        for c in checks
    ]
    # In flush-sized batches, as the engine writes them.
    for i in range(0, len(batch), 500):
        ResultWriter().write(session, batch[i : i + 500], max(c.at for c in checks))
    session.commit()


def add_monitor(session: Session, name: str, service_id: int) -> int:
    monitor = Monitor(name=name, kind="http", service_id=service_id, spec={})
    session.add(monitor)
    session.flush()
    return monitor.id


def expected(
    checks: list[Check], ids: set[int], start: datetime, end: datetime, good
) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The oracle: good and total counted check by check."""
    events = [
        c for c in checks if c.monitor_id in ids and not c.maintenance and start <= c.at < end
    ]
    return sum(1 for c in events if good(c)), len(events)


def test_availability_status_counts_the_services_checks_outside_maintenance(
    database_url: str,
) -> None:
    with migrated_session(database_url) as session:
        shop = add_service(session, "checkout")
        other = add_service(session, "search")
        a, b = add_monitor(session, "cart", shop.id), add_monitor(session, "pay", shop.id)
        c = add_monitor(session, "search-api", other.id)
        checks: list[Check] = []
        # 31 days every 30 minutes, then the last six hours every minute, for both monitors.
        at = NOW - timedelta(days=31)
        while at < NOW:
            step = MINUTE if at >= NOW - timedelta(hours=6) else 30 * MINUTE
            minute = int((at - NOW).total_seconds() // 60)
            checks.append(Check(a, at, ok=minute % 7 != 0))  # a failure now and then
            checks.append(Check(b, at + timedelta(seconds=20), ok=not (-25 <= minute < -2)))
            checks.append(Check(c, at, ok=False))  # another service: never counted
            at += step
        # A maintenance night with everything failing: burns nothing.
        night = NOW - timedelta(days=4)
        checks += [Check(a, night + i * MINUTE, ok=False, maintenance=True) for i in range(90)]
        write(session, checks)
        slo = Slo(
            name="checkout-availability",
            service_id=shop.id,
            kind="availability",
            objective=0.995,
            window_days=30,
        )
        session.add(slo)
        session.commit()

        status = slo_status(session, slo, NOW)
        ids = {a, b}
        good, total = expected(checks, ids, NOW - timedelta(days=30), NOW, lambda k: k.ok)
        assert (status.good, status.total) == (good, total)
        assert total > 3000
        assert status.sli == pytest.approx(good / total)
        assert status.budget_remaining == pytest.approx(1 - (total - good) / (0.005 * total))
        for name, span in WINDOWS.items():
            g, t = expected(checks, ids, NOW - span, NOW, lambda k: k.ok)
            assert status.burn[name] == pytest.approx((1 - g / t) / 0.005), name
        # Worked by hand: the last 5 minutes hold 5 checks of each monitor, pay failed 3 of them
        # (minutes -5, -4, -3); cart failed none (-7 is just out): 3 bad of 10 -> 0.3 / 0.005 = 60.
        assert status.burn["5m"] == pytest.approx(60.0)
        assert list(status.burn) == ["5m", "30m", "1h", "6h", "3d"]
        assert status.public()["burn"]["5m"] == pytest.approx(60.0)


def test_latency_status_exact_from_raw_and_conservative_from_rollups(database_url: str) -> None:
    with migrated_session(database_url) as session:
        shop = add_service(session, "checkout")
        m = add_monitor(session, "home", shop.id)
        checks = []
        # Two days ago (rollups only): 6 fast, 2 at 900 ms (ok), 1 fast failure, 1 timeout.
        old = NOW - timedelta(days=2)
        for i, (ok, ms) in enumerate(
            [(True, 80.0)] * 6 + [(True, 900.0)] * 2 + [(False, 3.0), (False, 10_000.0)]
        ):
            checks.append(Check(m, old + i * MINUTE, ok=ok, ms=ms))
        # The last hour (raw): 8 fast, one at 790 ms, one at 900 ms, one failure at 12 ms.
        recent = NOW - timedelta(minutes=40)
        for i, (ok, ms) in enumerate(
            [(True, 100.0)] * 8 + [(True, 790.0), (True, 900.0), (False, 12.0)]
        ):
            checks.append(Check(m, recent + i * MINUTE, ok=ok, ms=ms))
        write(session, checks)
        slo = Slo(
            name="home-fast",
            service_id=shop.id,
            kind="latency",
            objective=0.9,
            window_days=28,
            latency_threshold_ms=800,
        )
        session.add(slo)
        session.commit()
        status = slo_status(session, slo, NOW)
        # Raw (exact): the hour has 11 checks, 9 good (the 790 ms one included): 2/11 bad.
        assert status.burn["1h"] == pytest.approx((2 / 11) / 0.1)
        # Rollups: 800 ms sits in the 750-1000 ms bucket, so 790 ms counts as slow there; the
        # failures are taken off the fast checks (the timeout counts twice):
        # recent: fast (<= 750) 9 - 1 failure = 8; old: fast 7 - 2 failures = 5. 13 good of 21.
        assert (status.good, status.total) == (13, 21)
        assert status.burn["3d"] == pytest.approx((8 / 21) / 0.1)
        assert status.budget_remaining == pytest.approx(1 - 8 / (0.1 * 21))


def test_a_service_without_checks_has_no_sli_and_never_alerts(database_url: str) -> None:
    with migrated_session(database_url) as session:
        shop = add_service(session, "checkout")
        add_service(session, "empty")
        slo = Slo(name="quiet", service_id=shop.id, kind="availability", objective=0.999)
        session.add(slo)
        session.commit()
        status = slo_status(session, slo, NOW)
        assert status.sli is None and status.budget_remaining is None
        assert status.burn == {name: None for name in WINDOWS}
        assert (status.good, status.total) == (0, 0)
        assert evaluate_slo_alerts(session, NOW, NO_MAINTENANCE) == []


def outage_setup(session: Session) -> tuple[int, int, list[Check]]:
    shop = add_service(session, "checkout")
    m = add_monitor(session, "checkout-page", shop.id)
    session.add(
        Slo(name="checkout-availability", service_id=shop.id, kind="availability", objective=0.999)
    )
    session.commit()
    # Three days of good checks: every five minutes, then every minute for the last six hours.
    start, recent = NOW - timedelta(days=3, minutes=10), NOW - timedelta(hours=6)
    history = [
        Check(m, start + i * 5 * MINUTE, ok=True) for i in range(int((recent - start) / MINUTE / 5))
    ]
    history += [Check(m, recent + i * MINUTE, ok=True) for i in range(6 * 60)]
    write(session, history)
    return shop.id, m, history


def evaluate(
    session: Session, at: datetime, calendar: MaintenanceCalendar = NO_MAINTENANCE
) -> list[tuple[str, str]]:
    changes = evaluate_slo_alerts(session, at, calendar)
    session.commit()
    return [(c.change, c.alert.severity) for c in changes]


def test_an_outage_pages_then_tickets_and_everything_resolves(database_url: str) -> None:
    with migrated_session(database_url) as session:
        _, m, _ = outage_setup(session)
        assert evaluate(session, NOW) == []
        # A full outage from NOW: every check fails for ten minutes.
        write(session, [Check(m, NOW + i * MINUTE, ok=False) for i in range(10)])
        # At NOW+2 (its own check not in yet): 2 of the last 60 checks failed: 2/60/0.001 = 33x
        # over the hour and 2/5/0.001 = 400x over five minutes.
        assert evaluate(session, NOW + 2 * MINUTE) == [("opened", "page")]
        assert evaluate(session, NOW + 2 * MINUTE) == []  # idempotent
        page = session.scalars(select(SloAlert)).one()
        assert page.opened_at == NOW + 2 * MINUTE
        assert page.burn_long == pytest.approx(2 / 60 / 0.001)
        assert page.burn_short == pytest.approx(2 / 5 / 0.001)
        # Back up from NOW+10.
        later = NOW + 10 * MINUTE
        write(session, [Check(m, later + i * MINUTE, ok=True) for i in range(6 * 60 + 20)])
        # NOW+16: the five minutes are clean but 6h (10/360) and 30m (10/30) still burn > 6x:
        # still paging. The 3-day window (10 of ~1,180 checks: 8x) and 6h would ticket, but the
        # page says more.
        assert evaluate(session, NOW + 16 * MINUTE) == []
        # NOW+41: the last 30 minutes are clean: the page resolves and the slow burn tickets.
        assert evaluate(session, NOW + 41 * MINUTE) == [("resolved", "page"), ("opened", "ticket")]
        assert evaluate(session, NOW + 45 * MINUTE) == []
        # Six hours after the outage the 6-hour window is clean: the ticket resolves.
        assert evaluate(session, NOW + 6 * 60 * MINUTE + 11 * MINUTE) == [("resolved", "ticket")]
        alerts = session.scalars(select(SloAlert).order_by(SloAlert.id)).all()
        assert [(a.severity, a.resolved_at is not None) for a in alerts] == [
            ("page", True),
            ("ticket", True),
        ]


def test_no_alert_opens_while_the_service_is_in_maintenance(database_url: str) -> None:
    with migrated_session(database_url) as session:
        service_id, m, _ = outage_setup(session)
        write(session, [Check(m, NOW + i * MINUTE, ok=False) for i in range(5)])
        window = MaintenanceWindow(
            id=1,
            name="deploy",
            service_id=service_id,
            starts_at=NOW + 4 * MINUTE,
            ends_at=NOW + 20 * MINUTE,
            timezone="UTC",
        )
        calendar = MaintenanceCalendar.of([window])
        slo = session.scalars(select(Slo)).one()
        # The failures before the window burn (5m: 1 bad of 1 = 1000x, 1h: 5/60 = 83x), but the
        # window has begun: no page.
        at = NOW + 5 * MINUTE
        status = slo_status(session, slo, at)
        assert status.burn["5m"] == pytest.approx(1000.0)
        assert status.burn["1h"] == pytest.approx(5 / 60 / 0.001)
        assert evaluate(session, at, calendar) == []
        # Failures flagged in maintenance burn nothing: the last five minutes have no data.
        write(
            session,
            [Check(m, NOW + (5 + i) * MINUTE, ok=False, maintenance=True) for i in range(15)],
        )
        assert evaluate(session, NOW + 19 * MINUTE, calendar) == []
        assert slo_status(session, slo, NOW + 20 * MINUTE).burn["5m"] is None
        # The window is over; the early failures still burn 30m (5/15) and 6h fast enough to page.
        assert evaluate(session, NOW + 20 * MINUTE, calendar) == [("opened", "page")]
