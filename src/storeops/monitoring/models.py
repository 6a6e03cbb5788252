"""Monitors, their results (raw and rolled up), SLOs, maintenance windows and alert channels.

A monitor points at its service and the incident it feeds by table id (`services.id`,
`incidents.id`): monitoring does not import itsm; workflows/ joins the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storeops.db.models import Base, UtcDateTime, utcnow

# SQLite only auto-increments an INTEGER primary key; PostgreSQL gets a BIGINT for raw results.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Monitor(Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # http keyword json tls tcp dns journey
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    origin: Mapped[str] = mapped_column(String(10), default="api")  # config | api
    # The validated MonitorSpec (monitoring/spec.py) as JSON: what the probe needs.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    interval_seconds: Mapped[float] = mapped_column(Float, default=60)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=10)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    failure_threshold: Mapped[int] = mapped_column(Integer, default=2)
    success_threshold: Mapped[int] = mapped_column(Integer, default=2)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class CheckResult(Base):
    """One check, kept `monitoring.raw_retention_days` days, then only in the rollups."""

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_monitor_at", "monitor_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # when the check started
    ok: Mapped[bool] = mapped_column(Boolean)
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Condition outcomes, journey steps, certificate days left...
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    in_maintenance: Mapped[bool] = mapped_column(Boolean, default=False)


class ResultRollup(Base):
    """Checks per monitor and minute, hour or day, for uptime and percentiles over long windows.

    Checks inside a maintenance window are counted apart and burn no error budget.
    """

    __tablename__ = "result_rollups"

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(6), primary_key=True)  # minute | hour | day
    start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    maintenance: Mapped[int] = mapped_column(Integer, default=0)
    duration_sum_ms: Mapped[float] = mapped_column(Float, default=0.0)
    duration_max_ms: Mapped[float] = mapped_column(Float, default=0.0)
    # Counts per latency bucket (fixed bounds, monitoring/latency.py): percentiles of any window.
    histogram: Mapped[list[int]] = mapped_column(JSON)


class MonitorState(Base):
    """Where each monitor stands, persisted so a restarted engine opens no duplicate incident."""

    __tablename__ = "monitor_state"

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_successes: Mapped[int] = mapped_column(Integer, default=0)
    last_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )


class Slo(Base):
    __tablename__ = "slos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # availability | latency
    objective: Mapped[float] = mapped_column(Float)  # 0.999
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    latency_threshold_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    origin: Mapped[str] = mapped_column(String(10), default="api")


class SloAlert(Base):
    """A burn-rate alert while it fires: page (fast burn) or ticket (slow burn)."""

    __tablename__ = "slo_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"), index=True)
    severity: Mapped[str] = mapped_column(String(10))  # page | ticket
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    burn_long: Mapped[float] = mapped_column(Float)
    burn_short: Mapped[float] = mapped_column(Float)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )


class MaintenanceWindow(Base):
    """One-off (starts_at..ends_at) or recurring (cron start + duration, in a time zone)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # None: every service.
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    origin: Mapped[str] = mapped_column(String(10), default="api")


class NotificationChannel(Base):
    """An Apprise destination. Its URL can hold credentials: never logged, never in the API."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)
    # Consecutive failed checks before the channel hears of a failure; successes before "resolved".
    failure_threshold: Mapped[int] = mapped_column(Integer, default=3)
    success_threshold: Mapped[int] = mapped_column(Integer, default=2)
    remind_every_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    send_resolved: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(10), default="api")


class ChannelAlertState(Base):
    """Whether a channel has been told a monitor is failing, so a restart sends nothing twice."""

    __tablename__ = "channel_alert_state"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), primary_key=True
    )
    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    triggered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class NotificationLog(Base):
    """Every notification attempted, delivered or not (the error without secrets)."""

    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # failure | reminder | resolved | page | ticket
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitors.id", ondelete="SET NULL"), nullable=True
    )
    slo_alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("slo_alerts.id", ondelete="SET NULL"), nullable=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(300))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
