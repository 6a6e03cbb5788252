"""Workspace settings: `storeops.toml`, validated at load, with environment overrides.

Settings are built by `load_settings` and passed in; nothing reads them from a global.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from storeops.core.errors import BadInput, WorkspaceMissing

SETTINGS_FILE = "storeops.toml"
DEFAULT_WAREHOUSE_URL = "duckdb:///warehouse.duckdb"
DEFAULT_DATABASE_URL = "sqlite:///storeops.db"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    name: str = "My Shop"
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Paris)"
            ) from None
        return value


class WarehouseSettings(_Section):
    # duckdb:///relative/to/workspace.duckdb, duckdb:////absolute.duckdb, or any Ibis URL.
    url: str = DEFAULT_WAREHOUSE_URL
    # How long a writer waits for other processes to let go of the warehouse.
    busy_timeout_seconds: float = Field(default=30.0, ge=0)


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL


class TicketTargets(_Section):
    """A category's own ticket targets; a missing one is the [aftersales] value."""

    first_response_hours: float | None = Field(default=None, gt=0)
    resolution_hours: float | None = Field(default=None, gt=0)


class AftersalesSettings(_Section):
    # Ticket service levels: hours from opening to the first response and to resolution, and
    # the share of tickets that must meet them (below it, the briefing raises an alert).
    first_response_hours: float = Field(default=24, gt=0)
    resolution_hours: float = Field(default=72, gt=0)
    compliance_target: float = Field(default=0.9, gt=0, le=1)
    categories: dict[str, TicketTargets] = {}

    @model_validator(mode="after")
    def _resolution_after_response(self) -> AftersalesSettings:
        if self.resolution_hours < self.first_response_hours:
            raise ValueError("resolution_hours cannot be less than first_response_hours")
        return self


class MonitoringSettings(_Section):
    # Raw check results are kept this long; minute, hour and day rollups keep the rest.
    raw_retention_days: int = Field(default=7, ge=1, le=3650)
    # Checks in flight at once, whatever the number of monitors.
    max_concurrency: int = Field(default=200, ge=1, le=10_000)
    # Extra certificate authorities (PEM) the probes trust besides the system's: a private CA,
    # or the demo shop's. Relative to the workspace.
    ca_file: Path | None = None


# Declared reliability records ([[services]], [[monitors]], [[slos]], [[maintenance]],
# [[channels]]): kept raw here, because their shapes belong to the monitoring and itsm domains,
# which validate them with file, line and field (workflows/declared.py).
Declared = list[dict[str, Any]]


class Settings(_Section):
    workspace: Path = Field(exclude=True)
    store: StoreSettings = StoreSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    database: DatabaseSettings = DatabaseSettings()
    aftersales: AftersalesSettings = AftersalesSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    services: Declared = []
    monitors: Declared = []
    slos: Declared = []
    maintenance: Declared = []
    channels: Declared = []

    @property
    def settings_file(self) -> Path:
        return self.workspace / SETTINGS_FILE

    def duckdb_path(self) -> Path | None:
        """The warehouse file when the warehouse is DuckDB, else None."""
        url = self.warehouse.url
        if not url.startswith("duckdb://"):
            return None
        rest = url.removeprefix("duckdb://")
        if rest.startswith("/"):
            rest = rest[1:]
        path = Path(rest)
        return path if path.is_absolute() else self.workspace / path

    def probe_ca_file(self) -> Path | None:
        """[monitoring] ca_file resolved inside the workspace, if set."""
        ca_file = self.monitoring.ca_file
        if ca_file is None:
            return None
        return ca_file if ca_file.is_absolute() else self.workspace / ca_file

    def database_url(self) -> str:
        """The state DB URL, with a relative SQLite path resolved inside the workspace."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.workspace / url.removeprefix(prefix))
        return url


def resolve_workspace(path: Path | str | None) -> Path:
    """--workspace, else STOREOPS_HOME, else ./storeops-data."""
    chosen = path or os.environ.get("STOREOPS_HOME") or "storeops-data"
    return Path(chosen).expanduser().resolve()


def _env_overrides(data: dict[str, Any]) -> None:
    for env, section in (
        ("STOREOPS_WAREHOUSE_URL", "warehouse"),
        ("STOREOPS_DATABASE_URL", "database"),
    ):
        if value := os.environ.get(env):
            data.setdefault(section, {})["url"] = value


def toml_line_of(
    text: str, section: str | None, key: str | None, occurrence: int | None = None
) -> int | None:
    """The line of `key` inside `[section]` of a TOML text, for error messages (key None: the
    header's line). `occurrence` picks the n-th (from 0) table of an array `[[section]]`."""
    current = None
    seen = -1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]").strip()
            if current == section:
                seen += 1
            if key is None and current == section and occurrence in (None, seen):
                return number
        elif (
            key
            and current == section
            and occurrence in (None, seen)
            and line.split("=", 1)[0].strip() == key
        ):
            return number
    return None


def load_settings(workspace: Path) -> Settings:
    file = workspace / SETTINGS_FILE
    if not file.is_file():
        raise WorkspaceMissing(workspace)
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(file, str(exc)) from None
    _env_overrides(data)
    try:
        return Settings(workspace=workspace, **data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = [str(part) for part in error["loc"]]
        section = location[0] if len(location) > 1 else None
        key = location[-1]
        line = toml_line_of(text, section, key) or toml_line_of(text, key, None)
        raise BadInput(file, error["msg"], line=line, field=".".join(location)) from None


SETTINGS_TEMPLATE = """\
# storeops workspace settings. Paths are relative to this folder.

[store]
name = {name}
currency = {currency}     # ISO 4217 code; amounts are stored as DECIMAL(18,2)
timezone = {timezone}     # days, weeks and months follow this calendar

[warehouse]
# The shop's commerce facts. A DuckDB file here by default; any Ibis URL at scale
# (postgres://..., or see docs/engines.md). STOREOPS_WAREHOUSE_URL overrides it.
url = {warehouse_url}
busy_timeout_seconds = 30

[database]
# Operational records (users, monitors, incidents...). SQLite here by default;
# PostgreSQL in production. STOREOPS_DATABASE_URL overrides it.
url = {database_url}

[aftersales]
# Ticket service levels (storeops aftersales, the morning briefing): hours from opening to the
# first response and to resolution, and the share of tickets that must meet them.
first_response_hours = 24
resolution_hours = 72
compliance_target = 0.9
# A category can have its own targets:
# [aftersales.categories."damaged item"]
# first_response_hours = 4
"""


def write_default_settings(workspace: Path, *, name: str, currency: str, timezone: str) -> Settings:
    """Writes a commented storeops.toml and returns it loaded (so it is validated)."""
    text = SETTINGS_TEMPLATE.format(
        name=tomli_w.dumps({"v": name})[4:].strip(),
        currency=tomli_w.dumps({"v": currency})[4:].strip(),
        timezone=tomli_w.dumps({"v": timezone})[4:].strip(),
        warehouse_url=f'"{DEFAULT_WAREHOUSE_URL}"',
        database_url=f'"{DEFAULT_DATABASE_URL}"',
    )
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return load_settings(workspace)
