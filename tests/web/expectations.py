"""The shape of a route's expected access, shared by test_permissions.py and the expect_<area>.py
modules that list each area's routes."""

from __future__ import annotations

from dataclasses import dataclass, field

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
