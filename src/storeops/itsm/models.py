"""Services (the catalogue a monitor belongs to) and incidents with their timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storeops.db.models import Base, UtcDateTime, utcnow


class Origin(StrEnum):
    """Declared in storeops.toml (re-synced at load) or created through the API and pages."""

    config = "config"
    api = "api"


class Severity(StrEnum):
    sev1 = "sev1"  # the shop cannot take orders
    sev2 = "sev2"  # a major part of revenue is hit
    sev3 = "sev3"  # degraded, workaround exists
    sev4 = "sev4"  # minor


class IncidentStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class PublicStatus(StrEnum):
    """What the public status page says, as staff post updates."""

    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (CheckConstraint("impact >= 0 AND impact <= 1", name="impact_share"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # slug: checkout, search
    title: Mapped[str] = mapped_column(String(200))
    # The share of revenue lost while the service fails: checkout 1.0, search 0.3.
    impact: Mapped[float] = mapped_column(Float, default=0.0)
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # a status page component
    origin: Mapped[str] = mapped_column(String(10), default=Origin.api)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10), default=Severity.sev2)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.open, index=True)
    public_status: Mapped[str] = mapped_column(String(20), default=PublicStatus.investigating)
    source: Mapped[str] = mapped_column(String(20))  # monitor | slo | manual
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Frozen when the incident opens (the baseline for this weekday and hour × impact), so the
    # live figure is rate × elapsed minutes and a resolved incident keeps the price it had.
    revenue_per_minute: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    revenue_at_risk: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    postmortem: Mapped[str] = mapped_column(Text, default="")


class IncidentEvent(Base):
    """The incident's timeline: automatic events, staff notes and public status updates."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(320))  # a user's e-mail, or "storeops"
    # opened | monitor_failed | monitor_recovered | slo_page | acknowledged | severity | note
    # | status_update | postmortem | resolved
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    public_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown on the status page
