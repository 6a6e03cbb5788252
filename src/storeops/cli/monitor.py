"""`storeops monitor ...`: list the monitors, check one now, run them all.

Every command first syncs what storeops.toml declares ([[services]], [[monitors]], ...) into the
state DB, so the file is the truth for config monitors; those made through the API stay as they are.

`monitor list --json` prints a list of {name, kind, service, enabled, origin, interval_seconds,
status, last_ok, last_checked_at, last_error, consecutive_failures, uptime_24h} (status: up,
down, degraded, pending, paused; uptime a share in [0, 1] or null without checks).
`monitor check NAME --json` prints {name, kind, ok, duration_ms, status_code, error, conditions:
[{condition, ok, actual}], details}. The check is not stored and alerts nobody; the command exits
with status 1 when it fails, so scripts can use it (`storeops monitor check home && deploy`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeops.cli.common import (
    JsonOption,
    WorkspaceOption,
    console,
    fmt_rate,
    interactive,
    print_json,
    settings_for,
)
from storeops.core.errors import UserError
from storeops.core.settings import Settings, load_settings
from storeops.db.engine import engine_for, session_factory
from storeops.db.migrate import upgrade
from storeops.db.models import utcnow
from storeops.itsm.models import Service
from storeops.monitoring import queries
from storeops.monitoring.engine import EngineStatus, run_engine
from storeops.monitoring.notify import Notifier
from storeops.monitoring.probes import ProbeClient, ProbeResult, check
from storeops.monitoring.spec import MonitorSpec
from storeops.workflows.declared import load_declared, sync_declared
from storeops.workflows.watch import WatchHooks

logger = logging.getLogger(__name__)
CONFIG_POLL_S = 5.0

monitor_app = typer.Typer(
    help="Monitors: list them, check one now, run them all.", no_args_is_help=True
)


def config_actor(settings: Settings) -> str:
    """Who changes made by syncing storeops.toml are attributed to in the audit log."""
    return f"config:{settings.settings_file}"


@contextmanager
def synced_state(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated state DB, after syncing what storeops.toml declares."""
    declared = load_declared(settings)  # a bad file fails before the database is touched
    engine = engine_for(settings)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            sync_declared(session, declared, actor=config_actor(settings))
        yield sessions
    finally:
        engine.dispose()


@monitor_app.command("list")
def list_monitors(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List the monitors with their status, last check and 24-hour uptime."""
    settings = settings_for(workspace)
    with synced_state(settings) as sessions, sessions() as session:
        services = {id_: name for id_, name in session.execute(select(Service.id, Service.name))}
        page = queries.monitor_rows(session, limit=None, now=utcnow())
    rows = [
        {
            "name": row.name,
            "kind": row.kind,
            "service": services.get(row.service_id),
            "enabled": row.enabled,
            "origin": row.origin,
            "interval_seconds": row.interval_seconds,
            "status": row.status,
            "last_ok": row.last_ok,
            "last_checked_at": row.last_checked_at,
            "last_error": row.last_error,
            "consecutive_failures": row.consecutive_failures,
            "uptime_24h": row.uptime_24h,
        }
        for row in page.rows
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No monitors yet: declare some in storeops.toml ([[monitors]]).")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("name", "kind", "service", "every", "status", "last check", "uptime 24h"):
        table.add_column(column, justify="right" if column in ("every", "uptime 24h") else "left")
    colours = {"up": "green", "down": "red", "degraded": "yellow"}
    for row in rows:
        status = str(row["status"])
        last = row["last_checked_at"]
        table.add_row(
            escape(str(row["name"])),
            str(row["kind"]),
            escape(str(row["service"])),
            f"{row['interval_seconds']:g}s",
            f"[{colours[status]}]{status}[/]" if status in colours else status,
            last.strftime("%Y-%m-%d %H:%M:%S") if last else "never",
            fmt_rate(row["uptime_24h"]),  # type: ignore[arg-type]
        )
    console.print(table)


def check_public(spec: MonitorSpec, result: ProbeResult) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": str(spec.kind),
        "ok": result.ok,
        "duration_ms": round(result.duration_ms, 1),
        "status_code": result.status_code,
        "error": result.error,
        "conditions": result.details.get("conditions", []),
        "details": result.details,
    }


async def _check_once(spec: MonitorSpec, ca_file: Path | None) -> ProbeResult:
    async with ProbeClient(ca_file=ca_file) as client:
        return await check(spec, client)


def _print_conditions(outcomes: list[dict[str, Any]], indent: str = "  ") -> None:
    for outcome in outcomes:
        mark = "[green]✓[/]" if outcome.get("ok") else "[red]✗[/]"
        console.print(
            f"{indent}{mark} {escape(str(outcome.get('condition')))}"
            f"  [dim](actual: {escape(str(outcome.get('actual')))})[/]",
            highlight=False,
        )


@monitor_app.command("check")
def check_monitor(
    name: Annotated[str, typer.Argument(help="The monitor's name (see: storeops monitor list).")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run one check of a monitor now and show each condition's outcome (exit 1 if it fails).

    The result is not stored and alerts nobody.
    """
    settings = settings_for(workspace)
    with synced_state(settings) as sessions, sessions() as session:
        monitor = queries.monitor_by_name(session, name)
        if monitor is None:
            raise UserError(f"no monitor named {name!r} (see: storeops monitor list)")
        spec = MonitorSpec.model_validate(monitor.spec)
    result = asyncio.run(_check_once(spec, settings.probe_ca_file()))
    shown = check_public(spec, result)
    if as_json:
        print_json(shown)
    else:
        verdict = "[green]up[/]" if result.ok else "[red]down[/]"
        status = f", HTTP {result.status_code}" if result.status_code is not None else ""
        console.print(
            f"{escape(spec.name)} ({spec.kind}): {verdict} in {result.duration_ms:,.0f} ms{status}",
            highlight=False,
        )
        if result.error:
            console.print(f"  error: {escape(result.error)}", highlight=False)
        _print_conditions(shown["conditions"])
        for step in result.details.get("steps", []):
            mark = "[green]✓[/]" if step.get("ok") else "[red]✗[/]"
            console.print(
                f"  {mark} step {escape(str(step.get('name')))}"
                f" in {step.get('duration_ms', 0):,.0f} ms",
                highlight=False,
            )
            _print_conditions(step.get("conditions", []), indent="      ")
    if not result.ok:
        raise typer.Exit(1)


def _status_line(status: EngineStatus) -> str:
    return (
        f"storeops monitor: {status.monitors:,} monitors, {status.down:,} down, "
        f"{status.checks:,} checks stored"
    )


@monitor_app.command("run")
def run_monitors(workspace: WorkspaceOption = None) -> None:
    """Run every enabled monitor until stopped (SIGTERM or Ctrl-C): store results, open and
    resolve incidents, notify. A stop lets checks in flight finish and stores their results."""
    settings = settings_for(workspace)
    with synced_state(settings) as sessions:
        hooks = WatchHooks(settings, notifier=Notifier())
        final = asyncio.run(_run(sessions, settings, hooks))
    if not interactive():
        return
    console.print(_status_line(final) + ", stopped.", highlight=False)


def _file_version(file: Path) -> tuple[int, int] | None:
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def resync_if_changed(
    settings: Settings, sessions: sessionmaker[Session], seen: tuple[int, int] | None
) -> tuple[int, int] | None:
    """Syncs storeops.toml again when it changed since `seen`; returns the version synced. A file
    that no longer loads is logged as its one-line error and the running monitors are kept."""
    version = _file_version(settings.settings_file)
    if version == seen:
        return seen
    try:
        declared = load_declared(load_settings(settings.workspace))
        with sessions.begin() as session:
            sync_declared(session, declared, actor=config_actor(settings))
    except UserError as exc:
        logger.error("storeops.toml not applied, the monitors keep running as before: %s", exc)
    return version


async def _watch_config(
    settings: Settings, sessions: sessionmaker[Session], stop: asyncio.Event
) -> None:
    """Edits to storeops.toml reach the running engine within CONFIG_POLL_S: synced into the
    state DB, whose changes the engine reloads."""
    seen = _file_version(settings.settings_file)
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CONFIG_POLL_S)
        if not stop.is_set():
            seen = await asyncio.to_thread(resync_if_changed, settings, sessions, seen)


async def _run(
    sessions: sessionmaker[Session], settings: Settings, hooks: WatchHooks
) -> EngineStatus:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(_watch_config(settings, sessions, stop))
    try:
        if not interactive():
            return await run_engine(sessions, settings, hooks=hooks, stop=stop)
        with Live(console=console, transient=True, refresh_per_second=2) as live:
            return await run_engine(
                sessions,
                settings,
                hooks=hooks,
                stop=stop,
                on_status=lambda status: live.update(_status_line(status)),
            )
    finally:
        stop.set()
        await watcher
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
