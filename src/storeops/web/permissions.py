"""Who may see and change what: ONE table, area × role, in `_TABLE` below.

r = may read (GET pages and API), rw = may also change (forms, POST/PUT/DELETE), - = neither
(403). The overview has nothing to change, so "r" is all it needs. Every route of the web app
names its area with `deps.require(area, write=...)`; tests/web/test_permissions.py walks every
route against the access this table is meant to give.
"""

from __future__ import annotations

from storeops.db.users import Role

_TABLE = """
area          admin  it    commerce  viewer
overview      rw     r     r         r
sales         rw     -     rw        r
stock         rw     -     rw        r
aftersales    rw     -     rw        r
promotions    rw     -     rw        r
baskets       rw     -     rw        r
customers     rw     -     rw        r
imports       rw     -     rw        r
reliability   rw     rw    -         r
incidents     rw     rw    -         r
changes       rw     rw    -         r
vendors       rw     rw    -         r
budget        rw     rw    -         r
audit         rw     -     -         -
users         rw     -     -         -
"""
_ROLES = (Role.admin, Role.it, Role.commerce, Role.viewer)

PERMISSIONS: dict[str, dict[Role, str]] = {
    area: dict(zip(_ROLES, grants, strict=True))
    for area, *grants in (line.split() for line in _TABLE.strip().splitlines()[1:])
}
AREAS = tuple(PERMISSIONS)


def can(role: str, area: str, *, write: bool = False) -> bool:
    """Whether `role` may read (or, with write=True, change) `area`."""
    grant = PERMISSIONS[area].get(Role(role), "-") if role in Role.__members__ else "-"
    return "w" in grant if write else "r" in grant


def readable_areas(role: str) -> list[str]:
    return [area for area in AREAS if can(role, area)]
