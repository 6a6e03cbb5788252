"""Notifications through Apprise, per channel: who hears of a failing monitor, when, how often
they are reminded, and the resolved notice; SLO pages and tickets go to every channel.

What each channel has been told is kept in `channel_alert_state`, so a restarted engine sends
nothing twice; every attempt, delivered or not, lands in `notification_log`. Channel URLs carry
passwords and tokens: they are never logged or stored anywhere else, and errors are scrubbed of
every part of the URL that could be one.

The methods block while Apprise delivers (in parallel, each bounded by a timeout): the engine
calls them from a worker thread, never on its event loop. The caller commits the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.redact import redact_urls
from storeops.monitoring.models import (
    ChannelAlertState,
    MonitorState,
    NotificationChannel,
    NotificationLog,
    SloAlert,
)

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 30.0
_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Message:
    title: str
    body: str


class DeliveryFailed(Exception):
    """A notification that did not get through; the reason is one line (may still hold secrets:
    the Notifier scrubs it before anything keeps it)."""


Send = Callable[[str, Message], None]


def apprise_send(url: str, message: Message) -> None:
    """Delivers one message to one Apprise URL, or raises DeliveryFailed saying why."""
    sender = apprise.Apprise()
    if not sender.add(url):
        raise DeliveryFailed("Apprise does not accept this URL (unknown scheme or missing fields)")
    # The body is plain text: its lines stay lines in e-mail and chats.
    result = sender.notify(
        body=message.body,
        title=message.title,
        body_format=apprise.NotifyFormat.TEXT,
        timeout=DELIVERY_TIMEOUT_SECONDS,
    )
    if not result:
        # Apprise keeps what went wrong as log entries of the attempt (warnings name the host).
        reasons = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        raise DeliveryFailed(
            "; ".join(dict.fromkeys(reasons)) or f"not delivered ({result.status.name.lower()})"
        )


def redact_channel_url(text: str, url: str) -> str:
    """`text` without any piece of `url` that could be a secret: user, password, token-like
    hosts, path segments and query values (Slack, Telegram and webhook tokens live there)."""
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host, _, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    pieces = [url, *userinfo.split(":"), *parts.path.split("/")]
    pieces += [value for _, value in parse_qsl(parts.query)]
    if not _looks_like_a_host(host):
        pieces += [hostport, host]
    if not port.isdigit():  # tgram://123456:AAEh.../ puts its token where a port would be
        pieces.append(port)
    secrets = {p for piece in pieces for p in (piece, unquote(piece)) if len(p) >= 3}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return redact_urls(text)


def _looks_like_a_host(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        ip_address(host.strip("[]"))
        return True
    except ValueError:
        return "." in host


@dataclass(frozen=True)
class Delivery:
    """One attempt, as logged."""

    channel_id: int
    channel: str
    kind: str  # failure | reminder | resolved | page | ticket
    ok: bool
    error: str | None


@dataclass(frozen=True)
class _Job:
    channel: NotificationChannel
    kind: str
    message: Message
    monitor_id: int | None = None
    slo_alert_id: int | None = None
    incident_id: int | None = None


# compose(monitor_id, kind) -> the message of a "failure" or "resolved" notice, built only when
# a channel is due to hear it (the caller adds the revenue at risk).
Compose = Callable[[int, str], Message]


class Notifier:
    def __init__(self, send: Send = apprise_send, *, max_parallel: int = 8):
        self._send = send
        self._max_parallel = max_parallel

    def notify_monitor(
        self,
        session: Session,
        *,
        monitor_id: int,
        consecutive_failures: int,
        consecutive_successes: int,
        message_failing: Message,
        message_resolved: Message,
        now: datetime,
        incident_id: int | None = None,
    ) -> list[Delivery]:
        """Tells each channel whose failure threshold this monitor has reached, and each channel
        that was told once it has succeeded its success threshold times."""
        messages = {"failure": message_failing, "resolved": message_resolved}
        return self._notify_monitors(
            session,
            {monitor_id: (consecutive_failures, consecutive_successes, incident_id)},
            lambda _monitor_id, kind: messages[kind],
            now,
        )

    def notify_monitors(
        self, session: Session, monitor_ids: Iterable[int], *, compose: Compose, now: datetime
    ) -> list[Delivery]:
        """The same for many monitors at once, with their counts read from `monitor_state`:
        what the engine calls after each flush with the monitors it wrote results for (channel
        thresholds differ from the monitor's, so every result may matter)."""
        rows = session.scalars(
            select(MonitorState).where(MonitorState.monitor_id.in_(set(monitor_ids)))
        )
        counts = {
            row.monitor_id: (row.consecutive_failures, row.consecutive_successes, row.incident_id)
            for row in rows
        }
        return self._notify_monitors(session, counts, compose, now)

    def remind(
        self, session: Session, now: datetime, message_for: Callable[[int], Message | None]
    ) -> list[Delivery]:
        """Reminds channels with `remind_every_minutes` of monitors still failing. `message_for`
        (monitor id) returns None for a monitor that should not be reminded of (in maintenance,
        disabled)."""
        rows = session.execute(
            select(ChannelAlertState, NotificationChannel)
            .join(NotificationChannel, NotificationChannel.id == ChannelAlertState.channel_id)
            .where(
                ChannelAlertState.triggered_at.is_not(None),
                NotificationChannel.enabled.is_(True),
                NotificationChannel.remind_every_minutes.is_not(None),
            )
            .order_by(ChannelAlertState.monitor_id, NotificationChannel.id)
        ).all()
        messages: dict[int, Message | None] = {}
        jobs, states = [], []
        for state, channel in rows:
            last = state.last_sent_at or state.triggered_at
            assert last is not None and channel.remind_every_minutes is not None
            if now - last < timedelta(minutes=channel.remind_every_minutes):
                continue
            if state.monitor_id not in messages:
                messages[state.monitor_id] = message_for(state.monitor_id)
            message = messages[state.monitor_id]
            if message is None:
                continue
            jobs.append(_Job(channel, "reminder", message, monitor_id=state.monitor_id))
            states.append(state)
        deliveries = self._deliver(session, jobs, now)
        for state, delivery in zip(states, deliveries, strict=True):
            if delivery.ok:
                state.last_sent_at = now
        return deliveries

    def notify_slo(
        self, session: Session, *, alert: SloAlert, message: Message, now: datetime
    ) -> list[Delivery]:
        """A page or ticket (or its resolution, once `alert.resolved_at` is set) to every enabled
        channel; a channel that already got it (logged ok) does not get it again."""
        kind = "resolved" if alert.resolved_at is not None else alert.severity
        channels = session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.enabled.is_(True))
            .order_by(NotificationChannel.id)
        ).all()
        told = set(
            session.scalars(
                select(NotificationLog.channel_id).where(
                    NotificationLog.slo_alert_id == alert.id,
                    NotificationLog.kind == kind,
                    NotificationLog.ok.is_(True),
                )
            )
        )
        jobs = [
            _Job(channel, kind, message, slo_alert_id=alert.id, incident_id=alert.incident_id)
            for channel in channels
            if channel.id not in told and (kind != "resolved" or channel.send_resolved)
        ]
        return self._deliver(session, jobs, now)

    def _notify_monitors(
        self,
        session: Session,
        counts: Mapping[int, tuple[int, int, int | None]],
        compose: Compose,
        now: datetime,
    ) -> list[Delivery]:
        if not counts:
            return []
        channels = session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.enabled.is_(True))
            .order_by(NotificationChannel.id)
        ).all()
        if not channels:
            return []
        states = {
            (s.channel_id, s.monitor_id): s
            for s in session.scalars(
                select(ChannelAlertState).where(ChannelAlertState.monitor_id.in_(counts))
            )
        }
        jobs: list[_Job] = []
        messages: dict[tuple[int, str], Message] = {}
        for monitor_id, (failures, successes, incident_id) in sorted(counts.items()):
            for channel in channels:
                state = states.get((channel.id, monitor_id))
                told = state is not None and state.triggered_at is not None
                # The last check must have failed: while a monitor recovers, its failing streak
                # stays counted until its own success threshold (monitoring/results.py).
                if not told and failures >= channel.failure_threshold and successes == 0:
                    kind = "failure"
                elif told and successes >= channel.success_threshold:
                    if not channel.send_resolved:
                        assert state is not None
                        state.triggered_at = None
                        continue
                    kind = "resolved"
                else:
                    continue
                if (monitor_id, kind) not in messages:
                    messages[monitor_id, kind] = compose(monitor_id, kind)
                message = messages[monitor_id, kind]
                jobs.append(_Job(channel, kind, message, monitor_id, incident_id=incident_id))
        deliveries = self._deliver(session, jobs, now)
        for job, delivery in zip(jobs, deliveries, strict=True):
            # Only what got through changes the state: a failed notice is tried again next time.
            if not delivery.ok:
                continue
            assert job.monitor_id is not None
            key = (job.channel.id, job.monitor_id)
            state = states.get(key)
            if state is None:
                state = ChannelAlertState(channel_id=job.channel.id, monitor_id=job.monitor_id)
                session.add(state)
                states[key] = state
            state.triggered_at = now if job.kind == "failure" else None
            state.last_sent_at = now
        return deliveries

    def _deliver(self, session: Session, jobs: list[_Job], now: datetime) -> list[Delivery]:
        """Sends every job (in parallel threads) and logs each attempt in the session."""
        if not jobs:
            return []
        workers = min(self._max_parallel, len(jobs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify") as pool:
            # The URLs are read here, not in the threads, which must not touch the session.
            errors = list(
                pool.map(self._attempt, [j.channel.url for j in jobs], [j.message for j in jobs])
            )
        deliveries = []
        for job, error in zip(jobs, errors, strict=True):
            session.add(
                NotificationLog(
                    channel_id=job.channel.id,
                    at=now,
                    kind=job.kind,
                    monitor_id=job.monitor_id,
                    slo_alert_id=job.slo_alert_id,
                    incident_id=job.incident_id,
                    title=job.message.title[:300],
                    ok=error is None,
                    error=error,
                )
            )
            deliveries.append(
                Delivery(job.channel.id, job.channel.name, job.kind, error is None, error)
            )
            if error is None:
                log.info("%s notice sent to channel %s", job.kind, job.channel.name)
            else:
                log.warning("%s notice to channel %s failed: %s", job.kind, job.channel.name, error)
        session.flush()
        return deliveries

    def _attempt(self, url: str, message: Message) -> str | None:
        """None when delivered, else the reason without secrets."""
        try:
            self._send(url, message)
        except DeliveryFailed as failed:
            reason = str(failed)
        except Exception as exc:  # a channel must never stop the others or the engine
            reason = f"{type(exc).__name__}: {exc}"
        else:
            return None
        reason = redact_channel_url(" ".join(reason.split()), url)
        return reason[:_ERROR_LENGTH] or "not delivered"
