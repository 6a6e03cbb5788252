"""Notifications of the watch workflow leave the database alone while they are sent (the
transaction that decided them is committed first), and a channel that keeps failing is tried
again after growing pauses, not after every result. On SQLite and PostgreSQL, through Apprise to
a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from storeops.core.settings import Settings
from storeops.db.engine import normalise_url
from storeops.monitoring import actions as monitoring_actions
from storeops.monitoring.models import NotificationLog
from storeops.monitoring.notify import LONGEST_RETRY, Notifier
from storeops.monitoring.spec import ChannelSpec
from storeops.workflows.watch import WatchHooks
from tests.workflows.watch_setup import ACTOR, Engine, add_monitor, add_service, shop_settings

T0 = datetime(2025, 3, 25, 13, 20, tzinfo=UTC)


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    titles: list[str] = field(default_factory=list)
    on_post: Callable[[], None] | None = None


@contextmanager
def receiver() -> Iterator[Receiver]:
    hook = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.titles.append(json.loads(body)["title"])
            if hook.on_post is not None:
                hook.on_post()
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def engine_telling(session: Session, workspace: Settings, url: str) -> Engine:
    """The watch's engine with one channel, "ops", that tells `url` of every failure."""
    monitoring_actions.create_channel(
        session, ChannelSpec(name="ops", url=url, failure_threshold=1),
        origin="config", actor=ACTOR,
    )  # fmt: skip
    session.commit()
    return Engine(session, WatchHooks(shop_settings(workspace), notifier=Notifier()))


def impatient_writer(database_url: str):  # type: ignore[no-untyped-def]
    """Another client of the state DB that gives up on a lock after half a second."""
    url = normalise_url(database_url)
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 0.5})
    return create_engine(url, connect_args={"options": "-c lock_timeout=500"})


def test_the_database_is_free_while_a_notice_is_delivered(
    workspace: Settings, database_url: str, session: Session
) -> None:
    checkout = add_service(session, "checkout", 1.0)
    home = add_monitor(session, "home", checkout, failure_threshold=1)
    other = impatient_writer(database_url)
    outcomes: list[str] = []

    def write_meanwhile() -> None:
        # The very rows the failing result updated: its state and its service.
        try:
            with other.begin() as con:
                con.execute(text("UPDATE monitor_state SET last_error = 'seen' WHERE monitor_id = :id"), {"id": home.id})  # fmt: skip
                con.execute(text("UPDATE services SET description = 'busy' WHERE id = :id"), {"id": checkout.id})  # fmt: skip
            outcomes.append("written")
        except Exception as exc:  # what the other client hit is the finding
            outcomes.append(type(exc).__name__)

    with receiver() as hook:
        hook.on_post = write_meanwhile
        engine = engine_telling(session, workspace, hook.url)
        engine.result(home, False, T0)
        assert hook.titles == ["Checkout: home failing (HTTP 500)"]
    other.dispose()
    assert outcomes == ["written"]
    [logged] = session.scalars(select(NotificationLog)).all()
    assert (logged.kind, logged.ok, logged.monitor_id) == ("failure", True, home.id)


def test_a_failing_channel_is_tried_after_growing_pauses_then_told_once(
    workspace: Settings, session: Session
) -> None:
    checkout = add_service(session, "checkout", 1.0)
    home = add_monitor(session, "home", checkout, failure_threshold=1)
    step = timedelta(seconds=30)  # a flush every 30 s of a monitor failing for 50 minutes
    with receiver() as hook:
        hook.status = 500
        engine = engine_telling(session, workspace, hook.url)
        at = T0
        while at < T0 + timedelta(minutes=50):
            if at == T0 + timedelta(minutes=20):
                # A new process in the middle: the pace is read from the log, not memory.
                engine = Engine(session, WatchHooks(shop_settings(workspace), notifier=Notifier()))
            engine.result(home, False, at)
            at += step
        attempts = list(session.scalars(select(NotificationLog.at).order_by(NotificationLog.id)))
        pauses = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
        # 1, 2, 4, 8 minutes, then 15 (rounded up to the next flush): not 100 attempts.
        expected = timedelta(minutes=1)
        for pause in pauses:
            assert expected <= pause < expected + step, pauses
            expected = min(2 * pause, LONGEST_RETRY)
        assert len(hook.titles) == len(attempts) >= 6
        assert expected == LONGEST_RETRY  # the pauses reached the longest

        hook.status = 200  # the channel is back: told at its next try, then left in peace
        for _ in range(40):
            engine.result(home, False, at)
            at += step
        oks = session.scalars(select(NotificationLog.ok).order_by(NotificationLog.id)).all()
        assert oks[-1] is True and oks.count(True) == 1
        assert len(hook.titles) == len(oks)
