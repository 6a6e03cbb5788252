"""What a monitor is: the validated specification shared by storeops.toml, the API and the probes.

One model for every kind, like Gatus' endpoint: the fields a kind does not use must stay unset,
and the fields it needs must be there, so a mistake is one clear error naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class Kind(StrEnum):
    http = "http"  # status, response time, headers, body conditions
    keyword = "keyword"  # http + a text that must be present (or absent)
    json = "json"  # http + conditions on the JSON body
    tls = "tls"  # certificate validity and days to expiry
    tcp = "tcp"  # a port accepts connections
    dns = "dns"  # a name resolves (to the expected answers)
    journey = "journey"  # several HTTP steps with cookies kept and values carried forward


HTTP_KINDS = {Kind.http, Kind.keyword, Kind.json}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Strict):
    """One step of a journey. `extract` names values taken from this step for the next ones:
    `{"cart_id": "[BODY].cart.id"}` or a regular expression with one group over the body,
    `{"token": "re(name=\\"csrf\\" value=\\"([^\\"]+)\\")"}`; later steps use `{cart_id}` in their
    URL, headers and body."""

    name: str = Field(min_length=1, max_length=100)
    url: str
    method: str = "GET"
    headers: dict[str, str] = {}
    body: str | None = None
    conditions: list[str] = ["[STATUS] == 200"]
    extract: dict[str, str] = {}


class MonitorSpec(_Strict):
    name: str
    kind: Kind
    service: str  # a service of the catalogue, by name
    enabled: bool = True
    interval_seconds: float = Field(default=60, ge=1, le=86_400)
    timeout_seconds: float = Field(default=10, gt=0, le=300)
    # Attempts again at once before a failure counts (a flaky network is not an incident).
    retries: int = Field(default=0, ge=0, le=10)
    # Consecutive failed checks that open (or join) an incident, and successes that resolve it.
    failure_threshold: int = Field(default=2, ge=1, le=100)
    success_threshold: int = Field(default=2, ge=1, le=100)

    # http, keyword, json, tls (https://host[:port]), journey: none
    url: str | None = None
    method: str = "GET"
    headers: dict[str, str] = {}
    body: str | None = None
    follow_redirects: bool = True
    # keyword
    keyword: str | None = None
    keyword_absent: bool = False
    # tcp and dns
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65_535)
    # dns: the record type and the resolver to ask (default: the system's)
    record_type: str = "A"
    nameserver: str | None = None
    # journey
    steps: list[Step] = []
    # Conditions in the language of monitoring/conditions.py; each kind has a sensible default.
    conditions: list[str] = []

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(
                "use lower-case letters, digits, '-', '_' or '.' (at most 100), e.g. checkout-page"
            )
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        value = value.upper()
        if value not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}:
            raise ValueError(f"unknown HTTP method {value!r}")
        return value

    @field_validator("record_type")
    @classmethod
    def _record_type(cls, value: str) -> str:
        value = value.upper()
        if value not in {"A", "AAAA", "CNAME", "MX", "TXT", "NS"}:
            raise ValueError(f"unsupported record type {value!r} (A, AAAA, CNAME, MX, TXT, NS)")
        return value

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> MonitorSpec:
        needs = {
            Kind.http: ("url",),
            Kind.keyword: ("url", "keyword"),
            Kind.json: ("url",),
            Kind.tls: ("url",),
            Kind.tcp: ("host", "port"),
            Kind.dns: ("host",),
            Kind.journey: ("steps",),
        }[self.kind]
        for field in needs:
            if not getattr(self, field):
                raise ValueError(f"a {self.kind} monitor needs {field}")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError("url must start with http:// or https:// and name a host")
        if self.kind == Kind.tls and not (self.url or "").startswith("https://"):
            raise ValueError("a tls monitor's url must start with https://")
        if self.kind != Kind.keyword and self.keyword is not None:
            raise ValueError("keyword belongs to keyword monitors")
        if self.kind != Kind.journey and self.steps:
            raise ValueError("steps belong to journey monitors")
        return self

    def effective_conditions(self) -> list[str]:
        """The declared conditions, or the kind's default when none are declared."""
        if self.conditions:
            return self.conditions
        return {
            Kind.http: ["[STATUS] < 400"],
            Kind.keyword: ["[STATUS] < 400"],
            Kind.json: ["[STATUS] == 200"],
            Kind.tls: ["[CERTIFICATE_EXPIRATION] > 168h"],
            Kind.tcp: ["[CONNECTED] == true"],
            Kind.dns: ["[DNS_RCODE] == NOERROR"],
            Kind.journey: [],
        }[self.kind]

    def schedule_fields(self) -> dict[str, Any]:
        """The columns of the monitors table beside the spec itself."""
        return {
            "interval_seconds": self.interval_seconds,
            "timeout_seconds": self.timeout_seconds,
            "retries": self.retries,
            "failure_threshold": self.failure_threshold,
            "success_threshold": self.success_threshold,
            "enabled": self.enabled,
        }


class SloSpec(_Strict):
    name: str
    service: str
    kind: str = Field(default="availability", pattern=r"^(availability|latency)$")
    objective: float = Field(gt=0, lt=1)  # 0.999
    window_days: int = Field(default=30, ge=1, le=90)
    # latency: the share of checks faster than this counts as good
    latency_threshold_ms: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _threshold_for_latency(self) -> SloSpec:
        if self.kind == "latency" and self.latency_threshold_ms is None:
            raise ValueError("a latency SLO needs latency_threshold_ms")
        if self.kind == "availability" and self.latency_threshold_ms is not None:
            raise ValueError("latency_threshold_ms belongs to latency SLOs")
        return self


class MaintenanceSpec(_Strict):
    """One-off (starts_at, ends_at) or recurring (cron in `timezone` + duration_minutes)."""

    name: str
    service: str | None = None  # None: every service
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cron: str | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _one_off_or_recurring(self) -> MaintenanceSpec:
        one_off = self.starts_at is not None or self.ends_at is not None
        recurring = self.cron is not None or self.duration_minutes is not None
        if one_off == recurring:
            raise ValueError("give starts_at and ends_at, or cron and duration_minutes")
        if one_off:
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("a one-off window needs starts_at and ends_at")
            if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
                raise ValueError(
                    "starts_at and ends_at need a UTC offset, e.g. 2026-11-27T02:00:00Z"
                )
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
        else:
            if self.cron is None or self.duration_minutes is None:
                raise ValueError("a recurring window needs cron and duration_minutes")
            if not croniter.is_valid(self.cron):
                raise ValueError(f"invalid cron expression {self.cron!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        return self


class ChannelSpec(_Strict):
    """An Apprise destination (mailto://, slack://, msteams://, json://...)."""

    name: str
    url: str = Field(min_length=3)
    failure_threshold: int = Field(default=3, ge=1, le=100)
    success_threshold: int = Field(default=2, ge=1, le=100)
    remind_every_minutes: int | None = Field(default=None, ge=1)
    send_resolved: bool = True
    enabled: bool = True
