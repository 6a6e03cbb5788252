"""Notifications end to end through the real Apprise: e-mail to an SMTP server (aiosmtpd) and
json:// and form:// posts to a webhook receiver, all on 127.0.0.1; channel thresholds,
reminders, resolved notices and restarts against the state DB on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.monitoring.models import (
    ChannelAlertState,
    Monitor,
    NotificationChannel,
    NotificationLog,
    Slo,
    SloAlert,
)
from storeops.monitoring.notify import (
    DeliveryFailed,
    Message,
    Notice,
    Notifier,
    apprise_send,
    redact_channel_url,
)

from .statedb import add_service, migrated_session

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
FAILING = Message("checkout is down", "checkout-page failed 3 times; EUR 412.50/min at risk")
RESOLVED = Message("checkout is back", "checkout-page recovered after 7 minutes")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def url(self, to: str = "ops@shop.example") -> str:
        # A plain SMTP server (no TLS, no login) on a custom port: mailto:// on a host that is
        # none of Apprise's built-in providers speaks plain SMTP unless ?mode= asks otherwise.
        return f"mailto://127.0.0.1:{self.port}?from=storeops@shop.example&to={to}"

    def subjects(self) -> list[str]:
        return [str(m["subject"]) for m in self.messages]

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Webhook:
    port: int
    posts: list[tuple[str, str, bytes]] = field(default_factory=list)

    def json_url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self, path: str = "/hook") -> list[str]:
        return [json.loads(body)["title"] for p, _, body in self.posts if p == path]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    receiver = Webhook(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.posts.append((self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# --- Apprise delivery alone ------------------------------------------------------------------


def test_email_reaches_a_plain_smtp_server_on_a_custom_port(smtp: Inbox) -> None:
    apprise_send(smtp.url(), Message("Checkout down — €412.50/min", "Line one\nLine two"))
    assert smtp.envelopes == [("storeops@shop.example", ["ops@shop.example"])]
    mail = smtp.messages[0]
    assert mail["subject"] == "Checkout down — €412.50/min"
    assert mail["to"] == "ops@shop.example"
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content().splitlines() == ["Line one", "Line two"]


def test_json_and_form_webhooks_receive_title_and_body(webhook: Webhook) -> None:
    apprise_send(webhook.json_url(), Message("T1", "B1"))
    apprise_send(f"form://127.0.0.1:{webhook.port}/form", Message("T2", "B2"))
    (json_path, json_type, json_body), (form_path, form_type, form_body) = webhook.posts
    assert (json_path, json_type) == ("/hook", "application/json")
    payload = json.loads(json_body)
    assert (payload["title"], payload["message"]) == ("T1", "B1")
    assert (form_path, form_type) == ("/form", "application/x-www-form-urlencoded")
    form = parse_qs(form_body.decode())
    assert (form["title"], form["message"]) == (["T2"], ["B2"])


def test_a_closed_port_fails_with_a_reason() -> None:
    with pytest.raises(DeliveryFailed, match="onnection"):
        apprise_send(f"json://127.0.0.1:{free_port()}/x", Message("t", "b"))
    with pytest.raises(DeliveryFailed, match="does not accept"):
        apprise_send("nosuchscheme://whatever", Message("t", "b"))


def test_redaction_removes_every_secret_looking_part_of_the_url() -> None:
    url = "json://bot:p%40ssw0rd@hooks.example.com:8443/T0KEN123/abc?token=xyz789&to=ops"
    text = f"failed posting to {url}: bot p@ssw0rd T0KEN123 xyz789 at hooks.example.com"
    cleaned = redact_channel_url(text, url)
    for secret in ("p@ssw0rd", "p%40ssw0rd", "T0KEN123", "xyz789", "bot"):
        assert secret not in cleaned
    assert "hooks.example.com" in cleaned  # a host name helps and is no secret
    token_host = "tgram://123456789:AAEhBOweik6ad9r/12345"
    assert "AAEhBOweik6ad9r" not in redact_channel_url("bad token AAEhBOweik6ad9r", token_host)


# --- Channels against the state DB --------------------------------------------------------------


@dataclass
class Setup:
    session: Session
    monitor_id: int
    service_id: int


def setup_db(session: Session, channels: list[NotificationChannel]) -> Setup:
    service = add_service(session, "checkout")
    monitor = Monitor(name="checkout-page", kind="http", service_id=service.id, spec={})
    session.add(monitor)
    session.add_all(channels)
    session.commit()
    return Setup(session, monitor.id, service.id)


def deliver(notifier: Notifier, session: Session, notices: list[Notice], now: datetime):  # type: ignore[no-untyped-def]
    """As the engine does: the planning transaction committed, then sent, then recorded."""
    session.commit()
    deliveries = notifier.deliver(session, notices, now)
    session.commit()
    return deliveries


def notify(notifier: Notifier, s: Setup, failures: int, successes: int, now: datetime):  # type: ignore[no-untyped-def]
    notices = notifier.plan_monitor(
        s.session,
        monitor_id=s.monitor_id,
        consecutive_failures=failures,
        consecutive_successes=successes,
        message_failing=FAILING,
        message_resolved=RESOLVED,
        now=now,
    )
    return sorted((d.channel, d.kind) for d in deliver(notifier, s.session, notices, now))


def remind_at(notifier: Notifier, session: Session, now: datetime, message_for):  # type: ignore[no-untyped-def]
    notices = notifier.plan_reminders(session, now, message_for)
    return deliver(notifier, session, notices, now)


def logged(session: Session) -> list[tuple[str, str, bool]]:
    rows = session.execute(
        select(NotificationChannel.name, NotificationLog.kind, NotificationLog.ok)
        .join(NotificationChannel, NotificationChannel.id == NotificationLog.channel_id)
        .order_by(NotificationLog.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_thresholds_reminders_and_resolved_notice(
    database_url: str, smtp: Inbox, webhook: Webhook
) -> None:
    with migrated_session(database_url) as session:
        s = setup_db(
            session,
            [
                NotificationChannel(
                    name="email", url=smtp.url(), failure_threshold=3, success_threshold=2
                ),
                NotificationChannel(
                    name="chat",
                    url=webhook.json_url(),
                    failure_threshold=1,
                    success_threshold=1,
                    remind_every_minutes=10,
                    send_resolved=False,
                ),
                NotificationChannel(name="off", url=webhook.json_url("off"), enabled=False),
            ],
        )
        notifier = Notifier()
        minute = timedelta(minutes=1)
        assert notify(notifier, s, 0, 5, T0) == []
        assert notify(notifier, s, 1, 0, T0 + minute) == [("chat", "failure")]
        assert notify(notifier, s, 2, 0, T0 + 2 * minute) == []
        assert notify(notifier, s, 3, 0, T0 + 3 * minute) == [("email", "failure")]
        assert notify(notifier, s, 4, 0, T0 + 4 * minute) == []
        assert smtp.subjects() == ["checkout is down"]
        assert webhook.titles() == ["checkout is down"]
        assert webhook.titles("/off") == []

        def message_for(monitor_id: int) -> Message:
            assert monitor_id == s.monitor_id
            return Message("still down", "for a while")

        def remind(at: datetime) -> list[str]:
            return [d.channel for d in remind_at(notifier, session, at, message_for)]

        assert remind(T0 + 10 * minute) == []  # told at T0+1: not yet ten minutes
        assert remind(T0 + 11 * minute) == ["chat"]
        assert remind(T0 + 15 * minute) == []
        assert remind(T0 + 21 * minute) == ["chat"]
        assert webhook.titles() == ["checkout is down", "still down", "still down"]

        # Recovery: chat (success threshold 1, no resolved notice) is cleared at once and
        # reminded no more; e-mail says resolved after two successes, once.
        assert notify(notifier, s, 0, 1, T0 + 22 * minute) == []
        assert notify(notifier, s, 0, 2, T0 + 23 * minute) == [("email", "resolved")]
        assert notify(notifier, s, 0, 3, T0 + 24 * minute) == []
        assert remind(T0 + 60 * minute) == []
        assert smtp.subjects() == ["checkout is down", "checkout is back"]
        assert logged(session) == [
            ("chat", "failure", True),
            ("email", "failure", True),
            ("chat", "reminder", True),
            ("chat", "reminder", True),
            ("email", "resolved", True),
        ]
        states = session.scalars(select(ChannelAlertState)).all()
        assert [s.triggered_at for s in states] == [None, None]


def test_a_channel_quicker_to_resolve_than_the_monitor_is_not_told_twice(
    database_url: str, webhook: Webhook
) -> None:
    # The monitor keeps its failing streak (3) until its own success threshold; the channel
    # needs one success: resolved once, and the streak still counted is no new failure.
    with migrated_session(database_url) as session:
        s = setup_db(
            session,
            [
                NotificationChannel(
                    name="chat", url=webhook.json_url(), failure_threshold=3, success_threshold=1
                )
            ],
        )
        notifier = Notifier()
        minute = timedelta(minutes=1)
        assert notify(notifier, s, 3, 0, T0) == [("chat", "failure")]
        assert notify(notifier, s, 3, 1, T0 + minute) == [("chat", "resolved")]
        assert notify(notifier, s, 3, 2, T0 + 2 * minute) == []
        assert notify(notifier, s, 0, 3, T0 + 3 * minute) == []
        assert notify(notifier, s, 4, 0, T0 + 4 * minute) == [("chat", "failure")]
        assert webhook.titles() == ["checkout is down", "checkout is back", "checkout is down"]


def test_a_restart_sends_nothing_twice(database_url: str, smtp: Inbox) -> None:
    with migrated_session(database_url) as session:
        s = setup_db(
            session,
            [
                NotificationChannel(
                    name="email", url=smtp.url(), failure_threshold=2, remind_every_minutes=30
                )
            ],
        )
        assert notify(Notifier(), s, 2, 0, T0) == [("email", "failure")]
    # A new process: new engine, new session, new notifier; the monitor is still failing.
    with migrated_session(database_url) as session:
        s.session = session
        fresh = Notifier()
        assert notify(fresh, s, 3, 0, T0 + timedelta(minutes=1)) == []
        assert remind_at(fresh, session, T0 + timedelta(minutes=29), lambda _: FAILING) == []
        assert [
            d.kind for d in remind_at(fresh, session, T0 + timedelta(minutes=30), lambda _: FAILING)
        ] == ["reminder"]
        session.commit()
    with migrated_session(database_url) as session:
        s.session = session
        assert remind_at(Notifier(), session, T0 + timedelta(minutes=31), lambda _: FAILING) == []
        assert notify(Notifier(), s, 0, 2, T0 + timedelta(minutes=32)) == [("email", "resolved")]
        assert notify(Notifier(), s, 0, 3, T0 + timedelta(minutes=33)) == []
    assert smtp.subjects() == ["checkout is down", "checkout is down", "checkout is back"]


def test_a_failing_channel_is_logged_without_secrets_and_retried(
    database_url: str, webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    secret_url = f"json://ops:S3cretPw@127.0.0.1:{free_port()}/T0kenAbc123"
    with migrated_session(database_url) as session:
        s = setup_db(
            session,
            [
                NotificationChannel(name="broken", url=secret_url, failure_threshold=1),
                NotificationChannel(name="chat", url=webhook.json_url(), failure_threshold=1),
            ],
        )
        notifier = Notifier()
        with caplog.at_level(logging.DEBUG, logger="storeops"):
            assert notify(notifier, s, 1, 0, T0) == [("broken", "failure"), ("chat", "failure")]
            # Not delivered, so not marked as told: the next result tries again; chat is done.
            assert notify(notifier, s, 2, 0, T0 + timedelta(minutes=1)) == [("broken", "failure")]
        assert logged(session) == [
            ("broken", "failure", False),
            ("chat", "failure", True),
            ("broken", "failure", False),
        ]
        errors = session.scalars(select(NotificationLog.error).where(NotificationLog.ok.is_(False)))
        for error in errors:
            assert error and "onnection" in error
            assert "S3cretPw" not in error and "T0kenAbc123" not in error
        storeops_logs = " ".join(
            r.getMessage() for r in caplog.records if r.name.startswith("storeops")
        )
        assert "channel broken failed" in storeops_logs
        assert "S3cretPw" not in storeops_logs and "T0kenAbc123" not in storeops_logs
        assert webhook.titles() == ["checkout is down"]


def test_monitors_in_bulk_read_their_counts_from_monitor_state(
    database_url: str, webhook: Webhook
) -> None:
    from storeops.monitoring.models import MonitorState

    with migrated_session(database_url) as session:
        s = setup_db(
            session, [NotificationChannel(name="chat", url=webhook.json_url(), failure_threshold=2)]
        )
        quiet = Monitor(name="search-api", kind="http", service_id=s.service_id, spec={})
        session.add(quiet)
        session.flush()
        session.add_all(
            [
                MonitorState(
                    monitor_id=s.monitor_id, consecutive_failures=2, consecutive_successes=0
                ),
                MonitorState(monitor_id=quiet.id, consecutive_failures=1, consecutive_successes=0),
            ]
        )
        session.commit()
        composed: list[tuple[int, str]] = []

        def compose(monitor_id: int, kind: str) -> Message:
            composed.append((monitor_id, kind))
            return Message(f"monitor {monitor_id} {kind}", "body")

        notifier = Notifier()
        notices = notifier.plan_monitors(session, [s.monitor_id, quiet.id], compose=compose, now=T0)
        deliveries = deliver(notifier, session, notices, T0)
        assert [(d.channel, d.kind) for d in deliveries] == [("chat", "failure")]
        assert composed == [(s.monitor_id, "failure")]  # only what is sent gets composed
        assert webhook.titles() == [f"monitor {s.monitor_id} failure"]


def test_slo_pages_go_to_every_enabled_channel_once(
    database_url: str, smtp: Inbox, webhook: Webhook
) -> None:
    with migrated_session(database_url) as session:
        s = setup_db(
            session,
            [
                NotificationChannel(name="email", url=smtp.url(), failure_threshold=50),
                NotificationChannel(name="chat", url=webhook.json_url(), send_resolved=False),
                NotificationChannel(name="off", url=webhook.json_url("off"), enabled=False),
            ],
        )
        slo = Slo(
            name="checkout-availability",
            service_id=s.service_id,
            kind="availability",
            objective=0.999,
        )
        session.add(slo)
        session.flush()
        alert = SloAlert(
            slo_id=slo.id, severity="page", opened_at=T0, burn_long=20.0, burn_short=31.0
        )
        session.add(alert)
        session.commit()
        notifier = Notifier()
        page = Message("SLO checkout-availability: page", "burning 20x")
        first = deliver(
            notifier, session, notifier.plan_slo(session, alert=alert, message=page), T0
        )
        assert sorted((d.channel, d.kind, d.ok) for d in first) == [
            ("chat", "page", True),
            ("email", "page", True),
        ]
        assert notifier.plan_slo(session, alert=alert, message=page) == []
        alert.resolved_at = T0 + timedelta(hours=1)
        notices = notifier.plan_slo(session, alert=alert, message=Message("SLO ok", "back"))
        done = deliver(notifier, session, notices, T0)
        assert [(d.channel, d.kind) for d in done] == [("email", "resolved")]
        assert smtp.subjects() == ["SLO checkout-availability: page", "SLO ok"]
        assert webhook.titles() == ["SLO checkout-availability: page"]
        assert webhook.titles("/off") == []
        ids = session.scalars(select(NotificationLog.slo_alert_id)).all()
        assert ids == [alert.id] * 3
