"""How a figure moved against the period it is compared with: the absolute change and the change
relative to the earlier value (None when that is 0 or either value is unknown)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def change(current: Any, previous: Any) -> dict[str, Any]:
    """{absolute, relative}: current − previous, and that over previous (a rate's absolute
    change is in points: 0.012 is +1.2 points)."""
    if current is None or previous is None:
        return {"absolute": None, "relative": None}
    absolute = current - previous
    relative = float(absolute / previous) if previous else None
    return {"absolute": absolute, "relative": relative}


def changes(
    current: Mapping[str, Any], previous: Mapping[str, Any], names: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """change() of each named figure."""
    return {name: change(current.get(name), previous.get(name)) for name in names}
