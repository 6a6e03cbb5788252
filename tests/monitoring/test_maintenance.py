"""Maintenance windows: one-off and recurring (cron in a time zone, across DST), per service or
for all, loaded from the state DB on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import MaintenanceWindow

from .statedb import add_service, migrated_session


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def nightly_paris(window_id: int = 1, service_id: int | None = 7) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=window_id,
        name="nightly-backup",
        service_id=service_id,
        cron="0 2 * * *",
        duration_minutes=60,
        timezone="Europe/Paris",
    )


def test_one_off_window_covers_its_service_from_start_to_end_exclusive() -> None:
    window = MaintenanceWindow(
        id=1,
        name="db-upgrade",
        service_id=7,
        starts_at=utc(2026, 11, 3, 22, 0),
        ends_at=utc(2026, 11, 3, 23, 30),
        timezone="UTC",
    )
    calendar = MaintenanceCalendar.of([window])
    assert not calendar.covers(7, utc(2026, 11, 3, 21, 59, 59))
    assert calendar.covers(7, utc(2026, 11, 3, 22, 0))
    assert calendar.covers(7, utc(2026, 11, 3, 23, 29, 59))
    assert not calendar.covers(7, utc(2026, 11, 3, 23, 30))
    assert not calendar.covers(8, utc(2026, 11, 3, 22, 30))  # another service
    assert not calendar.covers(None, utc(2026, 11, 3, 22, 30))


def test_a_window_without_service_covers_every_service() -> None:
    window = MaintenanceWindow(
        id=1,
        name="hosting",
        service_id=None,
        starts_at=utc(2026, 5, 1, 0, 0),
        ends_at=utc(2026, 5, 1, 1, 0),
        timezone="UTC",
    )
    calendar = MaintenanceCalendar.of([window])
    assert calendar.covers(1, utc(2026, 5, 1, 0, 30))
    assert calendar.covers(99, utc(2026, 5, 1, 0, 30))
    assert calendar.covers(None, utc(2026, 5, 1, 0, 30))
    assert not calendar.covers(1, utc(2026, 5, 1, 1, 0))


def test_nightly_window_stays_at_two_in_the_morning_paris_time_across_dst() -> None:
    calendar = MaintenanceCalendar.of([nightly_paris()])
    # Winter (UTC+1): 02:00-03:00 Paris is 01:00-02:00 UTC.
    assert calendar.covers(7, utc(2026, 1, 15, 1, 0))
    assert calendar.covers(7, utc(2026, 1, 15, 1, 59))
    assert not calendar.covers(7, utc(2026, 1, 15, 0, 59))
    assert not calendar.covers(7, utc(2026, 1, 15, 2, 0))
    # Summer (UTC+2): 00:00-01:00 UTC.
    assert calendar.covers(7, utc(2026, 7, 15, 0, 0))
    assert not calendar.covers(7, utc(2026, 7, 15, 1, 0))
    assert not calendar.covers(7, utc(2026, 7, 15, 1, 30))

    starts = [o.starts_at for o in calendar.occurrences(utc(2026, 3, 27, 12), utc(2026, 3, 31))]
    assert starts == [
        utc(2026, 3, 28, 1, 0),  # 02:00 CET
        # 29 March: clocks jump from 02:00 to 03:00; the window opens at the jump (03:00 CEST).
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 30, 0, 0),  # 02:00 CEST
    ]
    starts = [o.starts_at for o in calendar.occurrences(utc(2026, 10, 23, 12), utc(2026, 10, 27))]
    assert starts == [
        utc(2026, 10, 24, 0, 0),  # 02:00 CEST
        utc(2026, 10, 25, 0, 0),  # 25 October: 02:00 happens twice; the window opens once
        utc(2026, 10, 26, 1, 0),  # 02:00 CET
    ]
    assert all(
        o.ends_at - o.starts_at == timedelta(hours=1)
        for o in calendar.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    )


def test_a_window_that_began_before_the_question_still_covers() -> None:
    # Sundays 23:00 New York for 3 hours: still open on Monday 01:30 there.
    window = MaintenanceWindow(
        id=3,
        name="weekly-reindex",
        service_id=None,
        cron="0 23 * * 0",
        duration_minutes=180,
        timezone="America/New_York",
    )
    calendar = MaintenanceCalendar.of([window])
    monday_0130_new_york = utc(2026, 6, 8, 5, 30)  # EDT is UTC-4
    assert calendar.covers(4, monday_0130_new_york)
    assert [(o.starts_at, o.ends_at) for o in calendar.active(monday_0130_new_york)] == [
        (utc(2026, 6, 8, 3, 0), utc(2026, 6, 8, 6, 0))
    ]
    assert not calendar.covers(4, utc(2026, 6, 8, 6, 0))
    assert calendar.active(utc(2026, 6, 8, 6, 0)) == []


def test_a_cron_day_that_never_comes_covers_nothing_and_breaks_nothing() -> None:
    never = MaintenanceWindow(
        id=4, name="feb-30", service_id=None, cron="0 0 30 2 *", duration_minutes=60, timezone="UTC"
    )
    calendar = MaintenanceCalendar.of([never, nightly_paris()])
    assert not calendar.covers(1, utc(2026, 3, 2, 0, 30))
    assert calendar.covers(7, utc(2026, 3, 2, 1, 30))
    assert [o.name for o in calendar.upcoming(utc(2026, 3, 2), limit=1)] == ["nightly-backup"]


def test_upcoming_lists_the_next_occurrences_of_every_window_in_order() -> None:
    one_off = MaintenanceWindow(
        id=2,
        name="migration",
        service_id=9,
        starts_at=utc(2026, 2, 2, 0, 30),
        ends_at=utc(2026, 2, 2, 4, 0),
        timezone="UTC",
    )
    every_minute = MaintenanceWindow(
        id=3, name="noisy", service_id=5, cron="* * * * *", duration_minutes=1, timezone="UTC"
    )
    calendar = MaintenanceCalendar.of([nightly_paris(), one_off])
    upcoming = calendar.upcoming(utc(2026, 2, 1, 1, 30), limit=3)
    assert [(o.name, o.starts_at) for o in upcoming] == [
        ("migration", utc(2026, 2, 2, 0, 30)),
        ("nightly-backup", utc(2026, 2, 2, 1, 0)),
        ("nightly-backup", utc(2026, 2, 3, 1, 0)),
    ]
    assert calendar.upcoming(utc(2026, 2, 1, 1, 30), limit=1)[0].name == "migration"
    noisy = MaintenanceCalendar.of([every_minute]).upcoming(utc(2026, 2, 1, 1, 30, 10), limit=2)
    assert [o.starts_at for o in noisy] == [utc(2026, 2, 1, 1, 31), utc(2026, 2, 1, 1, 32)]


def test_cached_answers_match_the_occurrences_anywhere_in_a_year() -> None:
    windows = [
        nightly_paris(1, 7),
        MaintenanceWindow(
            id=2,
            name="sundays",
            service_id=None,
            cron="30 4 * * 0",
            duration_minutes=90,
            timezone="Asia/Tokyo",
        ),
        MaintenanceWindow(
            id=3,
            name="once",
            service_id=8,
            starts_at=utc(2026, 8, 1),
            ends_at=utc(2026, 8, 3),
            timezone="UTC",
        ),
    ]
    calendar = MaintenanceCalendar.of(windows)
    rng = random.Random(5)
    times = sorted(utc(2026, 1, 1) + timedelta(minutes=rng.randrange(525_600)) for _ in range(800))
    times += [t - timedelta(minutes=rng.randrange(200)) for t in times[::7]]  # some late results
    hits = 0
    for at in times:
        for service in (7, 8, 9):
            expected = any(
                o.starts_at <= at < o.ends_at and o.service_id in (None, service)
                for o in calendar.occurrences(at - timedelta(days=2), at + timedelta(seconds=1))
            )
            assert calendar.covers(service, at) == expected, (service, at)
            hits += expected
    assert hits > 20  # the sample did land inside windows


def test_covers_answers_every_result_of_a_stream_across_nights() -> None:
    # How fast covers() answers is measured by bench, not here.
    calendar = MaintenanceCalendar.of([nightly_paris(1, None), nightly_paris(2, 3)])
    start = utc(2026, 4, 1)
    paris = ZoneInfo("Europe/Paris")
    nights = set()
    for i in range(50_000):  # 50,000 results over 42 hours, two nights
        at = start + timedelta(seconds=i * 3)
        hit = calendar.covers(i % 40, at)
        assert hit == (at.astimezone(paris).hour == 2), at
        if hit:
            nights.add(at.date())
    assert len(nights) == 2  # the stream did cross both nights


def test_calendar_loads_windows_from_the_state_db(database_url: str) -> None:
    with migrated_session(database_url) as session:
        shop = add_service(session, "checkout")
        session.add_all(
            [
                MaintenanceWindow(
                    name="nightly",
                    service_id=shop.id,
                    cron="0 2 * * *",
                    duration_minutes=30,
                    timezone="Europe/Paris",
                ),
                MaintenanceWindow(
                    name="provider",
                    service_id=None,
                    starts_at=datetime(2026, 9, 1, 12, tzinfo=UTC),
                    ends_at=datetime(2026, 9, 1, 13, tzinfo=UTC),
                ),
            ]
        )
        session.commit()
        calendar = MaintenanceCalendar.load(session)
        assert calendar.covers(shop.id, utc(2026, 9, 1, 0, 15))  # 02:15 CEST
        assert not calendar.covers(shop.id + 1, utc(2026, 9, 1, 0, 15))
        assert calendar.covers(shop.id + 1, utc(2026, 9, 1, 12, 59))
        assert [o.name for o in calendar.active(utc(2026, 9, 1, 12, 0))] == ["provider"]
    assert not MaintenanceCalendar([]).covers(1, utc(2026, 9, 1, 12, 0))
