"""`storeops init`: create a workspace with its settings, warehouse and state DB."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storeops.cli.common import WorkspaceOption, console
from storeops.core.settings import (
    SETTINGS_FILE,
    load_settings,
    resolve_workspace,
    write_default_settings,
)
from storeops.db.engine import engine_for
from storeops.db.migrate import upgrade
from storeops.warehouse.connection import write_session


def init(
    path: Annotated[
        Path | None, typer.Argument(help="Folder to create (default: --workspace).")
    ] = None,
    workspace: WorkspaceOption = None,
    name: Annotated[str, typer.Option(help="The store's name.")] = "My Shop",
    currency: Annotated[str, typer.Option(help="ISO 4217 currency code.")] = "EUR",
    timezone: Annotated[str, typer.Option(help="The store's IANA time zone.")] = "Europe/Paris",
) -> None:
    """Create a workspace: storeops.toml, the warehouse and the state DB."""
    folder = resolve_workspace(path or workspace)
    if (folder / SETTINGS_FILE).exists():
        settings = load_settings(folder)
        console.print(f"Workspace {folder} exists; bringing its stores up to date.")
    else:
        settings = write_default_settings(
            folder, name=name, currency=currency.upper(), timezone=timezone
        )
        console.print(f"Created workspace {folder}")
    prepare_stores(settings)
    console.print(f"  settings   {settings.settings_file}")
    console.print(f"  warehouse  {settings.warehouse.url}")
    console.print(f"  state DB   {settings.database.url}")


def prepare_stores(settings) -> None:  # type: ignore[no-untyped-def]
    """Creates the warehouse schema and migrates the state DB; safe to run again."""
    if settings.duckdb_path() is not None:
        with write_session(settings):
            pass
    engine = engine_for(settings)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
