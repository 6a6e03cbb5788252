"""The reliability half of `storeops demo`: the demo shop served in-process, its services,
monitors and SLOs declared in storeops.toml, and a short watch during which checkout starts
failing, so the demo ends with real results, an open incident priced in lost revenue and an SLO
burning its budget."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storeops.cli.common import console
from storeops.cli.monitor import synced_state
from storeops.core.errors import UserError
from storeops.core.settings import Settings, load_settings
from storeops.demoshop.faults import Faults
from storeops.demoshop.monitors import demo_declarations
from storeops.demoshop.runner import BackgroundShop
from storeops.demoshop.server import RunningShop, ShopConfig
from storeops.itsm import queries as incidents
from storeops.itsm.models import Service
from storeops.monitoring.engine import run_engine
from storeops.monitoring.models import Slo
from storeops.monitoring.notify import Notifier
from storeops.monitoring.queries import monitor_rows
from storeops.monitoring.slo import slo_status
from storeops.workflows.revenue_at_risk import format_money, live_amount, rate_text
from storeops.workflows.watch import WatchHooks

BLOCK_START = "# >>> storeops demo: the demo shop's services, monitors and SLOs"
BLOCK_END = "# <<< storeops demo"
_BLOCK = re.compile(rf"\n*{re.escape(BLOCK_START)}.*?{re.escape(BLOCK_END)}[^\n]*\n?", re.S)
TLS_DIR = "demo-shop"  # in the workspace: the CA stays trusted after the demo stops
INTERVAL_S = 5.0  # demo monitors check often, so an incident opens within seconds
FAILING_PATH = "/checkout"
# Checks before and after checkout breaks: every monitor checked at least once, then time for
# the journey to fail its threshold and the incident to open.
HEALTHY_S = INTERVAL_S * 1.5
FAULT_TIMEOUT_S = 45.0


@dataclass
class DemoShop:
    """The shop served on its own thread while the demo (and --serve) runs."""

    background: BackgroundShop
    shop: RunningShop

    def stop(self) -> None:
        self.background.stop()


def start_demo_shop(settings: Settings, port: int) -> DemoShop:
    """Serves the demo shop on `port` (HTTP), the next port (HTTPS, certificate 3 days from
    expiry) and a DNS port; any free ports when those are taken."""
    tls_dir = settings.workspace / TLS_DIR
    for ports in ((port, port + 1, port + 2), (0, 0, 0)) if port else ((0, 0, 0),):
        config = ShopConfig(
            http_port=ports[0], https_port=ports[1], dns_port=ports[2], cert_days=3, tls_dir=tls_dir
        )
        background = BackgroundShop(config)
        try:
            return DemoShop(background, background.start())
        except OSError:
            background.stop()
    raise UserError("the demo shop could not listen on 127.0.0.1")


def declare_demo(settings: Settings, shop: RunningShop) -> Settings:
    """Writes the demo shop's services, monitors and SLOs into storeops.toml (replacing the
    block an earlier demo wrote) and returns the settings reloaded, so they are validated."""
    file = settings.settings_file
    text = _BLOCK.sub("\n", file.read_text(encoding="utf-8")).rstrip("\n") + "\n"
    # A [monitoring] table of the user's own keeps its ca_file; the certificate monitor then
    # goes, rather than failing on a CA it was not told to trust.
    own_monitoring = re.search(r"^\s*\[monitoring\]", text, re.M) is not None
    assert shop.url is not None
    tables: dict[str, Any] = {}
    if not own_monitoring and shop.ca_file is not None:
        tables["monitoring"] = {"ca_file": str(Path(TLS_DIR) / shop.ca_file.name)}
    tables.update(
        demo_declarations(
            shop.url,
            https_url=None if own_monitoring else shop.https_url,
            nameserver=shop.nameserver,
            interval=INTERVAL_S,
        )
    )
    block = (
        f"\n{BLOCK_START} (storeops demo rewrites this block; remove it to stop watching the "
        f"demo shop)\n{tomli_w.dumps(tables)}{BLOCK_END}\n"
    )
    file.write_text(text + block, encoding="utf-8")
    return load_settings(settings.workspace)


def watch_demo(settings: Settings, demo: DemoShop) -> dict[str, Any]:
    """Runs the monitors against the healthy shop, breaks its checkout, and waits for the
    incident; returns what it found (see `reliability_summary`)."""
    with synced_state(settings) as sessions:
        hooks = WatchHooks(settings, notifier=Notifier())
        asyncio.run(_watch(sessions, settings, hooks, demo))
        with sessions() as session:
            send = hooks.every_minute(session, datetime.now(UTC))  # the SLOs see the whole outage
            session.commit()
            if send is not None:  # notices go out once their transaction is committed
                send(session)
                session.commit()
        with sessions() as session:
            return reliability_summary(session, settings, demo.shop)


async def _watch(
    sessions: sessionmaker[Session], settings: Settings, hooks: WatchHooks, demo: DemoShop
) -> None:
    stop = asyncio.Event()
    engine = asyncio.create_task(run_engine(sessions, settings, hooks=hooks, stop=stop))
    try:
        await asyncio.sleep(HEALTHY_S)
        demo.shop.faults.set(Faults(error_rate=1.0, paths=(FAILING_PATH,)))
        deadline = time.monotonic() + FAULT_TIMEOUT_S
        while time.monotonic() < deadline and not await asyncio.to_thread(
            _checkout_incident_open, sessions
        ):
            await asyncio.sleep(1)
    finally:
        stop.set()
        await engine


def _checkout_incident_open(sessions: sessionmaker[Session]) -> bool:
    """Whether checkout has its incident and the journey has failed its threshold."""
    with sessions() as session:
        service = incidents.service_named(session, "checkout")
        if service is None or incidents.open_incident_of(session, service.id) is None:
            return False
        rows = monitor_rows(session, service_id=service.id, status="down", limit=None).rows
        return any(row.kind == "journey" for row in rows)


def keep_watching(settings: Settings) -> Callable[[], None]:
    """Runs the monitoring engine on its own thread (for `storeops demo --serve`); returns the
    function that stops it, storing the checks in flight."""
    started = threading.Event()
    control: dict[str, Any] = {}

    def run() -> None:
        async def main(sessions: sessionmaker[Session]) -> None:
            control["loop"], control["stop"] = asyncio.get_running_loop(), asyncio.Event()
            started.set()
            hooks = WatchHooks(settings, notifier=Notifier())
            await run_engine(sessions, settings, hooks=hooks, stop=control["stop"])

        try:
            with synced_state(settings) as sessions:
                asyncio.run(main(sessions))
        finally:
            started.set()

    thread = threading.Thread(target=run, name="storeops-monitor", daemon=True)
    thread.start()
    started.wait(30)

    def stop() -> None:
        if "loop" in control and thread.is_alive():
            control["loop"].call_soon_threadsafe(control["stop"].set)
        thread.join(30)

    return stop


def reliability_summary(session: Session, settings: Settings, shop: RunningShop) -> dict[str, Any]:
    now = datetime.now(UTC)
    currency = settings.store.currency
    services = {s.id: s for s in session.scalars(select(Service))}
    page = monitor_rows(session, limit=None, now=now)
    open_now = incidents.open_incidents(session)
    slos = [
        slo_status(session, slo, now) for slo in session.scalars(select(Slo).order_by(Slo.name))
    ]
    return {
        "shop_url": shop.url,
        "monitors": [
            {
                "name": row.name,
                "kind": row.kind,
                "service": services[row.service_id].name,
                "status": row.status,
                "last_error": row.last_error,
            }
            for row in page.rows
        ],
        "incidents": [
            {
                "id": incident.id,
                "service": services[incident.service_id].name,
                "title": incident.title,
                "severity": incident.severity,
                "revenue_per_minute": rate_text(incident.revenue_per_minute, currency),
                "revenue_at_risk": format_money(live_amount(incident, now), currency),
            }
            for incident in open_now
        ],
        "slos": [
            {
                "name": status.name,
                "sli": status.sli,
                "budget_remaining": status.budget_remaining,
                "burn_1h": status.burn.get("1h"),
            }
            for status in slos
        ],
    }


def print_reliability(summary: dict[str, Any]) -> None:
    console.print(f"\n[bold]Reliability[/bold]: the demo shop at {summary['shop_url']}")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("monitor", no_wrap=True)
    table.add_column("service", no_wrap=True, min_width=10)
    table.add_column("status", no_wrap=True, min_width=7)
    table.add_column("last error", no_wrap=True, overflow="ellipsis", max_width=40)
    for row in summary["monitors"]:
        colour = {"up": "green", "down": "red"}.get(row["status"], "yellow")
        table.add_row(
            f"{row['name']} ({row['kind']})",
            row["service"],
            f"[{colour}]{row['status']}[/{colour}]",
            " ".join((row["last_error"] or "").split()),
        )
    console.print(table)
    for incident in summary["incidents"]:
        console.print(
            f"[bold red]Incident #{incident['id']}[/bold red] {incident['severity']} "
            f"{_shorten(incident['title'], 60)}: {incident['revenue_at_risk']} at risk so far, "
            f"{incident['revenue_per_minute']}",
            highlight=False,
        )
    for slo in summary["slos"]:
        left = slo["budget_remaining"]
        if left is None:
            continue
        budget = f"{left:.0%} of the error budget left" if left > 0 else "error budget spent"
        burn = f", burning it {slo['burn_1h']:.0f}× too fast" if slo["burn_1h"] else ""
        console.print(f"SLO {slo['name']}: {budget}{burn}", highlight=False)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
