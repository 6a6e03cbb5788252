"""The `storeops` command. Errors a user can cause print one line and exit with status 2."""

from __future__ import annotations

import sys

import click
import typer
from rich.markup import escape

from storeops.cli import demo, imports, kpis, workspace
from storeops.cli.common import err_console
from storeops.core.errors import UserError

app = typer.Typer(
    name="storeops",
    help="The operations control tower of an online shop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(workspace.init)
app.command("import")(imports.import_command)
app.command("imports")(imports.imports_command)
app.command("quarantine")(imports.quarantine_command)
app.command("kpis")(kpis.kpis_command)
app.command("demo")(demo.demo_command)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line and returns the exit status (tests call this in-process)."""
    try:
        code = app(args=argv, standalone_mode=False)
    except UserError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 130
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())
