"""Tables sorted and paged on the server: the `sort`, `dir`, `page`, `per_page` query parameters.

A page validates `sort` with its own enum of columns (FastAPI answers 422 for anything else),
sorts the rows it got from the domain (small aggregates: one row per key) and shows one page.
Missing values (None) sort last in both directions, as a reader expects; ties keep the domain's
order. Links keep every other query parameter (`url_with`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request


class Direction(StrEnum):
    asc = "asc"
    desc = "desc"


DirQuery = Annotated[Direction | None, Query(alias="dir", description="asc or desc.")]
PageQuery = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
PerPageQuery = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
PER_PAGE_CHOICES = (10, 25, 50, 100)


@dataclass(frozen=True)
class TablePage:
    rows: list[dict[str, Any]]  # the rows of this page
    total: int  # rows in all pages
    page: int
    pages: int
    per_page: int
    sort: str
    direction: Direction

    @property
    def first(self) -> int:
        """1-based number of the page's first row (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def sort_rows(rows: list[dict[str, Any]], sort: str, direction: Direction) -> list[dict[str, Any]]:
    present = [row for row in rows if row.get(sort) is not None]
    missing = [row for row in rows if row.get(sort) is None]
    present.sort(key=lambda row: _key(row[sort]), reverse=direction is Direction.desc)
    return present + missing


def sort_and_page(
    rows: list[dict[str, Any]], *, sort: str, direction: Direction, page: int, per_page: int
) -> TablePage:
    """One page of the sorted rows; a page past the end shows the last one."""
    ordered = sort_rows(rows, sort, direction)
    pages = max(1, -(-len(ordered) // per_page))
    page = min(page, pages)
    start = (page - 1) * per_page
    return TablePage(
        rows=ordered[start : start + per_page],
        total=len(ordered),
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort,
        direction=direction,
    )


def url_with(request: Request, path: str | None = None, **changes: Any) -> str:
    """This page's URL (or `path`) with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    query = urlencode(params)
    path = path or request.url.path
    return f"{path}?{query}" if query else path
