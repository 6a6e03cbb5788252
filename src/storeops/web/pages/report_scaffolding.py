"""What the report pages over a period of orders (Sales, Customers) share: the context of their
controls and links (templates/_report_head.html draws the controls), and their CSV downloads.

It defines no `router`: pages_router() mounts it as no page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from storeops.commerce.period import Compare, Period
from storeops.web.params import COMPARE_LABELS
from storeops.web.tables import PER_PAGE_CHOICES, url_with


def report_context(
    request: Request,
    csv_path: str,
    period: Period | None,
    compare: Compare,
    grain: StrEnum,
    channel: str | None,
    category: str | None,
) -> dict[str, Any]:
    """The page's controls as asked (no filter is ""), with `url(**changes)`: this page with some
    parameters changed, and `csv_url(table)`: one of its tables at `csv_path`, every page."""
    return {
        "period": period,
        "compare": compare,
        "compare_labels": COMPARE_LABELS,
        "grain": grain,
        "channel": channel or "",
        "category": category or "",
        "per_page_choices": PER_PAGE_CHOICES,
        "url": lambda **changes: url_with(request, **changes),
        "csv_url": lambda table: url_with(request, csv_path, table=table, page=None),
    }


def csv_download(filename: str, rows: Iterable[Sequence[Any]]) -> Response:
    """`rows`, the header first, as a CSV file to download."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
