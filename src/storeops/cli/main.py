"""The `storeops` command. Errors a user can cause print one line and exit with status 2."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from storeops.cli import (
    aftersales,
    anomalies,
    baskets,
    brief,
    customers,
    demo,
    demo_shop,
    imports,
    kpis,
    monitor,
    promotions,
    sales,
    serve,
    stock,
    users,
    workspace,
)
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
app.command("brief")(brief.brief_command)
app.command("sales")(sales.sales_command)
app.command("baskets")(baskets.baskets_command)
app.command("demo")(demo.demo_command)
app.command("promotions")(promotions.promotions_command)
app.command("customers")(customers.customers_command)
app.command("stock")(stock.stock_command)
app.command("aftersales")(aftersales.aftersales_command)
app.command("anomalies")(anomalies.anomalies_command)
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")
app.command("serve")(serve.serve_command)
app.add_typer(monitor.monitor_app, name="monitor")
app.add_typer(demo_shop.demo_shop_app, name="demo-shop")


def main(argv: list[str] | None = None) -> int:
    """Runs the command line and returns the exit status (tests call this in-process).

    Typer reports usage errors itself (one message, status 2); errors a user causes deeper down
    arrive as UserError and are printed here the same way.
    """
    try:
        app(args=argv, prog_name="storeops")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UserError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return exc.exit_code
    return 0


def run() -> None:
    sys.exit(main())
