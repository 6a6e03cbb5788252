"""`storeops import`, `storeops imports` and `storeops quarantine`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from storeops.cli.common import (
    JsonOption,
    WorkspaceOption,
    actor,
    console,
    interactive,
    print_json,
    settings_for,
)
from storeops.connectors.registry import KINDS, context_for, import_files, record_imports
from storeops.core.errors import UserError
from storeops.db.engine import engine_for, session_factory
from storeops.warehouse.connection import read_connection
from storeops.warehouse.importlog import count_quarantine, list_imports, list_quarantine
from storeops.warehouse.loading import ImportResult

RECORD_KINDS = ("orders", "order-lines", "products", "inventory", "refunds", "tickets", "traffic")


def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", show_default=False)],
    files: Annotated[list[Path], typer.Argument(help="Files to import, each loaded atomically.")],
    record_kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help=f"csv/parquet: what the file holds ({'|'.join(RECORD_KINDS)})."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="csv/parquet: TOML mapping of columns (docs/mapping.md).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source name kept on every row (default: the kind's).")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import shop data into the warehouse. Nothing is lost: bad rows go to the quarantine."""
    if kind not in KINDS:
        raise UserError(f"unknown import kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind in ("csv", "parquet"):
        if record_kind not in RECORD_KINDS:
            raise UserError(f"{kind} imports need --kind, one of: {', '.join(RECORD_KINDS)}")
        if mapping is None:
            raise UserError(f"{kind} imports need --mapping FILE.toml (see docs/mapping.md)")
    settings = settings_for(workspace)
    ctx = context_for(settings, source=source, record_kind=record_kind, mapping=mapping)

    if interactive() and not as_json:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} files"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("importing", total=len(files))

            def on_step(file: Path, step: str) -> None:
                progress.update(task, description=f"{step} {file.name}")
                if step == "done":
                    progress.advance(task)

            results = import_files(settings, kind, files, ctx, on_step=on_step)
    else:
        results = import_files(settings, kind, files, ctx)

    _audit(settings, kind, results)
    if as_json:
        print_json({"files": [r.as_json() for r in results]})
    else:
        _summary(results)


def _audit(settings, kind: str, results: list[ImportResult]) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(settings)
    try:
        with session_factory(engine).begin() as session:
            record_imports(session, actor=actor(), kind=kind, results=results)
    finally:
        engine.dispose()


def _summary(results: list[ImportResult]) -> None:
    table = Table(title="Import", show_lines=False)
    for column in (
        "file",
        "rows read",
        "loaded",
        "quarantined",
        "orders new",
        "changed",
        "unchanged",
    ):
        table.add_column(column, justify="left" if column == "file" else "right")
    for r in results:
        table.add_row(
            Path(r.file).name,
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"[red]{r.rows_quarantined:,}[/]" if r.rows_quarantined else "0",
            f"{r.orders_new:,}",
            f"{r.orders_changed:,}",
            f"{r.orders_unchanged:,}",
        )
    console.print(table)
    for r in results:
        if r.kind not in ("shopify-orders", "woocommerce-orders", "cdnow") and r.records:
            for entity, counts in r.records.items():
                console.print(
                    f"{Path(r.file).name}: {entity}: {counts['new']:,} new, "
                    f"{counts['changed']:,} changed, {counts['unchanged']:,} unchanged"
                )
        if r.quarantined_orders:
            shown = ", ".join(r.quarantined_orders[:10])
            more = (
                f" and {len(r.quarantined_orders) - 10} more"
                if len(r.quarantined_orders) > 10
                else ""
            )
            console.print(f"[yellow]{Path(r.file).name}: quarantined orders {shown}{more}[/]")
        if r.rows_quarantined:
            console.print(f"  see: storeops quarantine --import {r.import_id}")


def imports_command(
    limit: Annotated[int, typer.Option(min=1, help="How many imports to list.")] = 50,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the import log, newest first."""
    with read_connection(settings_for(workspace)) as con:
        rows = list_imports(con, limit=limit)
    if as_json:
        print_json({"imports": rows})
        return
    table = Table(title="Imports", box=box.SIMPLE_HEAD)
    table.add_column("id", justify="right")
    table.add_column("finished (UTC)", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("file", overflow="fold")
    for column in ("rows", "quarantined", "new", "changed", "same"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["import_id"]),
            f"{row['finished_at']:%Y-%m-%d %H:%M}",
            row["kind"],
            Path(row["file"]).name,
            f"{row['rows_read']:,}",
            f"{row['rows_quarantined']:,}",
            f"{row['records_new']:,}",
            f"{row['records_changed']:,}",
            f"{row['records_unchanged']:,}",
        )
    console.print(table)


def quarantine_command(
    import_id: Annotated[
        int | None, typer.Option("--import", help="Only this import's rows.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many rows to list.")] = 100,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List quarantined rows with their file, line, field and reason."""
    with read_connection(settings_for(workspace)) as con:
        rows = list_quarantine(con, import_id=import_id, limit=limit)
        total = count_quarantine(con, import_id=import_id)
    if as_json:
        print_json({"total": total, "rows": rows})
        return
    table = Table(title=f"Quarantine ({total:,} rows)")
    for column in ("import", "file:line", "field", "reason", "record"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["import_id"]),
            f"{Path(row['file']).name}:{row['line'] if row['line'] is not None else '?'}",
            escape(row["field"] or ""),
            escape(row["reason"]),
            escape(row["record_ref"] or ""),
        )
    console.print(table)
    if total > len(rows):
        console.print(f"… {total - len(rows):,} more (use --limit)")
