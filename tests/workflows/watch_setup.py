"""A state DB with services and monitors, results fed through the real ResultWriter, and a
webhook receiver on 127.0.0.1 that Apprise's json:// posts to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.orm import Session

from storeops.core.settings import Settings
from storeops.itsm import actions as itsm_actions
from storeops.itsm.models import Origin, Service
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring import actions as monitoring_actions
from storeops.monitoring.engine import AfterCommit
from storeops.monitoring.models import Monitor
from storeops.monitoring.probes import ProbeResult
from storeops.monitoring.results import ResultWriter, Transition
from storeops.monitoring.spec import MonitorSpec
from storeops.workflows.watch import WatchHooks

ACTOR = "cli:test"


def add_service(session: Session, name: str, impact: float) -> Service:
    spec = ServiceSpec(name=name, impact=impact)
    return itsm_actions.upsert_service(session, spec, origin=Origin.config, actor=ACTOR)


def add_monitor(session: Session, name: str, service: Service, **fields: object) -> Monitor:
    values: dict[str, object] = {
        "url": "http://127.0.0.1:9/",
        "failure_threshold": 2,
        "success_threshold": 2,
    }
    spec = MonitorSpec(name=name, kind="http", service=service.name, **(values | fields))
    return monitoring_actions.create_monitor(
        session, spec, service_id=service.id, origin="config", actor=ACTOR
    )


@dataclass
class Engine:
    """What the monitoring engine does with results, minus the probing: the real writer, the
    real hooks, one transaction per flush."""

    session: Session
    hooks: WatchHooks
    writer: ResultWriter = field(default_factory=ResultWriter)

    def result(
        self,
        monitor: Monitor,
        ok: bool,
        at: datetime,
        error: str = "HTTP 500",
        duration_ms: float = 42.0,
    ) -> list[Transition]:
        status = 200 if ok else 500
        probe = ProbeResult(
            ok=ok, duration_ms=duration_ms, status_code=status, error=None if ok else error
        )
        self.writer.add(monitor.id, at, probe, False)
        return self.flush(at)

    def flush(self, now: datetime) -> list[Transition]:
        transitions = self.writer.flush(self.session, now)
        self.after_commit(self.hooks.after_flush(self.session, transitions, now))
        return transitions

    def minute(self, now: datetime) -> None:
        self.after_commit(self.hooks.every_minute(self.session, now))

    def after_commit(self, work: AfterCommit | None) -> None:
        """Commits, then runs what the hooks left for after the commit, as the engine does."""
        self.session.commit()
        if work is not None:
            work(self.session)
            self.session.commit()


@dataclass
class Webhook:
    url: str
    posts: list[dict] = field(default_factory=list)

    def titles(self) -> list[str]:
        return [post["title"] for post in self.posts]


@contextmanager
def webhook_receiver() -> Iterator[Webhook]:
    receiver = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.posts.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def shop_settings(workspace: Settings) -> Settings:
    """The workspace with the hand-made shop of revenue_rate_data: 1.2833 a minute on Tuesday
    25 March 2025 at 14:xx in Paris."""
    from tests.commerce.revenue_rate_data import ORDINARY, write_warehouse

    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    write_warehouse(path, ORDINARY)
    return workspace
