"""The shape of a route's expected access, shared by test_permissions.py and the expect_<area>.py
modules that list each area's routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PUBLIC = "public"
SIGNED_IN = "signed in"


@dataclass
class Expect:
    access: str  # PUBLIC, SIGNED_IN, or an area
    write: bool = False
    url: str = ""  # what to request (default: the route's path)
    form: dict[str, str] = field(default_factory=dict)
    ok: int = 200  # the status when allowed
    signed_in_status: int | None = None  # when a signed-in user gets something else
    json: dict[str, Any] | None = None  # the body of an API write (POST, PUT, DELETE)
    # What anonymous visitors get when not the usual (401 on the API, else 303 to /login):
    # 401 for /metrics, which a Prometheus server scrapes with a token.
    anonymous_status: int | None = None
