"""What every command shares: the --workspace option, settings, consoles and JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from ibis.backends import BaseBackend
from rich.console import Console

from storeops.commerce.period import Compare, Period, resolve_period
from storeops.core.jsonout import jsonable
from storeops.core.settings import Settings, load_settings, resolve_workspace
from storeops.warehouse.engine import open_warehouse

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $STOREOPS_HOME, else ./storeops-data).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON with stable keys.")]
FromOption = Annotated[
    datetime | None,
    typer.Option(
        "--from", formats=["%Y-%m-%d"], help="First store-local day (default: first day with data)."
    ),
]
ToOption = Annotated[
    datetime | None,
    typer.Option(
        "--to",
        formats=["%Y-%m-%d"],
        help="Last store-local day, included (default: last day with data).",
    ),
]
CompareOption = Annotated[
    Compare,
    typer.Option(
        "--compare",
        help="Compare with the previous period, the same dates a year before, or nothing.",
    ),
]

console = Console()
err_console = Console(stderr=True)


def settings_for(workspace: Path | None) -> Settings:
    return load_settings(resolve_workspace(workspace))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(data), indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def warehouse_period(
    workspace: Path | None, start: datetime | None, end: datetime | None
) -> Iterator[tuple[Settings, BaseBackend, Period]]:
    """The workspace's settings, its warehouse and the period asked for (all data by default)."""
    settings = settings_for(workspace)
    with open_warehouse(settings) as con:
        period = resolve_period(con, start.date() if start else None, end.date() if end else None)
        yield settings, con, period


def fmt_money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{value:,.2f} {currency}"


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def fmt_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def interactive() -> bool:
    """Progress bars only for a person at a terminal, never in pipes or CI logs."""
    return console.is_terminal and not os.environ.get("CI")


def actor() -> str:
    """Who a CLI change is attributed to in the audit log."""
    try:
        return f"cli:{os.getlogin()}"
    except OSError:
        return f"cli:{os.environ.get('USER', 'unknown')}"
