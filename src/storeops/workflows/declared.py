"""Reliability records declared as code in storeops.toml, validated at load and synced to the state DB.

[[services]], [[monitors]], [[slos]], [[maintenance]] and [[channels]] tables are validated with
the shapes of their domains; a bad entry is one error naming the file, the line, the entry and
the field (`storeops.toml:14: field 'monitors[1].url': monitor 'home': ...`). Syncing makes the
state DB say what the file says: origin="config" rows are created, updated, or deleted when no
longer declared; rows created through the API or pages (origin="api") are never touched, and a
declared name that clashes with one is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.errors import BadInput
from storeops.core.settings import Settings, toml_line_of
from storeops.itsm.actions import delete_service, service_public, upsert_service
from storeops.itsm.models import Incident, Origin, Service
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring import actions, conditions
from storeops.monitoring.models import MaintenanceWindow, Monitor, NotificationChannel, Slo
from storeops.monitoring.probes import validate
from storeops.monitoring.spec import ChannelSpec, MaintenanceSpec, MonitorSpec, SloSpec

Spec = TypeVar("Spec", bound=BaseModel)

# How each kind of entry is called in messages.
WHAT = {
    "services": "service",
    "monitors": "monitor",
    "slos": "SLO",
    "maintenance": "maintenance window",
    "channels": "channel",
}


@dataclass
class Declared:
    file: Path
    text: str  # the file's text, for the lines of errors found when syncing
    services: list[ServiceSpec] = field(default_factory=list)
    monitors: list[MonitorSpec] = field(default_factory=list)
    slos: list[SloSpec] = field(default_factory=list)
    maintenance: list[MaintenanceSpec] = field(default_factory=list)
    channels: list[ChannelSpec] = field(default_factory=list)

    def error(
        self, section: str, index: int, name: str, message: str, path: Sequence[Any] = ()
    ) -> BadInput:
        """One clear error about the index-th [[section]] entry (path: the field inside it)."""
        key = path[0] if path and isinstance(path[0], str) else None
        line = toml_line_of(self.text, section, key, index) if key else None
        line = line or toml_line_of(self.text, section, None, index)
        where = f"{section}[{index}]" + "".join(
            f".{part}" if isinstance(part, str) else f"[{part}]" for part in path
        )
        return BadInput(self.file, f"{WHAT[section]} {name!r}: {message}", line=line, field=where)


def _validate(declared: Declared, section: str, raw: list[Any], shape: type[Spec]) -> list[Spec]:
    specs: list[Spec] = []
    first_of: dict[str, int] = {}
    for index, entry in enumerate(raw):
        name = (
            str(entry.get("name", f"#{index + 1}")) if isinstance(entry, dict) else f"#{index + 1}"
        )
        try:
            spec = shape.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            message = error["msg"].removeprefix("Value error, ")
            path = error["loc"] or _field_named_in(message, shape, entry)
            raise declared.error(section, index, name, message, path) from None
        if name in first_of:
            raise declared.error(
                section,
                index,
                name,
                f"the name is taken by {section}[{first_of[name]}]; names must be unique",
                ("name",),
            )
        first_of[name] = index
        specs.append(spec)
    return specs


def _field_named_in(message: str, shape: type[BaseModel], entry: Any) -> tuple[str, ...]:
    """A check across fields has no field of its own; the one its message names points at what
    to fix: the missing one (`... needs url`), else the first one given (`url must start`)."""
    given = entry if isinstance(entry, dict) else {}
    needed = re.search(r"\bneeds ([a-z_]+)", message)
    if needed and needed.group(1) in shape.model_fields:
        return (needed.group(1),)
    named = [word for word in re.findall(r"[a-z_]+", message) if word in shape.model_fields]
    return next(((word,) for word in named if word in given), ())


def _check_conditions(declared: Declared) -> None:
    for index, monitor in enumerate(declared.monitors):
        places: list[tuple[tuple[Any, ...], str]] = [
            (("conditions", n), text) for n, text in enumerate(monitor.conditions)
        ]
        places += [
            (("steps", s, "conditions", n), text)
            for s, step in enumerate(monitor.steps)
            for n, text in enumerate(step.conditions)
        ]
        for path, text in places:
            try:
                conditions.parse(text)
            except ValueError as exc:
                raise declared.error(
                    "monitors", index, monitor.name, f"condition {text!r}: {exc}", path
                ) from None
        try:
            # Conditions the kind cannot observe, journey values no earlier step extracts.
            validate(monitor)
        except ValueError as exc:
            path = ("steps",) if str(exc).startswith("step") else ("conditions",)
            raise declared.error("monitors", index, monitor.name, str(exc), path) from None


def load_declared(settings: Settings) -> Declared:
    """The declared records of the workspace, validated (BadInput at the first bad entry)."""
    file = settings.settings_file
    text = file.read_text(encoding="utf-8") if file.is_file() else ""
    declared = Declared(file=file, text=text)
    declared.services = _validate(declared, "services", settings.services, ServiceSpec)
    declared.monitors = _validate(declared, "monitors", settings.monitors, MonitorSpec)
    declared.slos = _validate(declared, "slos", settings.slos, SloSpec)
    declared.maintenance = _validate(declared, "maintenance", settings.maintenance, MaintenanceSpec)
    declared.channels = _validate(declared, "channels", settings.channels, ChannelSpec)
    _check_conditions(declared)
    return declared


# -- syncing ------------------------------------------------------------------------------------


@dataclass
class SyncSummary:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.deleted} deleted"


def _rows_by_name(session: Session, model: type[Any]) -> dict[str, Any]:
    return {row.name: row for row in session.scalars(select(model))}


def _not_api(declared: Declared, section: str, index: int, name: str, row: Any) -> None:
    if row is not None and row.origin != Origin.config:
        raise declared.error(
            section,
            index,
            name,
            f"a {WHAT[section]} of that name was created through the API or pages; "
            "rename one of them, or delete that one",
            ("name",),
        )


def _service_ids(declared: Declared, session: Session) -> dict[str, int]:
    """Service ids by name, after checking every declared reference names a service."""
    ids = {name: id_ for name, id_ in session.execute(select(Service.name, Service.id))}
    references: list[tuple[str, int, str, str | None]] = [
        ("monitors", n, m.name, m.service) for n, m in enumerate(declared.monitors)
    ]
    references += [("slos", n, s.name, s.service) for n, s in enumerate(declared.slos)]
    references += [
        ("maintenance", n, w.name, w.service) for n, w in enumerate(declared.maintenance)
    ]
    for section, index, name, service in references:
        if service is not None and service not in ids:
            raise declared.error(
                section,
                index,
                name,
                f"unknown service {service!r} (declare it in [[services]] or create it first)",
                ("service",),
            )
    return ids


def sync_declared(session: Session, declared: Declared, *, actor: str) -> SyncSummary:
    """Brings the state DB's config-origin records to what storeops.toml declares (the caller
    commits). Running it again with the same file changes nothing and audits nothing."""
    summary = SyncSummary()
    existing = _rows_by_name(session, Service)
    for index, service in enumerate(declared.services):
        row = existing.get(service.name)
        _not_api(declared, "services", index, service.name, row)
        before = None if row is None else service_public(row)
        after = service_public(upsert_service(session, service, origin=Origin.config, actor=actor))
        if before is None:
            summary.created += 1
        elif after != before:
            summary.updated += 1
    ids = _service_ids(declared, session)

    def sync(
        section: str,
        model: type[Any],
        specs: Sequence[Any],
        create: Callable[[Any], object],
        update: Callable[[Any, Any], bool],
        remove: Callable[..., None],
    ) -> None:
        rows = _rows_by_name(session, model)
        for index, spec in enumerate(specs):
            row = rows.pop(spec.name, None)
            _not_api(declared, section, index, spec.name, row)
            if row is None:
                create(spec)
                summary.created += 1
            elif update(row, spec):
                summary.updated += 1
        for row in rows.values():
            if row.origin == Origin.config:
                remove(session, row, actor=actor)
                summary.deleted += 1

    def service_of(spec: Any) -> int | None:
        return None if spec.service is None else ids[spec.service]

    config = str(Origin.config)
    sync(
        "monitors",
        Monitor,
        declared.monitors,
        lambda spec: actions.create_monitor(
            session, spec, service_id=ids[spec.service], origin=config, actor=actor
        ),
        lambda row, spec: actions.update_monitor(
            session, row, spec, service_id=ids[spec.service], actor=actor
        ),
        actions.delete_monitor,
    )
    sync(
        "slos",
        Slo,
        declared.slos,
        lambda spec: actions.create_slo(
            session, spec, service_id=ids[spec.service], origin=config, actor=actor
        ),
        lambda row, spec: actions.update_slo(
            session, row, spec, service_id=ids[spec.service], actor=actor
        ),
        actions.delete_slo,
    )
    sync(
        "maintenance",
        MaintenanceWindow,
        declared.maintenance,
        lambda spec: actions.create_maintenance_window(
            session, spec, service_id=service_of(spec), origin=config, actor=actor
        ),
        lambda row, spec: actions.update_maintenance_window(
            session, row, spec, service_id=service_of(spec), actor=actor
        ),
        actions.delete_maintenance_window,
    )
    sync(
        "channels",
        NotificationChannel,
        declared.channels,
        lambda spec: actions.create_channel(session, spec, origin=config, actor=actor),
        lambda row, spec: actions.update_channel(session, row, spec, actor=actor),
        actions.delete_channel,
    )
    summary.deleted += _delete_undeclared_services(session, declared, actor=actor)
    return summary


def _delete_undeclared_services(session: Session, declared: Declared, *, actor: str) -> int:
    """Deletes config services no longer declared. One with incidents stays (their history
    names it); one that records made through the API still use is an error."""
    names = {service.name for service in declared.services}
    deleted = 0
    for service in session.scalars(select(Service).where(Service.origin == Origin.config)):
        if service.name in names:
            continue
        for model, what in (
            (Monitor, "monitor"),
            (Slo, "SLO"),
            (MaintenanceWindow, "maintenance window"),
        ):
            user = session.scalars(select(model.name).where(model.service_id == service.id)).first()
            if user is not None:
                raise BadInput(
                    declared.file,
                    f"service {service.name!r} is no longer declared, but {what} {user!r} "
                    "(created through the API or pages) still belongs to it: move or delete "
                    "that first, or declare the service again",
                )
        if session.scalars(select(Incident.id).where(Incident.service_id == service.id)).first():
            continue
        delete_service(session, service, actor=actor)
        deleted += 1
    return deleted
