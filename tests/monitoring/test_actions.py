"""Monitors, SLOs, maintenance windows and channels created, changed and deleted with an audit
trail that never holds a secret, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storeops.core.errors import UserError
from storeops.db.models import AuditEntry
from storeops.monitoring import actions
from storeops.monitoring.models import MaintenanceWindow, Monitor, NotificationChannel, Slo
from storeops.monitoring.spec import ChannelSpec, MaintenanceSpec, MonitorSpec, SloSpec
from tests.monitoring.statedb import add_service

ACTOR = "cli:test"
SECRET = "s3cr3t-T0ken"


def audit(session) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_monitor_lifecycle_is_audited_without_credentials(session) -> None:  # type: ignore[no-untyped-def]
    shop, search = add_service(session, "shop"), add_service(session, "search", 0.3)
    spec = MonitorSpec(
        name="home",
        kind="http",
        service="shop",
        url=f"https://ops:{SECRET}@shop.example/?q=1&token={SECRET}",
        headers={"Authorization": f"Bearer {SECRET}", "Accept": "text/html"},
        interval_seconds=30,
        failure_threshold=3,
    )
    monitor = actions.create_monitor(session, spec, service_id=shop.id, origin="api", actor=ACTOR)
    session.commit()
    stored = session.get(Monitor, monitor.id)
    assert (stored.name, stored.kind, stored.service_id, stored.origin) == (
        "home",
        "http",
        shop.id,
        "api",
    )
    assert (stored.interval_seconds, stored.failure_threshold, stored.success_threshold) == (
        30,
        3,
        2,
    )
    assert MonitorSpec.model_validate(stored.spec) == spec  # the spec round-trips for the probe

    first_update = stored.updated_at
    assert not actions.update_monitor(session, stored, spec, service_id=shop.id, actor=ACTOR)
    assert stored.updated_at == first_update  # nothing changed: the engine need not reload
    moved = spec.model_copy(update={"interval_seconds": 10, "service": "search"})
    assert actions.update_monitor(session, stored, moved, service_id=search.id, actor=ACTOR)
    session.commit()
    assert (stored.interval_seconds, stored.service_id) == (10, search.id)
    assert stored.updated_at > first_update

    with pytest.raises(UserError, match="a monitor named 'home' exists already"):
        actions.create_monitor(session, spec, service_id=shop.id, origin="api", actor=ACTOR)
    actions.delete_monitor(session, stored, actor=ACTOR)
    session.commit()
    assert session.scalars(select(Monitor)).all() == []

    entries = audit(session)
    assert [(e.action, e.target) for e in entries] == [
        ("monitor.create", "monitor:home"),
        ("monitor.update", "monitor:home"),
        ("monitor.delete", "monitor:home"),
    ]
    logged = json.dumps([[e.before, e.after] for e in entries])
    assert SECRET not in logged
    created = entries[0].after
    assert created["url"] == "https://ops:***@shop.example/?q=1&token=***"
    assert created["headers"] == {"Authorization": "***", "Accept": "text/html"}
    assert (entries[1].before["interval_seconds"], entries[1].after["interval_seconds"]) == (30, 10)


def test_journey_step_credentials_stay_out_of_the_audit(session) -> None:  # type: ignore[no-untyped-def]
    shop = add_service(session, "shop")
    spec = MonitorSpec(
        name="checkout",
        kind="journey",
        service="shop",
        steps=[
            {"name": "login", "url": f"https://shop.example/login?password={SECRET}",
             "headers": {"X-Api-Key": SECRET}},
        ],
    )  # fmt: skip
    actions.create_monitor(session, spec, service_id=shop.id, origin="config", actor=ACTOR)
    session.commit()
    [entry] = audit(session)
    assert SECRET not in json.dumps(entry.after)
    assert entry.after["steps"][0]["headers"] == {"X-Api-Key": "***"}


def test_request_body_secrets_stay_out_of_the_audit(session) -> None:  # type: ignore[no-untyped-def]
    shop = add_service(session, "shop")
    spec = MonitorSpec(
        name="checkout",
        kind="journey",
        service="shop",
        steps=[
            {"name": "login", "url": "https://shop.example/login", "method": "POST",
             "body": f"email=a@b.c&password={SECRET}"},
        ],
    )  # fmt: skip
    monitor = actions.create_monitor(session, spec, service_id=shop.id, origin="api", actor=ACTOR)
    token = MonitorSpec(
        name="token",
        kind="http",
        service="shop",
        url="https://shop.example/oauth",
        method="POST",
        body=json.dumps({"client_id": "shop", "client_secret": SECRET}),
    )
    oauth = actions.create_monitor(session, token, service_id=shop.id, origin="api", actor=ACTOR)
    session.commit()
    renamed = spec.model_copy(update={"interval_seconds": 30})
    assert actions.update_monitor(session, monitor, renamed, service_id=shop.id, actor=ACTOR)
    actions.delete_monitor(session, oauth, actor=ACTOR)
    session.commit()
    stored = session.get(Monitor, monitor.id)
    assert stored.spec["steps"][0]["body"] == f"email=a@b.c&password={SECRET}"  # the probe's

    entries = audit(session)
    assert [e.action for e in entries] == [
        "monitor.create",
        "monitor.create",
        "monitor.update",
        "monitor.delete",
    ]
    assert SECRET not in json.dumps([[e.before, e.after] for e in entries])
    assert entries[2].after["steps"][0]["body"] == "email=a@b.c&password=***"
    assert json.loads(entries[3].before["body"]) == {"client_id": "shop", "client_secret": "***"}


def test_slo_maintenance_and_channel_lifecycles(session) -> None:  # type: ignore[no-untyped-def]
    shop = add_service(session, "shop")
    slo = actions.create_slo(
        session,
        SloSpec(name="shop-availability", service="shop", objective=0.999),
        service_id=shop.id,
        origin="api",
        actor=ACTOR,
    )
    assert actions.update_slo(
        session,
        slo,
        SloSpec(name="shop-availability", service="shop", objective=0.995, window_days=28),
        service_id=shop.id,
        actor=ACTOR,
    )
    window = actions.create_maintenance_window(
        session,
        MaintenanceSpec(
            name="nightly", cron="0 2 * * *", duration_minutes=30, timezone="Europe/Paris"
        ),
        service_id=None,
        origin="api",
        actor=ACTOR,
    )
    one_off = MaintenanceSpec(
        name="nightly",
        service="shop",
        starts_at=datetime(2025, 11, 27, 2, tzinfo=UTC),
        ends_at=datetime(2025, 11, 27, 4, tzinfo=UTC),
    )
    assert actions.update_maintenance_window(
        session, window, one_off, service_id=shop.id, actor=ACTOR
    )
    url = f"slack://{SECRET}/B0/C0"
    channel = actions.create_channel(
        session, ChannelSpec(name="ops", url=url), origin="api", actor=ACTOR
    )
    with pytest.raises(UserError, match="a channel named 'ops' exists already"):
        actions.create_channel(session, ChannelSpec(name="ops", url=url), origin="api", actor=ACTOR)
    new_url = f"mailto://ops:{SECRET}2@mail.example"
    assert actions.update_channel(
        session, channel, ChannelSpec(name="ops", url=new_url, failure_threshold=1), actor=ACTOR
    )
    session.commit()
    assert session.get(Slo, slo.id).objective == 0.995
    stored = session.get(MaintenanceWindow, window.id)
    assert (stored.service_id, stored.cron, stored.starts_at) == (
        shop.id, None, datetime(2025, 11, 27, 2, tzinfo=UTC),
    )  # fmt: skip
    assert session.get(NotificationChannel, channel.id).url == new_url  # the sender needs it

    actions.delete_slo(session, slo, actor=ACTOR)
    actions.delete_maintenance_window(session, stored, actor=ACTOR)
    actions.delete_channel(session, channel, actor=ACTOR)
    session.commit()
    entries = audit(session)
    assert [e.action for e in entries] == [
        "slo.create", "slo.update", "maintenance.create", "maintenance.update",
        "channel.create", "channel.update", "slo.delete", "maintenance.delete", "channel.delete",
    ]  # fmt: skip
    assert SECRET not in json.dumps([[e.before, e.after] for e in entries])
    channel_update = entries[5]
    assert channel_update.before["url"] == "slack://***"
    assert channel_update.after["url"] == "mailto://***"
    assert channel_update.after["url_changed"] is True
    assert entries[3].after["starts_at"] == "2025-11-27T02:00:00+00:00"


def test_unknown_origin_is_a_bug_not_a_row(session) -> None:  # type: ignore[no-untyped-def]
    shop = add_service(session, "shop")
    spec = MonitorSpec(name="home", kind="http", service="shop", url="https://shop.example/")
    with pytest.raises(ValueError, match="origin"):
        actions.create_monitor(session, spec, service_id=shop.id, origin="yaml", actor=ACTOR)
