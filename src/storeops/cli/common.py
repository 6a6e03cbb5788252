"""What every command shares: the --workspace option, settings, consoles and JSON output."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from storeops.core.settings import Settings, load_settings, resolve_workspace

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

console = Console()
err_console = Console(stderr=True)


def settings_for(workspace: Path | None) -> Settings:
    return load_settings(resolve_workspace(workspace))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def interactive() -> bool:
    """Progress bars only for a person at a terminal, never in pipes or CI logs."""
    return console.is_terminal and not os.environ.get("CI")


def actor() -> str:
    """Who a CLI change is attributed to in the audit log."""
    try:
        return f"cli:{os.getlogin()}"
    except OSError:
        return f"cli:{os.environ.get('USER', 'unknown')}"
