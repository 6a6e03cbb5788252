"""`storeops demo`: fill the warehouse with a deterministic demo shop (creating the workspace
if there is none) and print what it holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from storeops.cli.brief import build_brief, render_brief
from storeops.cli.common import JsonOption, WorkspaceOption, actor, console, interactive, print_json
from storeops.cli.demo_reliability import (
    declare_demo,
    keep_watching,
    print_reliability,
    start_demo_shop,
    watch_demo,
)
from storeops.cli.serve import serve_command
from storeops.cli.users import state_db
from storeops.cli.workspace import prepare_stores
from storeops.connectors.demo.generate import generate_demo, options_for
from storeops.connectors.demo.shopify_export import export_orders
from storeops.connectors.demo.summary import summarize
from storeops.core.errors import UserError
from storeops.core.settings import (
    SETTINGS_FILE,
    Settings,
    load_settings,
    resolve_workspace,
    write_default_settings,
)
from storeops.db import users
from storeops.db.audit import record_change
from storeops.db.engine import engine_for, session_factory
from storeops.warehouse.connection import read_connection

DEMO_ADMIN = "admin@demo.example"


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


def demo_command(
    seed: Annotated[
        int, typer.Option(help="Random seed: the same arguments give the same shop.")
    ] = 42,
    days: Annotated[int | None, typer.Option(min=1, help="Days of history (default: 730).")] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last day, YYYY-MM-DD (default: yesterday in the store's zone)."),
    ] = None,
    scale: Annotated[
        Scale, typer.Option(help="small ~60k order lines, medium ~1M, large ~10M (for two years).")
    ] = Scale.small,
    lines: Annotated[
        int | None, typer.Option(min=1, help="Approximate order lines in all (overrides --scale).")
    ] = None,
    export_shopify: Annotated[
        Path | None, typer.Option(help="Also write the orders as a Shopify orders CSV export here.")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the web app, with a demo admin to sign in as."),
    ] = False,
    port: Annotated[int, typer.Option(help="With --serve: the port.", min=0, max=65535)] = 8000,
    monitors: Annotated[
        bool,
        typer.Option(
            help="Also serve the demo shop, watch it with monitors of every kind and break its "
            "checkout, so the demo shows an incident priced in lost revenue (about 20 s)."
        ),
    ] = True,
    shop_port: Annotated[
        int,
        typer.Option(
            help="The demo shop's HTTP port (HTTPS and DNS on the next two); 0: any free port.",
            min=0,
            max=65533,
        ),
    ] = 8081,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a demo shop into the warehouse, replacing the previous demo data."""
    settings = _workspace(workspace, quiet=as_json)
    last = _end_date(end, settings.store.timezone)
    options = options_for(end=last, seed=seed, days=days, scale=scale.value, lines=lines)

    if interactive() and not as_json:
        with Progress(
            TextColumn("generating the demo shop"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} days"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("demo", total=options.days)
            rows = generate_demo(
                settings,
                options,
                on_progress=lambda done, total: progress.update(task, completed=done),
            )
    else:
        rows = generate_demo(settings, options)

    exported: list[Path] = []
    with read_connection(settings) as con:
        summary = summarize(con)
        if export_shopify is not None:
            exported = export_orders(con, export_shopify, settings.store.timezone)
    _audit(settings, options.description(), rows)
    summary["shopify_export"] = [str(p) for p in exported]
    shop = start_demo_shop(settings, shop_port) if monitors else None
    try:
        if shop is not None:
            settings = declare_demo(settings, shop.shop)
            summary["reliability"] = watch_demo(settings, shop)
        if as_json:
            print_json(summary)
        else:
            print_summary(summary)
            # The demo's main job ends with what a manager reads every morning.
            render_brief(build_brief(settings, None, None), settings)
            if shop is not None:
                print_reliability(summary["reliability"])
        if serve:
            _sign_in_help(settings.workspace, port)
            stop_watching = keep_watching(settings) if shop is not None else None
            try:
                serve_command(port=port, workspace=settings.workspace)
            finally:
                if stop_watching is not None:
                    stop_watching()
    finally:
        if shop is not None:
            shop.stop()


def _sign_in_help(workspace: Path, port: int) -> None:
    """Creates the demo admin (or keeps the one made before) and prints how to sign in."""
    password = None
    with state_db(workspace) as session:
        if users.get_user(session, DEMO_ADMIN) is None:
            _, password = users.create_user(session, email=DEMO_ADMIN, role="admin", actor=actor())
    console.print(f"Web app: http://127.0.0.1:{port}/", highlight=False)
    console.print(f"Sign in as: {DEMO_ADMIN}", highlight=False)
    if password:
        console.print(f"One-time password (shown once): {password}", highlight=False)
    else:
        console.print("Password: the one printed when this user was created", highlight=False)


def _workspace(workspace: Path | None, *, quiet: bool) -> Settings:
    folder = resolve_workspace(workspace)
    if (folder / SETTINGS_FILE).exists():
        return load_settings(folder)
    settings = write_default_settings(
        folder, name="Demo Shop", currency="EUR", timezone="Europe/Paris"
    )
    prepare_stores(settings)
    if not quiet:
        console.print(f"Created workspace {folder}")
    return settings


def _end_date(end: str | None, timezone: str) -> date:
    if end is None:
        return datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)
    try:
        return date.fromisoformat(end)
    except ValueError:
        raise UserError(f"--end: not a date like 2024-12-31: {end!r}") from None


def _audit(settings: Settings, description: str, rows: dict[str, int]) -> None:
    engine = engine_for(settings)
    try:
        with session_factory(engine).begin() as session:
            record_change(
                session, actor=actor(), action="warehouse.demo", target=description, after=rows
            )
    finally:
        engine.dispose()


def print_summary(summary: dict[str, Any]) -> None:
    """The demo's closing summary on a terminal."""
    table = Table(title="Demo shop", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("days", f"{summary['first_day']} → {summary['last_day']}")
    for key, label in (
        ("orders", "orders"),
        ("order_lines", "order lines"),
        ("customers", "customers"),
        ("skus", "SKUs"),
    ):
        table.add_row(label, f"{summary[key]:,}")
    table.add_row("net sales", summary["net_sales"])
    table.add_row(
        "stock-outs",
        f"{summary['stockout_sku_days']:,} SKU-days ({summary['skus_out_of_stock']:,} SKUs)",
    )
    table.add_row("tickets", f"{summary['tickets']:,}")
    console.print(table)
    for path in summary.get("shopify_export", []):
        console.print(f"Shopify export: {path}")
