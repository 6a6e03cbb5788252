"""What every connector shares: file checks, CSV reading with rejects, quarantining bad records
whole at their physical lines, and the SQL that parses money and timestamps the same way
everywhere.

A connector is a function `stage(con, file, ctx) -> StagedFile` that reads one file into
`stage_<table>` tables of `con` (an in-memory DuckDB connection) and `stage_quarantine`, so that
rows read = rows staged + rows quarantined. It never touches the warehouse: the loader does.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from storeops.core.errors import BadInput
from storeops.core.money import MONEY_PATTERN

UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_reject_tables = itertools.count()


@dataclass(frozen=True)
class StageContext:
    """What a connector needs to know about the workspace and the command line."""

    timezone: str
    currency: str
    source: str | None = None  # overrides the connector's default source name
    record_kind: str | None = None  # csv/parquet: which canonical table the file holds
    mapping: Path | None = None  # csv/parquet: the TOML mapping file


@dataclass(frozen=True)
class Reject:
    """A CSV record DuckDB could not split into the header's columns (or decode)."""

    line: int
    field: str | None
    reason: str
    raw: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_in_background(path: Path) -> Callable[[], str]:
    """Hashes `path` in a thread (hashlib lets go of the GIL on large blocks) while DuckDB reads
    it; returns the function that waits for the digest."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    digest = executor.submit(sha256_of, path)
    executor.shutdown(wait=False)
    return digest.result


def check_file(path: Path) -> None:
    """A readable, non-empty file in UTF-8 (with or without BOM)."""
    if not path.exists():
        raise BadInput(path, "no such file")
    if not path.is_file():
        raise BadInput(path, "not a file")
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise BadInput(path, "the file is empty", line=1)
    if head.startswith(UTF16_32_BOMS) and not head.startswith(codecs.BOM_UTF8):
        raise BadInput(path, "the file is UTF-16/32 encoded; export it as UTF-8", line=1)


def csv_header(path: Path, *, delimiter: str = ",") -> list[str]:
    check_file(path)
    with path.open("rb") as handle:
        head = handle.read(1 << 16).decode("utf-8-sig", errors="replace")
    header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    header = [name.strip() for name in header]
    if any("\ufffd" in name for name in header):
        raise BadInput(path, "the header is not UTF-8 text; export the file as UTF-8", line=1)
    if not any(header):
        raise BadInput(path, "the first line holds no column names", line=1)
    return header


def require_columns(path: Path, header: list[str], required: list[str], what: str) -> None:
    for column in required:
        if column not in header:
            raise BadInput(
                path, f"missing required column {column!r}: is this a {what}?", line=1, field=column
            )


def read_csv_into(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    columns: dict[str, str],
    *,
    delimiter: str = ",",
) -> list[Reject]:
    """Reads `columns` (file column -> staged name) of a CSV into `table` as text, in file order.

    The table's rowid is the record's index among accepted records. Records DuckDB cannot read
    (wrong number of fields, bad UTF-8) are returned as rejects with their line and raw text.
    """
    n = next(_reject_tables)
    rejects_table, rejects_scan = f"rejects_{n}", f"rejects_scan_{n}"
    select = ", ".join(f'"{_ident(src)}" AS {dst}' for src, dst in columns.items())
    unused: list[str] = []
    if not is_utf8(path):
        # DuckDB 1.5 fails with an internal error, and loses the database, on a record with bad
        # UTF-8 in a column it reads at a position past the number of columns it reads: reading
        # every column up to the last one wanted keeps the two the same.
        header = csv_header(path, delimiter=delimiter)
        wanted = {header.index(src): dst for src, dst in columns.items()}
        unused = [f"unused_{i}" for i in range(max(wanted)) if i not in wanted]
        select = ", ".join(
            f"#{i + 1} AS {wanted.get(i, f'unused_{i}')}" for i in range(max(wanted) + 1)
        )
    try:
        with duckdb_path(path) as readable:
            con.execute(
                f"""
            CREATE OR REPLACE TABLE {table} AS
            SELECT {select} FROM read_csv(?, header = true, all_varchar = true, delim = ?,
                quote = '"', escape = '"', strict_mode = true, null_padding = false,
                store_rejects = true, rejects_table = '{rejects_table}',
                rejects_scan = '{rejects_scan}', max_line_size = 16777216)
            """,
                [readable, delimiter],
            )
    except duckdb.Error as exc:
        raise BadInput(path, _first_line(exc)) from None
    for column in unused:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    # DuckDB's `line` counts records, not the newlines inside quoted fields: the physical line
    # is found from the record's byte offset. One message per error type (a short row gives
    # one MISSING COLUMNS error per missing column).
    rows = con.execute(
        f"""
        SELECT min(line_byte_position), arg_min(column_name, column_idx),
               string_agg(message, '; ' ORDER BY message), any_value(csv_line)
        FROM (SELECT line, error_type, min(line_byte_position) AS line_byte_position,
                     arg_min(column_name, column_idx) AS column_name, min(column_idx) AS column_idx,
                     error_type || ': ' || arg_min(error_message, column_idx) AS message,
                     any_value(csv_line) AS csv_line
              FROM {rejects_table} GROUP BY line, error_type)
        GROUP BY line ORDER BY line
        """
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    con.execute(f"DROP TABLE IF EXISTS {rejects_scan}")
    lines = _physical_lines(path, [offset for offset, *_ in rows])
    return [
        Reject(lines[offset], field, _clean_reason(reason), raw.lstrip("\r\n"))
        for offset, field, reason, raw in rows
    ]


def is_utf8(path: Path) -> bool:
    """Whether every byte sequence of the file is valid UTF-8 (ASCII blocks cost next to nothing)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                if not (block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _physical_lines(path: Path, offsets: list[int]) -> dict[int, int]:
    """The 1-based line each byte offset is on (error path only: one streaming pass)."""
    found: dict[int, int] = {}
    pending = sorted(set(offsets))
    line, position = 1, 0
    with path.open("rb") as handle:
        while pending:
            block = handle.read(1 << 20)
            end = position + len(block)
            while pending and (pending[0] <= end or not block):
                found[pending[0]] = line + block.count(b"\n", 0, pending[0] - position)
                pending.pop(0)
            if not block:
                break
            line += block.count(b"\n")
            position = end
    return found


def _clean_reason(reason: str) -> str:
    return reason.replace("This file is not utf-8 encoded.", "not UTF-8 text.").strip()


@contextmanager
def duckdb_path(path: Path) -> Iterator[str]:
    """DuckDB reads file names as glob patterns: a name with * ? [ is read through a plain link."""
    absolute = path.resolve()
    if not any(char in str(absolute) for char in "*?[]{}"):
        yield str(absolute)
        return
    with tempfile.TemporaryDirectory(prefix="storeops-") as scratch:
        link = Path(scratch) / f"input{path.suffix}"
        link.symlink_to(absolute)
        yield str(link)


def _first_line(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return text.split("Error: ", 1)[-1]


def _ident(name: str) -> str:
    return name.replace('"', '""')


class CsvLocator:
    """Finds the physical line and raw text of accepted records, for quarantine rows.

    Only called when something is quarantined, so the happy path never pays for a Python pass.
    """

    def __init__(self, path: Path, rejected_lines: set[int], *, delimiter: str = ","):
        self.path = path
        self.rejected_lines = rejected_lines
        self.delimiter = delimiter

    def _records(self) -> Iterator[tuple[int, str]]:
        """(start line, raw text) of every data record, the header and blank lines left out."""
        with self.path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            consumed: list[str] = []

            def lines() -> Iterator[str]:
                for line in handle:
                    consumed.append(line)
                    yield line

            reader = csv.reader(lines(), delimiter=self.delimiter)
            previous_end = 0
            for number, record in enumerate(reader):
                start, previous_end = previous_end + 1, reader.line_num
                raw = "".join(consumed).rstrip("\r\n")
                consumed.clear()
                if number == 0 or not record:
                    continue
                yield start, raw

    def locate(self, indexes: set[int]) -> dict[int, tuple[int, str]]:
        found: dict[int, tuple[int, str]] = {}
        if not indexes:
            return found
        last = max(indexes)
        accepted = (rec for rec in self._records() if rec[0] not in self.rejected_lines)
        for index, (line, raw) in enumerate(accepted):
            if index in indexes:
                found[index] = (line, raw)
            if index >= last:
                break
        return found


def csv_field(raw: str, index: int) -> str | None:
    """Field `index` of a raw CSV record (trimmed), None when the record is shorter."""
    fields = next(csv.reader(io.StringIO(raw, newline="")), [])
    return fields[index].strip() if index < len(fields) else None


def quarantine_whole_records(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    rejects: list[Reject],
    bad: list[tuple[int, str | None, str | None, str | None]],
    *,
    ref_at: int,
    what: str,
    refs_are_orders: bool,
) -> None:
    """Puts the rejects and the accepted rows `bad` (index, record ref, field, reason) in
    `stage_quarantine`. A record (an order, a product) with one bad row goes whole: its rows with
    no problem of their own quote the record's first problem. `ref_at` is the column of the ref
    in a reject's raw text; `what` names the record in reasons."""
    if not bad and not rejects:
        return
    where = CsvLocator(file, {r.line for r in rejects}).locate({idx for idx, *_ in bad})
    first_problem: dict[str, str] = {}
    entries = []
    for reject in rejects:
        ref = csv_field(reject.raw, ref_at) or None
        entries.append((reject.line, reject.field, reject.reason, ref, reject.raw))
        if ref:
            first_problem.setdefault(ref, f"line {reject.line}: {reject.reason}")
    located = []
    for idx, ref, field, reason in bad:
        line, raw = where.get(idx, (None, None))
        located.append((line, ref, field, reason, raw))
        if field and ref:
            first_problem.setdefault(ref, f"line {line}: {field}: {reason}")
    for line, ref, field, reason, raw in located:
        if field is None:
            reason = f"{what} {ref} is quarantined whole: {first_problem[ref]}"
        entries.append((line, field, reason, ref, raw))
    table = pa.table(
        {
            "line": [e[0] for e in entries],
            "field": [e[1] for e in entries],
            "reason": [e[2] for e in entries],
            "record_ref": [e[3] for e in entries],
            "raw": [e[4] for e in entries],
            "is_order": [refs_are_orders and e[3] is not None for e in entries],
        }
    )
    con.register("quarantined", table)
    con.execute("INSERT INTO stage_quarantine BY NAME SELECT * FROM quarantined")
    con.unregister("quarantined")


# SQL fragments: every connector parses values the same way -------------------------------


def sql_money(column: str) -> str:
    """Text to DECIMAL(18,2); NULL when blank or not a plain decimal number."""
    return (
        f"CASE WHEN regexp_full_match(trim({column}), '{MONEY_PATTERN}') "
        f"THEN CAST(trim({column}) AS DECIMAL(18,2)) END"
    )


def sql_try_money(column: str) -> str:
    """Text to DECIMAL(18,2); NULL when blank, not a plain decimal number, or too large. A check
    then reads "the field is there but its value is NULL", so each field is parsed once."""
    return (
        f"CASE WHEN regexp_full_match(trim({column}), '{MONEY_PATTERN}') "
        f"THEN TRY_CAST(trim({column}) AS DECIMAL(18,2)) END"
    )


def sql_bad_money(column: str) -> str:
    """True when a money field holds something that is not a plain decimal number."""
    return f"({column} IS NOT NULL AND NOT regexp_full_match(trim({column}), '{MONEY_PATTERN}'))"


def sql_int(column: str) -> str:
    return f"CASE WHEN regexp_full_match(trim({column}), '^-?[0-9]{{1,9}}$') THEN CAST(trim({column}) AS INTEGER) END"


def sql_bad_int(column: str) -> str:
    return f"({column} IS NOT NULL AND NOT regexp_full_match(trim({column}), '^-?[0-9]{{1,9}}$'))"


def sql_instant_from_offset(column: str) -> str:
    """'2024-11-29 10:15:22 -0500' (or ISO 8601 with an offset or Z) to a TIMESTAMPTZ instant.

    Shopify's own layout is tried alone first: a list of formats costs several times more.
    """
    others = "['%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M %z']"
    return (
        f"CASE WHEN {column} LIKE '____-__-__ __:__:__ _____' "
        f"THEN try_strptime({column}, '%Y-%m-%d %H:%M:%S %z') "
        f"ELSE try_strptime(trim({column}), {others}) END"
    )


def sql_utc(instant: str) -> str:
    """A TIMESTAMPTZ as a UTC TIMESTAMP: plain arithmetic on its microseconds, where
    timezone('UTC', ...) would ask ICU for every row."""
    return f"make_timestamp(epoch_us({instant}))"


def sql_utc_from_offset(column: str) -> str:
    """'2024-11-29 10:15:22 -0500' (or ISO 8601 with an offset or Z) to a UTC TIMESTAMP."""
    return sql_utc(sql_instant_from_offset(column))


def sql_local_date_of_instant(instant: str, timezone: str) -> str:
    """The store-local calendar day of a TIMESTAMPTZ (one time zone conversion, not two)."""
    zone = timezone.replace("'", "''")  # an IANA name validated by the settings
    return f"CAST(timezone('{zone}', {instant}) AS DATE)"


def sql_local_date(utc_column: str, timezone: str) -> str:
    """The store-local calendar day of a UTC TIMESTAMP."""
    zone = timezone.replace("'", "''")  # an IANA name validated by the settings
    return f"CAST(timezone('{zone}', timezone('UTC', {utc_column})) AS DATE)"


@dataclass(frozen=True)
class Check:
    """A row check: when `failed` (SQL) is true, the row is quarantined for `field`, `reason`."""

    failed: str
    field: str
    reason: str  # an SQL expression, so a reason may quote the bad value


def sql_first_problem(checks: list[Check]) -> str:
    """Two columns naming the first failed check of a row (NULL when all pass)."""
    field = " ".join(f"WHEN {c.failed} THEN '{c.field}'" for c in checks)
    reason = " ".join(f"WHEN {c.failed} THEN {c.reason}" for c in checks)
    return f"CASE {field} END AS problem_field, CASE {reason} END AS problem_reason"


def sql_text(value: str) -> str:
    """An SQL string literal of a constant written in code (never of user input)."""
    return "'" + value.replace("'", "''") + "'"


def sql_quoted_value(column: str) -> str:
    """The bad value, shortened and quoted, for a reason."""
    return f"'''' || left({column}, 40) || ''''"
