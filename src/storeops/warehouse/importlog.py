"""Reading the import log and the quarantine."""

from __future__ import annotations

from typing import Any

import duckdb

from storeops.warehouse.connection import scalar


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def list_imports(con: duckdb.DuckDBPyConnection, *, limit: int = 100) -> list[dict[str, Any]]:
    return _records(con.execute("SELECT * FROM imports ORDER BY import_id DESC LIMIT ?", [limit]))


def list_quarantine(
    con: duckdb.DuckDBPyConnection, *, import_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Quarantined rows, newest import first, in file order."""
    return _records(
        con.execute(
            "SELECT * FROM quarantine WHERE ? IS NULL OR import_id = ? "
            "ORDER BY import_id DESC, file, line LIMIT ?",
            [import_id, import_id, limit],
        )
    )


def count_quarantine(con: duckdb.DuckDBPyConnection, *, import_id: int | None = None) -> int:
    return int(
        scalar(
            con,
            "SELECT count(*) FROM quarantine WHERE ? IS NULL OR import_id = ?",
            [import_id, import_id],
        )
    )
