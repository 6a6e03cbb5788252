"""The faults a demo shop can be told to show, and the switch that holds the current ones.

One validated shape for the admin endpoint, the CLI flags and the Python API. Every field off
means a healthy shop.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ADMIN_PATH = "/_faults"


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Added before answering the affected paths.
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    # Share of the affected requests answered with a 500 page.
    error_rate: float = Field(default=0.0, ge=0, le=1)
    # The affected requests get no answer at all: the connection is closed.
    down: bool = False
    # The stock JSON reports impossible availability (-1) for every SKU, whatever `paths` say.
    wrong_stock: bool = False
    # Paths the latency, errors and outage apply to ("/checkout" covers "/checkout/..."; "/" is
    # the home page only); empty: every path but the admin endpoint.
    paths: tuple[str, ...] = ()

    @field_validator("paths")
    @classmethod
    def _absolute(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"a path starts with '/': {path!r}")
        return paths

    def covers(self, path: str) -> bool:
        if path == ADMIN_PATH:
            return False  # the switch must stay reachable to clear the faults
        if not self.paths:
            return True
        return any(
            path == p or (p != "/" and path.startswith(p.rstrip("/") + "/")) for p in self.paths
        )

    def describe(self) -> str:
        parts = []
        if self.latency_ms:
            parts.append(f"{self.latency_ms} ms latency")
        if self.error_rate:
            parts.append(f"{self.error_rate:.0%} errors")
        if self.down:
            parts.append("down")
        if parts and self.paths:
            parts = [f"{', '.join(parts)} on {', '.join(self.paths)}"]
        if self.wrong_stock:
            parts.append("wrong stock JSON")
        return "; ".join(parts) or "none"


class BadFaults(ValueError):
    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def parse_faults(data: Any) -> Faults:
    """Faults from JSON-like data; the first problem as BadFaults(field, message)."""
    try:
        return Faults.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "faults"
        raise BadFaults(field, first["msg"].removeprefix("Value error, ")) from None


class FaultSwitch:
    """The shop's current faults, replaced whole (by the admin endpoint or another thread)."""

    def __init__(self, faults: Faults | None = None):
        self._faults = faults or Faults()

    @property
    def current(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        self._faults = faults  # one assignment: readers see the old or the new set, never a mix

    def clear(self) -> None:
        self.set(Faults())
