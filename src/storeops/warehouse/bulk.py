"""Replacing everything one source wrote, in one transaction.

The demo generator (and any future full re-sync) rewrites a whole source at once: the rows it
wrote before are deleted from every data table, the new rows are appended chunk by chunk, and its
line in the import log is written, all in ONE transaction on the warehouse attached as `wh` (see
connection.write_session). A run that fails or is killed leaves the previous data as it was.

Appending skips the per-record comparison of `load_staged`: every row is new by construction.
Entities still get their `row_hash` (loading.row_hash_sql), so that a later import of the same
records recognises them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from storeops.warehouse.connection import WRITE_ALIAS
from storeops.warehouse.derived import refresh_sales_cells
from storeops.warehouse.loading import row_hash_sql
from storeops.warehouse.schema import DATA_TABLES, TABLES

WH = WRITE_ALIAS + "."


@dataclass
class BulkWriter:
    """Appends rows to the warehouse inside the transaction `replace_source` opened."""

    con: duckdb.DuckDBPyConnection
    source: str
    import_id: int
    rows: dict[str, int] = field(default_factory=dict)

    def append(
        self,
        table: str,
        query: str,
        params: list[object] | dict[str, object] | None = None,
        *,
        chunk: object = None,
    ) -> int:
        """Appends the rows of `query`, which yields `table`'s canonical columns (any order) except
        import_id and row_hash, and whose `source` is this writer's source. Returns the count.

        `query` may read an Arrow table (or DataFrame) passed as `chunk` under that name: DuckDB
        finds it among this function's variables. A registered view would do too, but dropping it
        inside the open transaction keeps its catalog entry, and the rows, until the commit.
        """
        spec = TABLES[table]
        row_hash = f", {row_hash_sql(table, 'q')} AS row_hash" if spec.is_entity else ""
        result = self.con.execute(
            f"INSERT INTO {WH}{table} BY NAME "
            f"SELECT q.*, {self.import_id}::BIGINT AS import_id{row_hash} FROM ({query}) q",
            params or [],
        ).fetchone()
        count = int(result[0]) if result else 0
        self.rows[table] = self.rows.get(table, 0) + count
        return count


@contextmanager
def replace_source(
    con: duckdb.DuckDBPyConnection, *, source: str, kind: str, description: str
) -> Iterator[BulkWriter]:
    """Deletes every row of `source`, yields a writer for the new rows, then logs and commits.

    `description` names what was loaded (the import log's `file` column, e.g. the demo's
    arguments). Any exception rolls everything back.
    """
    started = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        (import_id,) = con.execute(
            f"SELECT coalesce(max(import_id), 0) + 1 FROM {WH}imports"
        ).fetchone() or (1,)
        for table in DATA_TABLES:
            con.execute(f"DELETE FROM {WH}{table.name} WHERE source = ?", [source])
        writer = BulkWriter(con, source, import_id)
        yield writer
        _log(con, writer, kind=kind, description=description, started=started)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # The cells are rebuilt once the rows are committed: inside the same transaction, with
    # millions of uncommitted rows spilled to disk, DuckDB 1.4 failed ("Corrupt temporary
    # file") at 10M lines. Until this second transaction commits, the cells carry the previous
    # import's id, so readers use the facts: never a wrong figure, only a slower one.
    con.execute("BEGIN TRANSACTION")
    try:
        refresh_sales_cells(
            con, qualifier=WH, import_id=writer.import_id, tables={t.name for t in DATA_TABLES}
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _log(
    con: duckdb.DuckDBPyConnection,
    writer: BulkWriter,
    *,
    kind: str,
    description: str,
    started: datetime,
) -> None:
    total = sum(writer.rows.values())
    entities = sum(n for table, n in writer.rows.items() if TABLES[table].is_entity)
    orders = writer.rows.get("orders", 0)
    con.execute(
        f"INSERT INTO {WH}imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            writer.import_id,
            kind,
            writer.source,
            description,
            hashlib.sha256(description.encode()).hexdigest(),
            started,
            datetime.now(UTC).replace(tzinfo=None),
            total,  # rows read
            total,  # rows loaded
            0,  # nothing is quarantined: the rows are generated, not parsed
            orders,
            0,
            entities,  # every record is new: the source's previous rows were deleted
            0,
            0,
            orders,
            0,
            0,
        ],
    )
