"""GET /api/v1/imports and /api/v1/quarantine: the import log and the rows set aside, paged.

The rows have the keys of `storeops imports --json` / `storeops quarantine --json` (the columns
of the warehouse's `imports` and `quarantine` tables); each answer adds `total`, `page` and
`per_page`. The Imports page reads through the same functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query

from storeops.db.users import User
from storeops.warehouse.connection import read_connection, scalar
from storeops.web.deps import SettingsDep, require

router = APIRouter(tags=["imports"])
Reader = Annotated[User, Depends(require("imports"))]


class ImportSort(StrEnum):
    id = "id"
    finished = "finished"
    kind = "kind"
    file = "file"
    rows = "rows"
    quarantined = "quarantined"


class SortDir(StrEnum):
    asc = "asc"
    desc = "desc"


SORT_COLUMNS = {
    ImportSort.id: "import_id",
    ImportSort.finished: "finished_at",
    ImportSort.kind: "kind",
    ImportSort.file: "file",
    ImportSort.rows: "rows_read",
    ImportSort.quarantined: "rows_quarantined",
}

PageQuery = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPageQuery = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
SortQuery = Annotated[ImportSort, Query(description="Column to sort the imports by.")]
DirQuery = Annotated[SortDir, Query(description="asc or desc.")]
ImportQuery = Annotated[
    int | None, Query(alias="import", ge=1, description="Only this import's rows.")
]


def get_import_log(settings: SettingsDep) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only, for this request only (the import log lives in DuckDB)."""
    with read_connection(settings) as con:
        yield con


ImportLog = Annotated[duckdb.DuckDBPyConnection, Depends(get_import_log)]


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def import_page(
    con: duckdb.DuckDBPyConnection,
    *,
    page: int,
    per_page: int,
    sort: ImportSort = ImportSort.id,
    direction: SortDir = SortDir.desc,
) -> tuple[int, list[dict[str, Any]]]:
    """The import count and one page of the log (ties broken by newest import first)."""
    total = int(scalar(con, "SELECT count(*) FROM imports"))
    order = f"{SORT_COLUMNS[sort]} {direction.value.upper()}, import_id DESC"
    rows = _records(
        con.execute(
            f"SELECT * FROM imports ORDER BY {order} LIMIT ? OFFSET ?",
            [per_page, (page - 1) * per_page],
        )
    )
    return total, rows


def quarantine_page(
    con: duckdb.DuckDBPyConnection, *, import_id: int | None, page: int, per_page: int
) -> tuple[int, list[dict[str, Any]]]:
    """Quarantined rows (of one import, or all), newest import first, in file order."""
    where = "WHERE ? IS NULL OR import_id = ?"
    total = int(scalar(con, f"SELECT count(*) FROM quarantine {where}", [import_id, import_id]))
    rows = _records(
        con.execute(
            f"SELECT * FROM quarantine {where} ORDER BY import_id DESC, file, line "
            "LIMIT ? OFFSET ?",
            [import_id, import_id, per_page, (page - 1) * per_page],
        )
    )
    return total, rows


@router.get("/imports")
def get_imports(
    user: Reader,
    con: ImportLog,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
    sort: SortQuery = ImportSort.id,
    dir: DirQuery = SortDir.desc,
) -> dict[str, Any]:
    """The import log: one row per imported file with its counts, newest first by default."""
    total, rows = import_page(con, page=page, per_page=per_page, sort=sort, direction=dir)
    return {"total": total, "page": page, "per_page": per_page, "imports": rows}


@router.get("/quarantine")
def get_quarantine(
    user: Reader,
    con: ImportLog,
    import_id: ImportQuery = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 100,
) -> dict[str, Any]:
    """Rows set aside by imports, with file, line, field, reason, record and raw text."""
    total, rows = quarantine_page(con, import_id=import_id, page=page, per_page=per_page)
    return {"total": total, "page": page, "per_page": per_page, "rows": rows}
