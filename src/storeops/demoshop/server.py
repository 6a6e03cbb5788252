"""Starting and stopping a demo shop on the running event loop: over HTTP, HTTPS or both (the
demo serves its pages over HTTP and its near-expiry certificate over HTTPS)."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from storeops.demoshop.app import make_app
from storeops.demoshop.catalogue import Catalogue
from storeops.demoshop.dns import serve_dns
from storeops.demoshop.faults import Faults, FaultSwitch
from storeops.demoshop.tls import TlsFiles, write_certificates


@dataclass(frozen=True)
class ShopConfig:
    host: str = "127.0.0.1"
    http_port: int | None = 8081  # 0: any free port; None: no HTTP
    https_port: int | None = None  # 0: any free port; None: no HTTPS
    dns_port: int | None = None  # UDP port answering DNS_NAME with the shop's address
    cert_days: float = 90  # the HTTPS certificate expires this many days after start
    # Where the CA and certificate are written (and kept, so a monitor can trust the CA after
    # the shop stops); None: a temporary folder removed at stop.
    tls_dir: Path | None = None
    faults: Faults = field(default_factory=Faults)
    admin_token: str | None = None  # None: a new random one
    seed: int | None = None  # for the error rate's draws


@dataclass
class RunningShop:
    url: str | None  # http://host:port/
    https_url: str | None  # https://host:port/
    admin_token: str
    faults: FaultSwitch
    tls: TlsFiles | None
    _runner: web.AppRunner
    _tls_dir: Path | None = None
    nameserver: str | None = None  # "127.0.0.1:5353" when answering DNS
    _dns: asyncio.DatagramTransport | None = None

    @property
    def base_url(self) -> str:
        return self.url or self.https_url or ""

    @property
    def ca_file(self) -> Path | None:
        return self.tls.ca_file if self.tls else None

    async def stop(self) -> None:
        if self._dns is not None:
            self._dns.close()
        await self._runner.cleanup()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)


def _url(scheme: str, host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"{scheme}://{shown}:{port}/"


def _ip_or_loopback(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "127.0.0.1"  # "localhost" and other names: the address they mean here


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=512)


async def start_shop(config: ShopConfig, *, now: datetime | None = None) -> RunningShop:
    """Listens on the configured ports and serves the shop until `stop()`.

    Raises OSError when a port is taken (the caller words it for its user)."""
    if config.http_port is None and config.https_port is None:
        raise ValueError("a demo shop needs an HTTP or an HTTPS port")
    token = config.admin_token or secrets.token_urlsafe(18)
    faults = FaultSwitch(config.faults)
    rng = random.Random(config.seed)
    app = make_app(Catalogue(), faults, admin_token=token, rng=rng)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    shop = RunningShop(None, None, token, faults, None, runner)
    try:
        if config.http_port is not None:
            sock = _listen(config.host, config.http_port)
            await web.SockSite(runner, sock).start()
            shop.url = _url("http", config.host, sock.getsockname()[1])
        if config.https_port is not None:
            if config.tls_dir is None:
                shop._tls_dir = Path(tempfile.mkdtemp(prefix="storeops-demo-shop-"))
            else:
                config.tls_dir.mkdir(parents=True, exist_ok=True)
            hosts = list(dict.fromkeys([config.host or "127.0.0.1", "127.0.0.1", "localhost"]))
            shop.tls = write_certificates(
                config.tls_dir or shop._tls_dir,
                hosts=hosts,
                days=config.cert_days,
                now=now or datetime.now(UTC),
            )
            sock = _listen(config.host, config.https_port)
            await web.SockSite(runner, sock, ssl_context=shop.tls.server_context()).start()
            shop.https_url = _url("https", config.host, sock.getsockname()[1])
        if config.dns_port is not None:
            address = _ip_or_loopback(urlsplit(shop.base_url).hostname or "")
            shop._dns, port = await serve_dns(config.host, config.dns_port, address=address)
            shop.nameserver = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    except BaseException:
        await shop.stop()
        raise
    return shop


async def serve(
    config: ShopConfig, stop: asyncio.Event, on_ready: Callable[[RunningShop], None]
) -> None:
    """Serves until `stop` is set; `on_ready` hears where (the CLI prints it)."""
    shop = await start_shop(config)
    try:
        on_ready(shop)
        await stop.wait()
    finally:
        await shop.stop()
