"""Creating, changing and deleting monitors, SLOs, maintenance windows and alert channels.

Every change is audited (storeops.db.audit.record_change) with secrets left out: a channel's
Apprise URL is recorded as its scheme only, and a monitor's credentials (URL passwords, secret
headers, query values and body fields: monitoring.redaction) as "***". Services are itsm's:
callers resolve a service name to its id. The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db.audit import Row, create_audited, delete_audited, update_audited
from storeops.db.models import utcnow
from storeops.monitoring.models import MaintenanceWindow, Monitor, NotificationChannel, Slo
from storeops.monitoring.redaction import channel_url_for_display, redact_spec
from storeops.monitoring.spec import ChannelSpec, MaintenanceSpec, MonitorSpec, SloSpec

ORIGINS = ("config", "api")


def monitor_public(monitor: Monitor) -> dict[str, Any]:
    """What the audit log keeps of a monitor: its spec with credentials hidden."""
    return {"id": monitor.id, "service_id": monitor.service_id, "origin": monitor.origin} | (
        redact_spec(monitor.spec)
    )


def slo_public(slo: Slo) -> dict[str, Any]:
    return {
        "id": slo.id,
        "name": slo.name,
        "service_id": slo.service_id,
        "kind": slo.kind,
        "objective": slo.objective,
        "window_days": slo.window_days,
        "latency_threshold_ms": slo.latency_threshold_ms,
        "origin": slo.origin,
    }


def maintenance_public(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": window.id,
        "name": window.name,
        "service_id": window.service_id,
        "starts_at": window.starts_at.isoformat() if window.starts_at else None,
        "ends_at": window.ends_at.isoformat() if window.ends_at else None,
        "cron": window.cron,
        "duration_minutes": window.duration_minutes,
        "timezone": window.timezone,
        "origin": window.origin,
    }


def channel_public(channel: NotificationChannel) -> dict[str, Any]:
    """A channel as the audit log and the API show it: never its URL."""
    return {
        "id": channel.id,
        "name": channel.name,
        "url": channel_url_for_display(channel.url),
        "failure_threshold": channel.failure_threshold,
        "success_threshold": channel.success_threshold,
        "remind_every_minutes": channel.remind_every_minutes,
        "send_resolved": channel.send_resolved,
        "enabled": channel.enabled,
        "origin": channel.origin,
    }


def _check_origin(origin: str) -> None:
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")


def _check_name_free(
    session: Session, model: type[Row], what: str, name: str, keep: Row | None = None
) -> None:
    existing = session.scalars(select(model).where(model.name == name)).one_or_none()  # type: ignore[attr-defined]
    if existing is not None and existing is not keep:
        raise UserError(f"a {what} named {name!r} exists already")


def _create(
    session: Session,
    row: Row,
    *,
    what: str,
    kind: str,
    public: Callable[[Row], dict[str, Any]],
    origin: str,
    actor: str,
) -> Row:
    """The checks every new row passes (a known origin, a free name), then the audited add."""
    _check_origin(origin)
    _check_name_free(session, type(row), what, row.name)  # type: ignore[attr-defined]
    return create_audited(session, row, kind=kind, public=public, actor=actor)


def _update(
    session: Session,
    row: Row,
    values: dict[str, Any],
    *,
    what: str,
    kind: str,
    public: Callable[[Row], dict[str, Any]],
    actor: str,
    note: dict[str, Any] | None = None,
) -> bool:
    _check_name_free(session, type(row), what, values["name"], keep=row)
    return update_audited(session, row, values, kind=kind, public=public, actor=actor, note=note)


# -- monitors -----------------------------------------------------------------------------------


def _monitor_values(spec: MonitorSpec, service_id: int) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": str(spec.kind),
        "service_id": service_id,
        "spec": spec.model_dump(mode="json"),
        **spec.schedule_fields(),
    }


def create_monitor(
    session: Session, spec: MonitorSpec, *, service_id: int, origin: str, actor: str
) -> Monitor:
    now = utcnow()
    monitor = Monitor(
        origin=origin, created_at=now, updated_at=now, **_monitor_values(spec, service_id)
    )
    return _create(
        session,
        monitor,
        what="monitor",
        kind="monitor",
        public=monitor_public,
        origin=origin,
        actor=actor,
    )


def update_monitor(
    session: Session, monitor: Monitor, spec: MonitorSpec, *, service_id: int, actor: str
) -> bool:
    """Applies a new spec; whether anything changed (an unchanged monitor is not touched, so the
    running engine does not reload it)."""
    values = _monitor_values(spec, service_id)
    if not _update(
        session, monitor, values, what="monitor", kind="monitor", public=monitor_public, actor=actor
    ):
        return False
    monitor.updated_at = utcnow()
    return True


def delete_monitor(session: Session, monitor: Monitor, *, actor: str) -> None:
    """Deletes a monitor with its results and state (the database cascades)."""
    delete_audited(session, monitor, kind="monitor", public=monitor_public, actor=actor)


# -- SLOs ---------------------------------------------------------------------------------------


def _slo_values(spec: SloSpec, service_id: int) -> dict[str, Any]:
    return {
        "name": spec.name,
        "service_id": service_id,
        "kind": spec.kind,
        "objective": spec.objective,
        "window_days": spec.window_days,
        "latency_threshold_ms": spec.latency_threshold_ms,
    }


def create_slo(session: Session, spec: SloSpec, *, service_id: int, origin: str, actor: str) -> Slo:
    slo = Slo(origin=origin, **_slo_values(spec, service_id))
    return _create(
        session, slo, what="SLO", kind="slo", public=slo_public, origin=origin, actor=actor
    )


def update_slo(session: Session, slo: Slo, spec: SloSpec, *, service_id: int, actor: str) -> bool:
    values = _slo_values(spec, service_id)
    return _update(session, slo, values, what="SLO", kind="slo", public=slo_public, actor=actor)


def delete_slo(session: Session, slo: Slo, *, actor: str) -> None:
    delete_audited(session, slo, kind="slo", public=slo_public, actor=actor)


# -- maintenance windows ------------------------------------------------------------------------


def _maintenance_values(spec: MaintenanceSpec, service_id: int | None) -> dict[str, Any]:
    return {
        "name": spec.name,
        "service_id": service_id,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "cron": spec.cron,
        "duration_minutes": spec.duration_minutes,
        "timezone": spec.timezone,
    }


def create_maintenance_window(
    session: Session, spec: MaintenanceSpec, *, service_id: int | None, origin: str, actor: str
) -> MaintenanceWindow:
    """A maintenance window for one service, or for every service when service_id is None."""
    window = MaintenanceWindow(origin=origin, **_maintenance_values(spec, service_id))
    return _create(
        session,
        window,
        what="maintenance window",
        kind="maintenance",
        public=maintenance_public,
        origin=origin,
        actor=actor,
    )


def update_maintenance_window(
    session: Session,
    window: MaintenanceWindow,
    spec: MaintenanceSpec,
    *,
    service_id: int | None,
    actor: str,
) -> bool:
    values = _maintenance_values(spec, service_id)
    return _update(
        session,
        window,
        values,
        what="maintenance window",
        kind="maintenance",
        public=maintenance_public,
        actor=actor,
    )


def delete_maintenance_window(session: Session, window: MaintenanceWindow, *, actor: str) -> None:
    delete_audited(session, window, kind="maintenance", public=maintenance_public, actor=actor)


# -- notification channels ----------------------------------------------------------------------


def create_channel(
    session: Session, spec: ChannelSpec, *, origin: str, actor: str
) -> NotificationChannel:
    channel = NotificationChannel(origin=origin, **spec.model_dump())
    return _create(
        session,
        channel,
        what="channel",
        kind="channel",
        public=channel_public,
        origin=origin,
        actor=actor,
    )


def update_channel(
    session: Session, channel: NotificationChannel, spec: ChannelSpec, *, actor: str
) -> bool:
    # A new URL leaves only this flag in the log: the URL itself is the secret.
    note = {"url_changed": True} if channel.url != spec.url else None
    return _update(
        session,
        channel,
        spec.model_dump(),
        what="channel",
        kind="channel",
        public=channel_public,
        actor=actor,
        note=note,
    )


def delete_channel(session: Session, channel: NotificationChannel, *, actor: str) -> None:
    delete_audited(session, channel, kind="channel", public=channel_public, actor=actor)
