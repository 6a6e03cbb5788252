"""Creating, changing and deleting monitors, SLOs, maintenance windows and alert channels.

Every change is audited (storeops.db.audit.record_change) with secrets left out: a channel's
Apprise URL is recorded as its scheme only, and a monitor's credentials (URL passwords, secret
headers and query values) as "***". Services are itsm's: callers resolve a service name to its
id. The caller commits.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.db.audit import record_change
from storeops.db.models import Base, utcnow
from storeops.monitoring.models import MaintenanceWindow, Monitor, NotificationChannel, Slo
from storeops.monitoring.spec import ChannelSpec, MaintenanceSpec, MonitorSpec, SloSpec

ORIGINS = ("config", "api")
HIDDEN = "***"
_SECRET_NAME = re.compile(r"auth|cookie|token|secret|password|passwd|key|signature|sig$", re.I)

Row = TypeVar("Row", bound=Base)


def redact_url(url: str) -> str:
    """A URL without its password and secret-looking query values, for the audit log."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}:{HIDDEN}@{host}" if ":" in user else netloc
    query = urlencode(
        [
            (name, HIDDEN if _SECRET_NAME.search(name) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def channel_url_for_display(url: str) -> str:
    """Only the scheme of an Apprise URL: its host and path often are the tokens themselves."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"{scheme}://{HIDDEN}" if scheme else HIDDEN


def _redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: HIDDEN if _SECRET_NAME.search(name) else value for name, value in headers.items()}


def monitor_public(monitor: Monitor) -> dict[str, Any]:
    """What the audit log keeps of a monitor: its spec with credentials hidden."""
    spec = dict(monitor.spec)
    if spec.get("url"):
        spec["url"] = redact_url(spec["url"])
    spec["headers"] = _redacted_headers(spec.get("headers") or {})
    spec["steps"] = [
        {**step, "url": redact_url(step["url"]), "headers": _redacted_headers(step["headers"])}
        for step in spec.get("steps") or []
    ]
    return {"id": monitor.id, "service_id": monitor.service_id, "origin": monitor.origin} | spec


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


def _assign(row: Base, values: dict[str, Any]) -> bool:
    """Sets the values that differ; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


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
    _check_origin(origin)
    _check_name_free(session, Monitor, "monitor", spec.name)
    now = utcnow()
    monitor = Monitor(
        origin=origin, created_at=now, updated_at=now, **_monitor_values(spec, service_id)
    )
    session.add(monitor)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="monitor.create",
        target=f"monitor:{monitor.name}",
        after=monitor_public(monitor),
    )
    return monitor


def update_monitor(
    session: Session, monitor: Monitor, spec: MonitorSpec, *, service_id: int, actor: str
) -> bool:
    """Applies a new spec; whether anything changed (an unchanged monitor is not touched, so the
    running engine does not reload it)."""
    _check_name_free(session, Monitor, "monitor", spec.name, keep=monitor)
    before = monitor_public(monitor)
    if not _assign(monitor, _monitor_values(spec, service_id)):
        return False
    monitor.updated_at = utcnow()
    session.flush()
    record_change(
        session,
        actor=actor,
        action="monitor.update",
        target=f"monitor:{monitor.name}",
        before=before,
        after=monitor_public(monitor),
    )
    return True


def delete_monitor(session: Session, monitor: Monitor, *, actor: str) -> None:
    """Deletes a monitor with its results and state (the database cascades)."""
    record_change(
        session,
        actor=actor,
        action="monitor.delete",
        target=f"monitor:{monitor.name}",
        before=monitor_public(monitor),
    )
    session.delete(monitor)
    session.flush()


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
    _check_origin(origin)
    _check_name_free(session, Slo, "SLO", spec.name)
    slo = Slo(origin=origin, **_slo_values(spec, service_id))
    session.add(slo)
    session.flush()
    record_change(
        session, actor=actor, action="slo.create", target=f"slo:{slo.name}", after=slo_public(slo)
    )
    return slo


def update_slo(session: Session, slo: Slo, spec: SloSpec, *, service_id: int, actor: str) -> bool:
    _check_name_free(session, Slo, "SLO", spec.name, keep=slo)
    before = slo_public(slo)
    if not _assign(slo, _slo_values(spec, service_id)):
        return False
    session.flush()
    record_change(
        session,
        actor=actor,
        action="slo.update",
        target=f"slo:{slo.name}",
        before=before,
        after=slo_public(slo),
    )
    return True


def delete_slo(session: Session, slo: Slo, *, actor: str) -> None:
    record_change(
        session, actor=actor, action="slo.delete", target=f"slo:{slo.name}", before=slo_public(slo)
    )
    session.delete(slo)
    session.flush()


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
    _check_origin(origin)
    _check_name_free(session, MaintenanceWindow, "maintenance window", spec.name)
    window = MaintenanceWindow(origin=origin, **_maintenance_values(spec, service_id))
    session.add(window)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="maintenance.create",
        target=f"maintenance:{window.name}",
        after=maintenance_public(window),
    )
    return window


def update_maintenance_window(
    session: Session,
    window: MaintenanceWindow,
    spec: MaintenanceSpec,
    *,
    service_id: int | None,
    actor: str,
) -> bool:
    _check_name_free(session, MaintenanceWindow, "maintenance window", spec.name, keep=window)
    before = maintenance_public(window)
    if not _assign(window, _maintenance_values(spec, service_id)):
        return False
    session.flush()
    record_change(
        session,
        actor=actor,
        action="maintenance.update",
        target=f"maintenance:{window.name}",
        before=before,
        after=maintenance_public(window),
    )
    return True


def delete_maintenance_window(session: Session, window: MaintenanceWindow, *, actor: str) -> None:
    record_change(
        session,
        actor=actor,
        action="maintenance.delete",
        target=f"maintenance:{window.name}",
        before=maintenance_public(window),
    )
    session.delete(window)
    session.flush()


# -- notification channels ----------------------------------------------------------------------


def _channel_values(spec: ChannelSpec) -> dict[str, Any]:
    return spec.model_dump()


def create_channel(
    session: Session, spec: ChannelSpec, *, origin: str, actor: str
) -> NotificationChannel:
    _check_origin(origin)
    _check_name_free(session, NotificationChannel, "channel", spec.name)
    channel = NotificationChannel(origin=origin, **_channel_values(spec))
    session.add(channel)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="channel.create",
        target=f"channel:{channel.name}",
        after=channel_public(channel),
    )
    return channel


def update_channel(
    session: Session, channel: NotificationChannel, spec: ChannelSpec, *, actor: str
) -> bool:
    _check_name_free(session, NotificationChannel, "channel", spec.name, keep=channel)
    before = channel_public(channel)
    url_changed = channel.url != spec.url
    if not _assign(channel, _channel_values(spec)):
        return False
    session.flush()
    after = channel_public(channel)
    if url_changed:
        after["url_changed"] = True  # the only trace of a new URL the log may keep
    record_change(
        session,
        actor=actor,
        action="channel.update",
        target=f"channel:{channel.name}",
        before=before,
        after=after,
    )
    return True


def delete_channel(session: Session, channel: NotificationChannel, *, actor: str) -> None:
    record_change(
        session,
        actor=actor,
        action="channel.delete",
        target=f"channel:{channel.name}",
        before=channel_public(channel),
    )
    session.delete(channel)
    session.flush()
