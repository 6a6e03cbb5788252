"""Maintenance windows and alert channels (admins and IT change them; everyone in the
reliability area sees them). A channel's Apprise URL is write-only: only its scheme is shown.
Rows declared in storeops.toml are listed but change there."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import UserError
from storeops.core.settings import Settings
from storeops.db.users import User
from storeops.itsm.models import Service
from storeops.itsm.queries import services
from storeops.monitoring.actions import (
    channel_url_for_display,
    create_channel,
    create_maintenance_window,
    delete_channel,
    delete_maintenance_window,
)
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import MaintenanceWindow, NotificationChannel, NotificationLog
from storeops.monitoring.spec import ChannelSpec, MaintenanceSpec
from storeops.web.deps import DbSession, SettingsDep, require
from storeops.web.permissions import can
from storeops.web.reliability import IdPath, actor_of, current_time, get_or_404
from storeops.web.rendering import render

router = APIRouter()
Reader = Annotated[User, Depends(require("reliability"))]
Writer = Annotated[User, Depends(require("reliability", write=True))]
UPCOMING = 3
LOG_ROWS = 20


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(value)[:2000] for name, value in form.items() if name != "csrf_token"}


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: " + e["msg"].removeprefix("Value error, ")
        for e in exc.errors()
    )


# -- maintenance windows ------------------------------------------------------------------------


def _maintenance(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = current_time(request)
    names = dict(db.execute(select(Service.id, Service.title)).all())
    windows = list(db.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.name)))
    calendar = MaintenanceCalendar.of(windows)
    active = {o.window_id for o in calendar.active(now)}
    rows = [
        {
            "window": window,
            "service": names.get(window.service_id, "") if window.service_id else "",
            "active": window.id in active,
            "next": MaintenanceCalendar.of([window]).upcoming(now, UPCOMING),
        }
        for window in windows
    ]
    context = {
        "rows": rows,
        "services": services(db),
        "timezone": settings.store.timezone,
        "can_write": can(user.role, "reliability", write=True),
        "form": form or {},
        "error": error,
    }
    return render(request, "maintenance.html", context, status_code=status_code)


@router.get("/maintenance")
def maintenance_page(
    request: Request, user: Reader, db: DbSession, settings: SettingsDep
) -> Response:
    return _maintenance(request, db, user, settings)


def _local(value: str, timezone: str) -> datetime | None:
    """A datetime-local field (the store's wall clock) as an aware time; None when blank."""
    if not value.strip():
        return None
    local = datetime.fromisoformat(value.strip())
    if not 1900 <= local.year <= 2200:
        raise ValueError("a time between the years 1900 and 2200")
    return local.replace(tzinfo=ZoneInfo(timezone))


def window_spec(form: dict[str, str], timezone: str) -> MaintenanceSpec:
    """A one-off window (start and end on the store's clock) or a recurring one (cron in the
    store's time zone, duration in minutes), from the form."""
    data: dict[str, Any] = {"name": form.get("name", "").strip(), "timezone": timezone}
    if form.get("service"):
        data["service"] = form["service"]
    if form.get("kind") == "recurring":
        data["cron"] = form.get("cron", "").strip()
        data["duration_minutes"] = form.get("duration_minutes", "").strip() or None
    else:
        data["starts_at"] = _local(form.get("starts_at", ""), timezone)
        data["ends_at"] = _local(form.get("ends_at", ""), timezone)
    return MaintenanceSpec.model_validate(data)


@router.post("/maintenance")
async def add_window(
    request: Request, user: Writer, db: DbSession, settings: SettingsDep
) -> Response:
    form = await _form(request)
    timezone = settings.store.timezone
    try:
        spec = window_spec(form, timezone)
    except ValidationError as exc:
        problem = _problems(exc)
    except ValueError as exc:  # a time datetime-local would not send
        problem = f"starts_at/ends_at: {exc}"
    else:
        service = db.scalars(select(Service).where(Service.name == spec.service)).one_or_none()
        problem = None
        if spec.service and service is None:
            problem = f"service: no service named {spec.service!r}"
        else:
            try:
                create_maintenance_window(
                    db,
                    spec,
                    service_id=service.id if service else None,
                    origin="api",
                    actor=actor_of(user, "web"),
                )
            except UserError as exc:
                db.rollback()
                problem = str(exc)
    if problem is not None:
        return _maintenance(request, db, user, settings, form=form, error=problem, status_code=422)
    db.commit()
    return RedirectResponse("/maintenance", status_code=303)


@router.post("/maintenance/{window_id}/delete")
def remove_window(
    request: Request, window_id: IdPath, user: Writer, db: DbSession, settings: SettingsDep
) -> Response:
    window = get_or_404(db, MaintenanceWindow, window_id, "maintenance window")
    if window.origin == "config":
        message = f"'{window.name}' is declared in storeops.toml: remove it there"
        return _maintenance(request, db, user, settings, error=message, status_code=409)
    delete_maintenance_window(db, window, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse("/maintenance", status_code=303)


# -- channels -----------------------------------------------------------------------------------


def _channels(
    request: Request,
    db: Session,
    user: User,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    channels = list(db.scalars(select(NotificationChannel).order_by(NotificationChannel.name)))
    names = {channel.id: channel.name for channel in channels}
    log = db.scalars(
        select(NotificationLog).order_by(NotificationLog.at.desc(), NotificationLog.id.desc())
    ).fetchmany(LOG_ROWS)
    context = {
        "channels": [(channel, channel_url_for_display(channel.url)) for channel in channels],
        "log": [(entry, names.get(entry.channel_id, "")) for entry in log],
        "can_write": can(user.role, "reliability", write=True),
        "form": {k: v for k, v in (form or {}).items() if k != "url"},  # never echoed back
        "error": error,
    }
    return render(request, "channels.html", context, status_code=status_code)


@router.get("/channels")
def channels_page(request: Request, user: Reader, db: DbSession) -> Response:
    return _channels(request, db, user)


@router.post("/channels")
async def add_channel(request: Request, user: Writer, db: DbSession) -> Response:
    form = await _form(request)
    data: dict[str, Any] = {
        name: value.strip()
        for name, value in form.items()
        if name in ("name", "url", "failure_threshold", "success_threshold", "remind_every_minutes")
        and value.strip()
    }
    data["send_resolved"] = form.get("send_resolved") == "on"
    problem = None
    try:
        create_channel(
            db, ChannelSpec.model_validate(data), origin="api", actor=actor_of(user, "web")
        )
    except ValidationError as exc:
        problem = _problems(exc)
    except UserError as exc:
        db.rollback()
        problem = str(exc)
    if problem is not None:
        return _channels(request, db, user, form=form, error=problem, status_code=422)
    db.commit()
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/{channel_id}/delete")
def remove_channel(request: Request, channel_id: IdPath, user: Writer, db: DbSession) -> Response:
    channel = get_or_404(db, NotificationChannel, channel_id, "channel")
    if channel.origin == "config":
        message = f"'{channel.name}' is declared in storeops.toml: remove it there"
        return _channels(request, db, user, error=message, status_code=409)
    delete_channel(db, channel, actor=actor_of(user, "web"))
    db.commit()
    return RedirectResponse("/channels", status_code=303)
