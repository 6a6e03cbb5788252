"""`storeops demo-shop`: serve the local demo storefront, and switch its faults while it runs."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from storeops.cli.common import JsonOption, console, print_json
from storeops.core.errors import UserError
from storeops.demoshop.admin import send_faults
from storeops.demoshop.dns import DNS_NAME
from storeops.demoshop.faults import BadFaults, Faults, parse_faults
from storeops.demoshop.server import RunningShop, ShopConfig, serve

demo_shop_app = typer.Typer(
    help="Serve a small local shop whose faults can be switched on, for monitors to watch.",
    no_args_is_help=False,
)
fault_app = typer.Typer(help="Switch the faults of a running demo shop.", no_args_is_help=True)
demo_shop_app.add_typer(fault_app, name="fault")

LatencyOption = Annotated[
    int, typer.Option("--latency-ms", "--latency", min=0, max=120_000, help="Added latency (ms).")
]
ErrorsOption = Annotated[
    float,
    typer.Option("--errors", "--error-rate", min=0, max=1, help="Share answered with a 500."),
]
PathOption = Annotated[
    list[str] | None,
    typer.Option("--path", help="Path the faults apply to (repeat; default: every path)."),
]
DownOption = Annotated[
    bool, typer.Option("--down", help="Close connections without answering (an outage).")
]
WrongStockOption = Annotated[
    bool, typer.Option("--wrong-stock", help="The stock JSON reports impossible availability.")
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="STOREOPS_DEMO_SHOP_TOKEN",
        help="The admin token (default when serving: a new random one).",
        show_default=False,
    ),
]
UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="STOREOPS_DEMO_SHOP_URL", help="The running demo shop."),
]
CaFileOption = Annotated[
    Path | None, typer.Option("--ca-file", help="With an https:// URL: the CA file it printed.")
]


def _faults(
    latency_ms: int, errors: float, paths: list[str] | None, down: bool, wrong_stock: bool
) -> Faults:
    flags = {"latency_ms": "--latency-ms", "error_rate": "--errors", "paths": "--path"}
    try:
        return parse_faults(
            {
                "latency_ms": latency_ms,
                "error_rate": errors,
                "paths": paths or [],
                "down": down,
                "wrong_stock": wrong_stock,
            }
        )
    except BadFaults as exc:
        raise UserError(f"{flags.get(exc.field, exc.field)}: {exc.reason}") from None


@demo_shop_app.callback(invoke_without_command=True)
def demo_shop_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8081,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS from a local CA.")] = False,
    cert_days: Annotated[
        float, typer.Option(help="With --tls: days until the certificate expires.")
    ] = 90,
    dns_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help=f"Also answer DNS for {DNS_NAME} on this UDP port."),
    ] = None,
    latency_ms: LatencyOption = 0,
    errors: ErrorsOption = 0.0,
    paths: PathOption = None,
    down: DownOption = False,
    wrong_stock: WrongStockOption = False,
    token: TokenOption = None,
) -> None:
    """Serve the demo shop in the foreground until Ctrl-C (faults given here are on from start)."""
    if ctx.invoked_subcommand is not None:
        return
    config = ShopConfig(
        host=host,
        http_port=None if tls else port,
        https_port=port if tls else None,
        cert_days=cert_days,
        dns_port=dns_port,
        faults=_faults(latency_ms, errors, paths, down, wrong_stock),
        admin_token=token,
    )
    try:
        asyncio.run(_serve_until_signalled(config))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


async def _serve_until_signalled(config: ShopConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(config, stop, on_ready=_print_ready)
    console.print("Demo shop stopped.", highlight=False)


def _print_ready(shop: RunningShop) -> None:
    lines = [f"Demo shop: {shop.base_url}", f"Admin token: {shop.admin_token}"]
    if shop.ca_file is not None:
        lines.append(f"CA file: {shop.ca_file}")
    if shop.nameserver is not None:
        lines.append(f"DNS: {DNS_NAME} at {shop.nameserver}")
    lines.append(f"Faults: {shop.faults.current.describe()}")
    ca = f" --ca-file {shop.ca_file}" if shop.ca_file else ""
    lines.append(
        f"Switch faults: storeops demo-shop fault set --url {shop.base_url} "
        f"--token {shop.admin_token}{ca} --latency-ms 1500 --path /checkout"
    )
    lines.append("Stop with Ctrl-C.")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


@fault_app.command("set")
def fault_set(
    url: UrlOption = "http://127.0.0.1:8081/",
    token: TokenOption = None,
    ca_file: CaFileOption = None,
    latency_ms: LatencyOption = 0,
    errors: ErrorsOption = 0.0,
    paths: PathOption = None,
    down: DownOption = False,
    wrong_stock: WrongStockOption = False,
    as_json: JsonOption = False,
) -> None:
    """Replace the running shop's faults with these (flags not given are off)."""
    faults = _faults(latency_ms, errors, paths, down, wrong_stock)
    _report(send_faults(url, _required(token), faults, ca_file=ca_file), as_json)


@fault_app.command("clear")
def fault_clear(
    url: UrlOption = "http://127.0.0.1:8081/",
    token: TokenOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Switch every fault of the running shop off."""
    _report(send_faults(url, _required(token), None, ca_file=ca_file), as_json)


def _required(token: str | None) -> str:
    if not token:
        raise UserError("--token: give the admin token the demo shop printed at start")
    return token


def _report(faults: Faults, as_json: bool) -> None:
    if as_json:
        print_json(faults.model_dump(mode="json"))
    else:
        console.print(f"Faults: {faults.describe()}", highlight=False)
