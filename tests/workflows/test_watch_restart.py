"""The real engine with the watch hooks in a child process, killed with SIGKILL while an incident
is open and started again: no duplicate incident, and the recovery still resolves it.

SQLite only: the hooks' database work runs on both engines in test_watch.py; this test is about
processes dying, and each run costs several seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from storeops.core.settings import Settings
from storeops.db.engine import make_engine, session_factory
from storeops.itsm.models import Incident, IncidentEvent
from storeops.monitoring.models import MonitorState
from tests.workflows.watch_setup import add_monitor, add_service

ENGINE = """
import asyncio, signal, sys
from pathlib import Path
from storeops.core.settings import load_settings
from storeops.db.engine import make_engine, session_factory
from storeops.monitoring.engine import run_engine
from storeops.workflows.watch import WatchHooks

async def main():
    settings = load_settings(Path(sys.argv[1]))
    sessions = session_factory(make_engine(settings.database_url()))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await run_engine(sessions, settings, hooks=WatchHooks(settings), stop=stop)

asyncio.run(main())
"""


class Shop:
    """A page on 127.0.0.1 that answers 500 until told to recover."""

    def __init__(self) -> None:
        self.status = 500
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(shop.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop() -> Iterator[Shop]:
    server = Shop()
    yield server
    server.close()


def start_engine(workspace: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", ENGINE, str(workspace)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
    )


def wait_for(what, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what.__doc__}")


@pytest.mark.slow
def test_sigkill_and_restart_open_no_duplicate_incident(workspace: Settings, shop: Shop) -> None:
    engine = make_engine(workspace.database_url())
    sessions = session_factory(engine)
    with sessions() as session:
        checkout = add_service(session, "checkout", 1.0)
        monitor = add_monitor(session, "home", checkout, url=shop.url, interval_seconds=1)
        session.commit()
        monitor_id = monitor.id

    def incidents() -> list[Incident]:
        """incidents"""
        with sessions() as session:
            return list(session.scalars(select(Incident)))

    def checks_after(count: int):  # type: ignore[no-untyped-def]
        def more() -> bool:
            """more checks"""
            with sessions() as session:
                state = session.get(MonitorState, monitor_id)
                return state is not None and state.consecutive_failures >= count

        return more

    log = workspace.workspace / "engine.log"
    first = start_engine(workspace.workspace, log)
    try:
        [opened] = wait_for(incidents)
        wait_for(checks_after(4))  # a few failing checks after the incident opened
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

    second = start_engine(workspace.workspace, log)
    try:
        wait_for(checks_after(7))  # the restarted engine stores failures again
        assert [i.id for i in incidents()] == [opened.id]
        shop.status = 200

        def resolved() -> bool:
            """the incident resolved"""
            return all(i.status == "resolved" for i in incidents())

        wait_for(resolved)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0, log.read_text()

    with sessions() as session:
        [incident] = session.scalars(select(Incident)).all()
        events = session.scalars(
            select(IncidentEvent.kind)
            .where(IncidentEvent.incident_id == incident.id)
            .order_by(IncidentEvent.id)
        ).all()
        assert events == ["opened", "note", "monitor_recovered", "resolved"]  # note: no history
        assert session.get(MonitorState, monitor_id).incident_id is None
        assert incident.revenue_at_risk is not None
    engine.dispose()
