"""Column definitions, paging in the domain's order, and CSV answers for the commerce pages
(Stock, After-sales, Promotions, Baskets), on top of tables.py's sorting and paging.

A page lists its columns once; the template macro (_datatable.html) and the CSV both follow
them, so the download holds exactly the columns the page shows, every row, in the page's order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from storeops.core.money import money_str
from storeops.web.tables import Direction, TablePage, sort_rows


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text, money, count, rate, share (a rate with 2 decimals), ratio (2 decimals), days and
    # units (1 decimal), date
    kind: str = "text"
    sub: str | None = None  # a second key shown under the value (a SKU's product name)
    # The key of the compared period's value: its change shows under the value (green or red
    # as news, a rise bad news when `worse_when_up`), and the CSV has it as a column.
    previous: str | None = None
    worse_when_up: bool = False
    # Hidden on narrow screens: "sm" on phones (up to 820 px), "md" below 1400 px.
    hide: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date")

    @property
    def css(self) -> str:
        return " ".join(
            c for c in ("num" if self.numeric else "", f"hide-{self.hide}" * bool(self.hide)) if c
        )


def page_of(
    rows: list[dict[str, Any]],
    *,
    sort: str | None,
    direction: Direction,
    page: int,
    per_page: int,
) -> TablePage:
    """One page of `rows`, sorted by `sort`, or in the domain's order when `sort` is None
    (the risk list by cover, dead stock dead first...); a page past the end shows the last."""
    ordered = sort_rows(rows, sort, direction) if sort else rows
    pages = max(1, -(-len(ordered) // per_page))
    page = min(page, pages)
    first = (page - 1) * per_page
    return TablePage(
        rows=ordered[first : first + per_page],
        total=len(ordered),
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort or "",
        direction=direction,
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def csv_response(
    filename: str, columns: Sequence[Column], rows: Iterable[dict[str, Any]]
) -> Response:
    """A CSV download: a header of column keys (each followed by its sub and previous keys),
    money with two decimals, rates as fractions, days ISO, blank for a value that cannot be
    computed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = [key for c in columns for key in (c.key, c.sub, c.previous) if key]
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in keys])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
