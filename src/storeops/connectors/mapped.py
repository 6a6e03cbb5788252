"""Any CSV or Parquet export (WMS, ERP, CRM, helpdesk, analytics) read through a TOML mapping.

The mapping (connectors/mapping.py, docs/mapping.md) names the file column of each canonical
field. Every value is parsed in DuckDB: numbers with the file's decimal mark, timestamps with the
mapping's formats (without an offset they are store-local and converted to UTC). A row with a bad
value is quarantined with its line and raw text; an order or refund given with its lines (one row
per line) is quarantined whole when any of its rows is bad.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from storeops.connectors.base import (
    Check,
    CsvLocator,
    Reject,
    StageContext,
    check_file,
    csv_header,
    read_csv_into,
    sha256_of,
    sql_first_problem,
    sql_local_date,
    sql_quoted_value,
    sql_text,
)
from storeops.connectors.mapping import Mapping, Type, load_mapping
from storeops.core.errors import BadInput, UserError
from storeops.warehouse.loading import StagedFile, create_stage_quarantine
from storeops.warehouse.schema import TABLES

# is_sale is false for an order whose financial_status is one of these (after [values]).
NOT_SALE_STATUSES = ("cancelled", "canceled", "void", "voided")
VOCABULARIES = {
    ("tickets", "status"): ("open", "pending", "resolved", "closed"),
    ("products", "status"): ("active", "draft", "archived"),
}
LOWER = {"financial_status", "fulfillment_status", "status", "channel"}
UPPER = {"currency", "country"}
# Credit notes write refunds negative: refund amounts and quantities are stored positive instead.
NON_NEGATIVE = {
    "orders": {"quantity"},
    "traffic": {"sessions", "add_to_cart", "checkouts_started", "orders"},
}
INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
# Spaces people and spreadsheets put between thousands: space, no-break space, narrow no-break.
SPACES = r" \x{00A0}\x{202F}"

Locate = Callable[[set[int]], dict[int, tuple[int, str]]]


@dataclass(frozen=True)
class Column:
    """A file column as SQL sees it: how to refer to it, and its type (VARCHAR in a CSV)."""

    ref: str
    type: str

    @property
    def is_text(self) -> bool:
        return self.type == "VARCHAR"


def stage_csv(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    mapping = _mapping(ctx)
    check_file(file)
    options = mapping.csv
    shift = options.skip_rows
    with _without_first_lines(file, shift) as readable:
        with _lines_shifted(file, shift):
            header = csv_header(readable, delimiter=options.delimiter)
        _require_columns(mapping, file, header)
        refs = {name: f"c{i}" for i, name in enumerate(dict.fromkeys(mapping.columns.values()))}
        with _lines_shifted(file, shift):
            rejects = read_csv_into(con, readable, "src", refs, delimiter=options.delimiter)
        locator = CsvLocator(readable, {r.line for r in rejects}, delimiter=options.delimiter)

        def locate(indexes: set[int]) -> dict[int, tuple[int, str]]:
            return {i: (line + shift, raw) for i, (line, raw) in locator.locate(indexes).items()}

        # A malformed row of a grouped record takes its record with it: find the record's key.
        key_at = header.index(mapping.columns["source_id"]) if mapping.grouped else None
        keyed = [
            (
                Reject(r.line + shift, r.field, r.reason, r.raw),
                _field_of(r.raw, key_at, options.delimiter),
            )
            for r in rejects
        ]
        columns = {name: Column(ref, "VARCHAR") for name, ref in refs.items()}
        return _stage(con, file, ctx, mapping, "csv", columns, keyed, locate)


def stage_parquet(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    mapping = _mapping(ctx)
    check_file(file)
    try:
        con.execute("CREATE OR REPLACE TABLE src AS SELECT * FROM read_parquet(?)", [str(file)])
    except duckdb.Error as exc:
        reason = str(exc).split("\n")[0].split("Error: ", 1)[-1]
        raise BadInput(file, f"not a readable Parquet file: {reason}") from None
    types = {name: str(type_) for name, type_ in zip(*_describe(con), strict=True)}
    _require_columns(mapping, file, list(types))
    columns = {name: Column('"' + name.replace('"', '""') + '"', types[name]) for name in types}

    def locate(indexes: set[int]) -> dict[int, tuple[int, str]]:
        con.register("wanted", pa.table({"idx": sorted(indexes)}))
        rows = con.execute(
            "SELECT s.rowid, to_json(s) FROM src s WHERE s.rowid IN (SELECT idx FROM wanted)"
        ).fetchall()
        con.unregister("wanted")
        return {idx: (idx + 1, raw) for idx, raw in rows}

    return _stage(con, file, ctx, mapping, "parquet", columns, [], locate)


def _mapping(ctx: StageContext) -> Mapping:
    if ctx.mapping is None or ctx.record_kind is None:
        raise UserError("csv and parquet imports need --kind and --mapping (see docs/mapping.md)")
    return load_mapping(ctx.mapping, ctx.record_kind)


def _describe(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    rows = con.execute("DESCRIBE src").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


@contextmanager
def _without_first_lines(file: Path, count: int) -> Iterator[Path]:
    """The file itself, or a copy without its first `count` lines (titles above the header)."""
    if count == 0:
        yield file
        return
    with tempfile.TemporaryDirectory(prefix="storeops-") as folder:
        copy = Path(folder) / file.name
        with file.open("rb") as source, copy.open("wb") as target:
            for _ in range(count):
                if not source.readline():
                    raise BadInput(file, f"skip_rows = {count} skips the whole file", line=count)
            shutil.copyfileobj(source, target)
        yield copy


@contextmanager
def _lines_shifted(file: Path, shift: int) -> Iterator[None]:
    """File-level errors of the copy name the user's file and its own line numbers."""
    try:
        yield
    except BadInput as exc:
        line = exc.line + shift if exc.line is not None else None
        raise BadInput(file, exc.reason, line=line, field=exc.field) from None


def _require_columns(mapping: Mapping, file: Path, header: list[str]) -> None:
    for name, column in mapping.columns.items():
        if column not in header:
            shown = ", ".join(repr(h) for h in header[:30])
            raise mapping.error(
                f"column {column!r} is not in {file.name}; its columns are: {shown}",
                "columns",
                name,
            )


def _field_of(raw: str, index: int | None, delimiter: str) -> str | None:
    if index is None:
        return None
    fields = next(csv.reader([raw], delimiter=delimiter), [])
    return (fields[index].strip() or None) if index < len(fields) else None


# Parsing ---------------------------------------------------------------------------------------


def _create_macros(con: duckdb.DuckDBPyConnection, decimal_comma: bool) -> None:
    """Text to numbers: '1 234,50 €' with a decimal comma, '1,234.50' without."""
    group, point = (".", ",") if decimal_comma else (",", r"\.")
    pattern = f"-?([0-9]+|[0-9]{{1,3}}([{group}{SPACES}][0-9]{{3}})+)({point}[0-9]+)?"
    con.execute(
        r"CREATE OR REPLACE TEMP MACRO mapped_clean(x) AS "
        r"regexp_replace(trim(x), '^[€$£]\s*|\s*[€$£]$', '', 'g')"
    )
    con.execute(
        # The plain form ("1234,50") skips the cleaning: most values are plain.
        f"""CREATE OR REPLACE TEMP MACRO mapped_number(x) AS
        CASE WHEN regexp_full_match(x, '-?[0-9]+({point}[0-9]+)?') THEN replace(x, ',', '.')
        WHEN regexp_full_match(mapped_clean(x), '{pattern}')
        THEN replace(regexp_replace(mapped_clean(x), '[{group}{SPACES}]', '', 'g'), ',', '.') END"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO mapped_money(x) AS TRY_CAST(mapped_number(x) AS DECIMAL(18,2))"
    )
    for name, sql_type in (("int", "INTEGER"), ("bigint", "BIGINT")):
        con.execute(
            f"""CREATE OR REPLACE TEMP MACRO mapped_{name}(x) AS
            CASE WHEN regexp_full_match(mapped_number(x), '-?[0-9]+(\\.0*)?')
            THEN TRY_CAST(split_part(mapped_number(x), '.', 1) AS {sql_type}) END"""
        )


def _zone(ctx: StageContext) -> str:
    return sql_text(ctx.timezone)  # an IANA name validated by the settings


def _list(formats: list[str]) -> str:
    return "[" + ", ".join(sql_text(f) for f in formats) + "]"


def _parse_text(mapping: Mapping, name: str, x: str, ctx: StageContext) -> str:
    """SQL parsing text `x` as field `name`, NULL when it is not a valid value."""
    type_ = mapping.kind.fields[name].type
    if type_ is Type.TEXT:
        value = x
        if translations := mapping.values.get(name):
            cases = " ".join(
                f"WHEN {sql_text(k)} THEN {sql_text(v)}" for k, v in translations.items()
            )
            value = f"CASE lower({x}) {cases} ELSE {x} END"
        return f"lower({value})" if name in LOWER else f"upper({value})" if name in UPPER else value
    if type_ is Type.MONEY:
        return f"mapped_money({x})"
    if type_ in (Type.INT, Type.BIGINT):
        return f"mapped_{'int' if type_ is Type.INT else 'bigint'}({x})"
    formats = mapping.formats_of(name)
    if type_ is Type.DATE:
        return f"CAST(try_strptime({x}, {_list(formats)}) AS DATE)"
    with_offset = [f for f in formats if "%z" in f or "%Z" in f]
    local = [f for f in formats if f not in with_offset]
    parts = []
    if with_offset:  # DuckDB's %z does not take "Z" for UTC
        parts.append(
            f"timezone('UTC', try_strptime(regexp_replace({x}, 'Z$', '+00:00'), {_list(with_offset)}))"
        )
    if local:
        parts.append(f"timezone('UTC', timezone({_zone(ctx)}, try_strptime({x}, {_list(local)})))")
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


def _convert_typed(mapping: Mapping, name: str, column: Column, x: str, ctx: StageContext) -> str:
    """SQL converting a typed Parquet column to field `name`; BadInput when the type cannot."""
    type_ = mapping.kind.fields[name].type
    sql_type = column.type
    is_int = sql_type in INTEGER_TYPES
    is_number = is_int or sql_type in ("DOUBLE", "FLOAT") or sql_type.startswith("DECIMAL")
    is_tz = sql_type == "TIMESTAMP WITH TIME ZONE"
    is_ts = sql_type.startswith("TIMESTAMP") and not is_tz
    if type_ is Type.MONEY and is_number:
        return f"TRY_CAST({x} AS DECIMAL(18,2))"
    if type_ in (Type.INT, Type.BIGINT) and is_number:
        target = "INTEGER" if type_ is Type.INT else "BIGINT"
        return (
            f"TRY_CAST({x} AS {target})"
            if is_int
            else f"CASE WHEN {x} = trunc({x}) THEN TRY_CAST({x} AS {target}) END"
        )
    if type_ is Type.TIMESTAMP and is_tz:
        return f"timezone('UTC', {x})"
    if type_ is Type.TIMESTAMP and is_ts:
        return f"timezone('UTC', timezone({_zone(ctx)}, CAST({x} AS TIMESTAMP)))"
    if type_ is Type.DATE and sql_type == "DATE":
        return x
    if type_ is Type.DATE and is_tz:
        return f"CAST(timezone({_zone(ctx)}, {x}) AS DATE)"
    if type_ is Type.DATE and is_ts:
        return f"CAST({x} AS DATE)"
    raise mapping.error(
        f"column {mapping.columns[name]!r} holds {sql_type} values, which cannot be read as {type_.a}",
        "columns",
        name,
    )


def _inputs(mapping: Mapping, columns: dict[str, Column]) -> dict[str, str]:
    """Field -> SQL of its input: the trimmed cell (or the default when blank), typed or text."""
    inputs = {}
    for name in mapping.fields():
        default = mapping.defaults.get(name)
        literal = sql_text(default) if default is not None else "NULL::VARCHAR"
        column = columns.get(mapping.columns.get(name, ""))
        if column is None:
            inputs[name] = literal
        elif column.is_text or mapping.kind.fields[name].type is Type.TEXT:
            cell = f"nullif(trim(CAST({column.ref} AS VARCHAR)), '')"
            inputs[name] = cell if default is None else f"coalesce({cell}, {literal})"
        else:
            inputs[name] = column.ref  # typed; its default is applied after conversion
    return inputs


def _parsed(mapping: Mapping, columns: dict[str, Column], ctx: StageContext) -> dict[str, str]:
    """Field -> SQL of its value, from the `<field>__in` columns."""
    parsed = {}
    for name in mapping.fields():
        x = f"{name}__in"
        column = columns.get(mapping.columns.get(name, ""))
        if column is None or column.is_text or mapping.kind.fields[name].type is Type.TEXT:
            parsed[name] = _parse_text(mapping, name, x, ctx)
            continue
        value = _convert_typed(mapping, name, column, x, ctx)
        if (default := mapping.defaults.get(name)) is not None:
            value = f"coalesce({value}, {_parse_text(mapping, name, sql_text(default), ctx)})"
        parsed[name] = value
    return parsed


def _check_defaults(con: duckdb.DuckDBPyConnection, mapping: Mapping, ctx: StageContext) -> None:
    for name, default in mapping.defaults.items():
        if name not in mapping.fields() or mapping.kind.fields[name].type is Type.TEXT:
            continue
        value = con.execute(f"SELECT {_parse_text(mapping, name, sql_text(default), ctx)}")
        if value.fetchone()[0] is None:
            type_ = mapping.kind.fields[name].type
            raise mapping.error(
                f"{default!r} is not {type_.a} (as the file's values are read)", "defaults", name
            )


# Checks ----------------------------------------------------------------------------------------


def _checks(mapping: Mapping) -> list[Check]:
    kind = mapping.kind
    checks = []
    for name in mapping.fields():
        spec = kind.fields[name]
        # Grouped: a record's fields are read from its first row, its lines' from every row.
        only_first = mapping.grouped and not spec.line and name != "source_id"
        when = "idx = first_idx AND " if only_first else ""
        shown = sql_quoted_value(f"CAST({name}__in AS VARCHAR)")
        if spec.type is not Type.TEXT:
            checks.append(
                Check(
                    f"{when}{name}__in IS NOT NULL AND {name} IS NULL",
                    name,
                    f"'not {spec.type.a}: ' || {shown}",
                )
            )
        # A mapped source_id is required even where the kind can do without (products: sku).
        if spec.required or (name == "source_id" and name in mapping.columns):
            checks.append(Check(f"{when}{name} IS NULL", name, sql_text("empty, but required")))
        if name in NON_NEGATIVE.get(kind.name, ()):
            checks.append(Check(f"{when}{name} < 0", name, f"'negative: ' || {shown}"))
        if name == "currency":
            checks.append(
                Check(
                    f"{when}NOT regexp_full_match({name}, '[A-Z]{{3}}')",
                    name,
                    f"'not a currency code: ' || {shown}",
                )
            )
        if name == "satisfaction":
            checks.append(
                Check(
                    f"{when}{name} NOT BETWEEN 1 AND 5",
                    name,
                    f"'not a rating from 1 to 5: ' || {shown}",
                )
            )
        if vocabulary := VOCABULARIES.get((kind.name, name)):
            listed = ", ".join(vocabulary)
            checks.append(
                Check(
                    f"{when}{name} NOT IN ({', '.join(sql_text(v) for v in vocabulary)})",
                    name,
                    f"'unknown {name} ' || {shown} || {sql_text(f' (expected {listed}; translate it under values.{name} in the mapping)')}",
                )
            )
    if kind.name == "refunds":
        when = "idx = first_idx AND " if mapping.grouped else ""
        checks.append(
            Check(
                f"{when}refunded_at IS NULL AND date IS NULL",
                "refunded_at",
                sql_text("no refund date: refunded_at and date are both empty"),
            )
        )
    return checks


def _key(mapping: Mapping) -> str:
    """SQL of the record's source_id, from parsed fields."""
    kind = mapping.kind.name
    if kind == "inventory":
        return "sku || '|' || location || '|' || strftime(date, '%Y-%m-%d')"
    if kind == "traffic":
        return "strftime(date, '%Y-%m-%d') || '|' || channel"
    if kind == "products" and "source_id" not in mapping.columns:
        return "sku"
    return "source_id"


# Staging ---------------------------------------------------------------------------------------


def _stage(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    ctx: StageContext,
    mapping: Mapping,
    fmt: str,
    columns: dict[str, Column],
    rejects: list[tuple[Reject, str | None]],
    locate: Locate,
) -> StagedFile:
    source = ctx.source or mapping.source
    if not source:
        raise mapping.error(
            'name the source of these records: source = "erp" at the top, or --source NAME',
            None,
            "source",
        )
    _create_macros(con, mapping.csv.decimal_comma and fmt == "csv")
    _check_defaults(con, mapping, ctx)
    inputs = _inputs(mapping, columns)
    parsed = _parsed(mapping, columns, ctx)
    window = (
        "min(idx) OVER (PARTITION BY key) AS first_idx"
        if mapping.grouped
        else "CASE WHEN key IS NOT NULL THEN max(idx) OVER (PARTITION BY key) END AS last_idx"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rows AS
        WITH i AS (SELECT rowid AS idx, {", ".join(f"{v} AS {k}__in" for k, v in inputs.items())} FROM src),
             p AS (SELECT *, {", ".join(f"{v} AS {k}" for k, v in parsed.items())} FROM i),
             k AS (SELECT *, {_key(mapping)} AS key FROM p),
             w AS (SELECT *, {window} FROM k)
        SELECT *, {sql_first_problem(_checks(mapping))} FROM w
        """
    )
    create_stage_quarantine(con)
    _quarantine(con, mapping, rejects, locate)
    tables = _stage_tables(con, mapping, source, ctx)
    rows_read = con.execute("SELECT count(*) FROM src").fetchone()[0] + len(rejects)
    return StagedFile(
        kind=f"{fmt}:{mapping.kind.name}",
        source=source,
        file=file,
        sha256=sha256_of(file),
        rows_read=rows_read,
        tables=tables,
    )


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    rejects: list[tuple[Reject, str | None]],
    locate: Locate,
) -> None:
    """Bad rows, the other rows of a bad grouped record, and rows a later row supersedes."""
    con.execute("CREATE OR REPLACE TABLE bad_keys (key VARCHAR)")
    reject_keys = sorted({key for _, key in rejects if key})
    if reject_keys:
        con.executemany("INSERT INTO bad_keys VALUES (?)", [[k] for k in reject_keys])
    if mapping.grouped:
        con.execute(
            "INSERT INTO bad_keys SELECT DISTINCT key FROM rows WHERE problem_field IS NOT NULL AND key IS NOT NULL"
        )
        dropped = "problem_field IS NOT NULL OR key IN (SELECT key FROM bad_keys)"
        winner = "NULL"
    else:
        dropped = "problem_field IS NOT NULL OR idx < last_idx"
        winner = "CASE WHEN idx < last_idx THEN last_idx END"
    con.execute(f"CREATE OR REPLACE TABLE dropped AS SELECT idx FROM rows WHERE {dropped}")
    bad = con.execute(
        f"SELECT idx, key, problem_field, problem_reason, {winner} FROM rows WHERE {dropped} ORDER BY idx"
    ).fetchall()
    if not bad and not rejects:
        return
    where = locate({b[0] for b in bad} | {b[4] for b in bad if b[4] is not None})
    what = mapping.kind.what
    first_problem: dict[str, str] = {}
    entries = []
    for reject, key in rejects:
        entries.append((reject.line, reject.field, reject.reason, key, reject.raw))
        if key:
            first_problem.setdefault(key, f"line {reject.line}: {reject.reason}")
    located = []
    for idx, key, field, reason, winner_idx in bad:
        line, raw = where.get(idx, (None, None))
        column = mapping.columns.get(field, field) if field else None
        located.append((line, column, reason, key, raw, winner_idx))
        if column and key:
            first_problem.setdefault(key, f"line {line}: {column}: {reason}")
    for line, column, reason, key, raw, winner_idx in located:
        if column is None and winner_idx is not None:
            later = where[winner_idx][0]
            reason = f"superseded by line {later}: the same {what} ({key}) comes again later in the file, and the later row wins"
        elif column is None:
            reason = f"{what} {key} is quarantined whole: {first_problem[key]}"
        entries.append((line, column, reason, key, raw))
    is_order = mapping.kind.name == "orders"
    table = pa.table(
        {
            "line": pa.array([e[0] for e in entries], pa.int64()),
            "field": pa.array([e[1] for e in entries], pa.string()),
            "reason": pa.array([e[2] for e in entries], pa.string()),
            "record_ref": pa.array([e[3] for e in entries], pa.string()),
            "raw": pa.array([e[4] for e in entries], pa.string()),
            "is_order": pa.array([is_order and e[3] is not None for e in entries], pa.bool_()),
        }
    )
    con.register("quarantined", table)
    con.execute("INSERT INTO stage_quarantine BY NAME SELECT * FROM quarantined")
    con.unregister("quarantined")


def _select(table: str, exprs: dict[str, str], fields: list[str]) -> str:
    """The SELECT list of a staged table: every canonical column, from `exprs` or its field."""
    out = []
    for name, sql_type in TABLES[table].columns:
        expr = exprs.get(name, name if name in fields else "NULL")
        out.append(f"CAST({expr} AS {sql_type}) AS {name}")
    return ", ".join(out)


def _stage_tables(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, source: str, ctx: StageContext
) -> list[str]:
    con.execute(
        "CREATE OR REPLACE TEMP VIEW good AS SELECT * FROM rows ANTI JOIN dropped USING (idx)"
    )
    kind, fields, zone = mapping.kind, mapping.fields(), ctx.timezone
    first = "WHERE idx = first_idx" if mapping.grouped else ""
    common = {"source": "?", "source_id": "key"}
    exprs = {
        "orders": {
            **common,
            "name": "coalesce(name, key)",
            "local_date": sql_local_date("created_at", zone),
            "currency": f"coalesce(currency, {sql_text(ctx.currency)})",
            "is_sale": f"coalesce(financial_status NOT IN ({', '.join(sql_text(s) for s in NOT_SALE_STATUSES)}), true)",
            **{m: f"coalesce({m}, 0)" for m in ("discounts", "shipping", "taxes", "refunded")},
        },
        "products": common,
        "inventory": common,
        "refunds": {
            **common,
            "local_date": f"coalesce({sql_local_date('refunded_at', zone)}, date)",
            "amount": "abs(amount)",
        },
        "tickets": {**common, "local_date": sql_local_date("opened_at", zone)},
        "traffic": common,
    }[kind.name]
    con.execute(
        f"CREATE OR REPLACE TABLE stage_{kind.table} AS SELECT {_select(kind.table, exprs, fields)} FROM good {first}",
        [source],
    )
    if not mapping.grouped:
        return [kind.table]
    line_exprs = {
        "order_lines": {
            "source": "?",
            "order_id": "key",
            "line_no": "row_number() OVER (PARTITION BY key ORDER BY idx)",
            "discount": "coalesce(line_discount, 0)",
        },
        "refund_lines": {
            "source": "?",
            "refund_id": "key",
            # A refund line's order is its refund's, read from the refund's first row.
            "order_id": "first_value(order_id) OVER (PARTITION BY key ORDER BY idx)",
            "quantity": "abs(quantity)",
            "amount": "abs(line_amount)",
        },
    }[kind.line_table]
    con.execute(
        f"CREATE OR REPLACE TABLE stage_{kind.line_table} AS "
        f"SELECT {_select(kind.line_table, line_exprs, fields)} FROM good",
        [source],
    )
    return [kind.table, kind.line_table]
