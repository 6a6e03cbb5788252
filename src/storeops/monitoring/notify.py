"""Notifications through Apprise, per channel: who hears of a failing monitor, when, how often
they are reminded, and the resolved notice; SLO pages and tickets go to every channel.

What each channel has been told is kept in `channel_alert_state`, so a restarted engine sends
nothing twice; every attempt, delivered or not, lands in `notification_log`. Channel URLs carry
passwords and tokens: they are never logged or stored anywhere else, and errors are scrubbed of
every part of the URL that could be one.

Notices are decided in a transaction (`plan_*`, with the results that cause them) and delivered
after it is committed (`deliver`), so no database lock is held while Apprise talks to the
network (in parallel, each bounded by a timeout; the engine calls it from a worker thread). What
got through is then recorded in a short transaction: a notice planned again before that is
impossible, since the engine plans and delivers in turn, and after a crash between sending and
recording a notice may go out twice, never zero times. A channel that fails is tried again for
the same monitor after 1, 2, 4, 8, then every 15 minutes (read from the log, so a restart keeps
the pace). The caller commits the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeops.core.redact import redact_urls
from storeops.monitoring.models import (
    ChannelAlertState,
    Monitor,
    MonitorState,
    NotificationChannel,
    NotificationLog,
    SloAlert,
)
from storeops.monitoring.queries import chunks

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 30.0
_ERROR_LENGTH = 500
# A failed notice is tried again for the same channel and monitor after twice the previous
# pause, from the first to the longest.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=15)


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
class Notice:
    """One message due to one channel, decided in a transaction and sent after it."""

    channel_id: int
    channel: str
    url: str  # read in the transaction: delivery must not touch the session
    kind: str  # failure | reminder | resolved | page | ticket
    message: Message
    monitor_id: int | None = None
    slo_alert_id: int | None = None
    incident_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    """One attempt, as logged."""

    channel_id: int
    channel: str
    kind: str
    ok: bool
    error: str | None
    notice: Notice = field(repr=False, compare=False)


# compose(monitor_id, kind) -> the message of a "failure" or "resolved" notice, built only when
# a channel is due to hear it (the caller adds the revenue at risk).
Compose = Callable[[int, str], Message]


class Notifier:
    def __init__(self, send: Send = apprise_send, *, max_parallel: int = 8):
        self._send = send
        self._max_parallel = max_parallel

    # -- deciding, in the transaction of what causes the notices -----------------------------

    def plan_monitor(
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
    ) -> list[Notice]:
        """For each channel whose failure threshold this monitor has reached, and each channel
        that was told once it has succeeded its success threshold times."""
        messages = {"failure": message_failing, "resolved": message_resolved}
        return self._plan_monitors(
            session,
            {monitor_id: (consecutive_failures, consecutive_successes, incident_id)},
            lambda _monitor_id, kind: messages[kind],
            now,
        )

    def plan_monitors(
        self, session: Session, monitor_ids: Iterable[int], *, compose: Compose, now: datetime
    ) -> list[Notice]:
        """The same for many monitors at once, with their counts read from `monitor_state`:
        what the engine plans after each flush with the monitors that may concern a channel
        (channel thresholds differ from the monitor's, so every result may matter)."""
        counts = {
            row.monitor_id: (row.consecutive_failures, row.consecutive_successes, row.incident_id)
            for ids in chunks(monitor_ids)
            for row in session.scalars(select(MonitorState).where(MonitorState.monitor_id.in_(ids)))
        }
        return self._plan_monitors(session, counts, compose, now)

    def plan_reminders(
        self, session: Session, now: datetime, message_for: Callable[[int], Message | None]
    ) -> list[Notice]:
        """Reminders to channels with `remind_every_minutes` of monitors still failing.
        `message_for` (monitor id) returns None for a monitor that should not be reminded of
        (in maintenance, disabled)."""
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
        due = []
        for state, channel in rows:
            last = state.last_sent_at or state.triggered_at
            assert last is not None and channel.remind_every_minutes is not None
            if now - last >= timedelta(minutes=channel.remind_every_minutes):
                due.append((state.monitor_id, channel))
        waiting = _backing_off(session, {monitor_id for monitor_id, _ in due}, now)
        messages: dict[int, Message | None] = {}
        notices = []
        for monitor_id, channel in due:
            if (channel.id, monitor_id) in waiting:
                continue
            if monitor_id not in messages:
                messages[monitor_id] = message_for(monitor_id)
            message = messages[monitor_id]
            if message is not None:
                notices.append(_notice(channel, "reminder", message, monitor_id=monitor_id))
        return notices

    def plan_slo(self, session: Session, *, alert: SloAlert, message: Message) -> list[Notice]:
        """A page or ticket (or its resolution, once `alert.resolved_at` is set) for every
        enabled channel; a channel that already got it (logged ok) does not get it again."""
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
        return [
            _notice(channel, kind, message, slo_alert_id=alert.id, incident_id=alert.incident_id)
            for channel in channels
            if channel.id not in told and (kind != "resolved" or channel.send_resolved)
        ]

    def _plan_monitors(
        self,
        session: Session,
        counts: Mapping[int, tuple[int, int, int | None]],
        compose: Compose,
        now: datetime,
    ) -> list[Notice]:
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
            for ids in chunks(counts)
            for s in session.scalars(
                select(ChannelAlertState).where(ChannelAlertState.monitor_id.in_(ids))
            )
        }
        due: list[tuple[int, NotificationChannel, str, int | None]] = []
        for monitor_id, (failures, successes, incident_id) in sorted(counts.items()):
            for channel in channels:
                state = states.get((channel.id, monitor_id))
                told = state is not None and state.triggered_at is not None
                # The last check must have failed: while a monitor recovers, its failing streak
                # stays counted until its own success threshold (monitoring/results.py).
                if not told and failures >= channel.failure_threshold and successes == 0:
                    due.append((monitor_id, channel, "failure", incident_id))
                elif told and successes >= channel.success_threshold:
                    if channel.send_resolved:
                        due.append((monitor_id, channel, "resolved", incident_id))
                    else:
                        assert state is not None
                        state.triggered_at = None
        waiting = _backing_off(session, {monitor_id for monitor_id, *_ in due}, now)
        messages: dict[tuple[int, str], Message] = {}
        notices = []
        for monitor_id, channel, kind, incident_id in due:
            if (channel.id, monitor_id) in waiting:
                continue
            if (monitor_id, kind) not in messages:
                messages[monitor_id, kind] = compose(monitor_id, kind)
            notices.append(
                _notice(
                    channel,
                    kind,
                    messages[monitor_id, kind],
                    monitor_id=monitor_id,
                    incident_id=incident_id,
                )
            )
        return notices

    # -- delivering, outside any transaction, then recording ---------------------------------

    def deliver(self, session: Session, notices: list[Notice], now: datetime) -> list[Delivery]:
        """Sends the notices (no transaction may be open: this takes up to the delivery
        timeout), then records them in the session; the caller commits."""
        assert not session.in_transaction(), "deliver after the planning transaction is over"
        deliveries = self.send(notices)
        self.record(session, deliveries, now)
        return deliveries

    def send(self, notices: list[Notice]) -> list[Delivery]:
        """Sends every notice (in parallel threads); touches no database."""
        if not notices:
            return []
        workers = min(self._max_parallel, len(notices))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify") as pool:
            errors = list(
                pool.map(self._attempt, [n.url for n in notices], [n.message for n in notices])
            )
        deliveries = []
        for notice, error in zip(notices, errors, strict=True):
            deliveries.append(
                Delivery(
                    notice.channel_id, notice.channel, notice.kind, error is None, error, notice
                )
            )
            if error is None:
                log.info("%s notice sent to channel %s", notice.kind, notice.channel)
            else:
                log.warning(
                    "%s notice to channel %s failed: %s", notice.kind, notice.channel, error
                )
        return deliveries

    def record(self, session: Session, deliveries: list[Delivery], now: datetime) -> None:
        """Logs every attempt; what got through marks the channel as told (or no longer), so
        it is not sent again. Channels and monitors deleted since are left out."""
        if not deliveries:
            return
        channels = set(
            session.scalars(
                select(NotificationChannel.id).where(
                    NotificationChannel.id.in_({d.channel_id for d in deliveries})
                )
            )
        )
        monitors = {d.notice.monitor_id for d in deliveries if d.notice.monitor_id is not None}
        monitors = {
            monitor_id
            for ids in chunks(monitors)
            for monitor_id in session.scalars(select(Monitor.id).where(Monitor.id.in_(ids)))
        }
        for delivery in deliveries:
            notice = delivery.notice
            if notice.channel_id not in channels:
                continue
            monitor_id = notice.monitor_id if notice.monitor_id in monitors else None
            session.add(
                NotificationLog(
                    channel_id=notice.channel_id,
                    at=now,
                    kind=notice.kind,
                    monitor_id=monitor_id,
                    slo_alert_id=notice.slo_alert_id,
                    incident_id=notice.incident_id,
                    title=notice.message.title[:300],
                    ok=delivery.ok,
                    error=delivery.error,
                )
            )
            if delivery.ok and monitor_id is not None:
                _mark_told(session, notice.channel_id, monitor_id, notice.kind, now)
        session.flush()

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


def _notice(
    channel: NotificationChannel,
    kind: str,
    message: Message,
    *,
    monitor_id: int | None = None,
    slo_alert_id: int | None = None,
    incident_id: int | None = None,
) -> Notice:
    return Notice(
        channel.id, channel.name, channel.url, kind, message, monitor_id, slo_alert_id, incident_id
    )


def _mark_told(
    session: Session, channel_id: int, monitor_id: int, kind: str, now: datetime
) -> None:
    state = session.get(ChannelAlertState, (channel_id, monitor_id))
    if state is None:
        if kind == "resolved":
            return
        state = ChannelAlertState(channel_id=channel_id, monitor_id=monitor_id)
        session.add(state)
    if kind == "failure":
        state.triggered_at = now
    elif kind == "resolved":
        state.triggered_at = None
    state.last_sent_at = now


def _backing_off(
    session: Session, monitor_ids: set[int], now: datetime
) -> set[tuple[int, int | None]]:
    """The (channel, monitor) pairs whose latest notice failed and whose pause is not over:
    twice the pause between their two latest attempts when both failed, else FIRST_RETRY, at
    most LONGEST_RETRY. Only the log of the longest two pauses is read."""
    recent: dict[tuple[int, int | None], list[tuple[datetime, bool]]] = {}
    for ids in chunks(monitor_ids):
        for channel_id, monitor_id, at, ok in session.execute(
            select(
                NotificationLog.channel_id,
                NotificationLog.monitor_id,
                NotificationLog.at,
                NotificationLog.ok,
            )
            .where(
                NotificationLog.monitor_id.in_(ids),
                NotificationLog.at > now - 2 * LONGEST_RETRY,
            )
            .order_by(NotificationLog.at.desc(), NotificationLog.id.desc())
        ):
            attempts = recent.setdefault((channel_id, monitor_id), [])
            if len(attempts) < 2:
                attempts.append((at, ok))
    waiting = set()
    for pair, attempts in recent.items():
        (last, ok), *earlier = attempts
        if ok or now - last >= LONGEST_RETRY:
            continue
        pause = FIRST_RETRY
        if earlier and not earlier[0][1]:
            pause = min(max(2 * (last - earlier[0][0]), FIRST_RETRY), LONGEST_RETRY)
        if now - last < pause:
            waiting.add(pair)
    return waiting
