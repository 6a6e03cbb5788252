"""Validated shapes of the service catalogue and incidents, shared by storeops.toml and the API."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storeops.itsm.models import PublicStatus, Severity

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceSpec(_Strict):
    name: str
    title: str = ""
    # The share of revenue lost while the service fails: checkout 1.0, search 0.3.
    impact: float = Field(ge=0, le=1)
    description: str = ""
    public: bool = True  # shown as a component of the public status page

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lower-case letters, digits, '-', '_' or '.', e.g. checkout")
        return value

    def display_title(self) -> str:
        return self.title or self.name.replace("-", " ").capitalize()


class IncidentCreate(_Strict):
    service: str
    title: str = Field(min_length=1, max_length=300)
    severity: Severity = Severity.sev2


class IncidentNote(_Strict):
    text: str = Field(min_length=1, max_length=20_000)


class StatusUpdate(_Strict):
    """A public update for the status page."""

    status: PublicStatus
    text: str = Field(min_length=1, max_length=5_000)
