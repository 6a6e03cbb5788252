"""The left navigation: every area's page, shown when it exists and the user's role may read it.

Pages of an area live at the path given here; adding a GET route at that path makes its entry
appear, for the roles permissions.py allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from storeops.web.permissions import can


@dataclass(frozen=True)
class NavItem:
    area: str
    label: str
    path: str


SECTIONS: tuple[tuple[str, tuple[NavItem, ...]], ...] = (
    ("", (NavItem("overview", "Overview", "/"),)),
    (
        "Commerce",
        (
            NavItem("sales", "Sales", "/sales"),
            NavItem("stock", "Stock", "/stock"),
            NavItem("aftersales", "After-sales", "/aftersales"),
            NavItem("promotions", "Promotions", "/promotions"),
            NavItem("baskets", "Baskets", "/baskets"),
            NavItem("customers", "Customers", "/customers"),
            NavItem("imports", "Imports", "/imports"),
        ),
    ),
    (
        "IT operations",
        (
            NavItem("reliability", "Services", "/services"),
            NavItem("reliability", "Monitors", "/monitors"),
            NavItem("reliability", "SLOs", "/slos"),
            NavItem("incidents", "Incidents", "/incidents"),
            NavItem("changes", "Changes", "/changes"),
            NavItem("vendors", "Vendors", "/vendors"),
            NavItem("budget", "Budget", "/budget"),
        ),
    ),
    (
        "Administration",
        (NavItem("audit", "Audit log", "/audit"), NavItem("users", "Users", "/users")),
    ),
)


def navigation(role: str, page_paths: frozenset[str]) -> list[tuple[str, list[NavItem]]]:
    """The sections and entries `role` may see among the pages the app serves."""
    sections = []
    for title, items in SECTIONS:
        visible = [item for item in items if item.path in page_paths and can(role, item.area)]
        if visible:
            sections.append((title, visible))
    return sections
