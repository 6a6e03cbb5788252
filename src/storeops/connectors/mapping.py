"""The TOML mapping of `storeops import csv|parquet`: which file column holds which canonical field.

A mapping is validated when it is loaded, against the record kind it is used for, so that a typo
stops the import before anything is read, with the mapping file's line and the field named.
docs/mapping.md describes the format for people.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import duckdb
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from storeops.core.errors import BadInput, UserError
from storeops.core.settings import toml_line_of

UTF8_NAMES = ("utf-8", "utf8", "utf-8-sig")


class Type(StrEnum):
    TEXT = "text"
    MONEY = "amount"
    INT = "whole number"
    BIGINT = "count"
    TIMESTAMP = "timestamp"
    DATE = "date"

    @property
    def a(self) -> str:
        """The type with its article, for messages: 'an amount', 'a date'."""
        return f"an {self.value}" if self is Type.MONEY else f"a {self.value}"


@dataclass(frozen=True)
class Spec:
    type: Type = Type.TEXT
    required: bool = False
    line: bool = False  # a field of the record's lines (order lines, refund lines)


@dataclass(frozen=True)
class RecordKind:
    name: str
    table: str  # the canonical table
    what: str  # how messages call one record
    fields: dict[str, Spec]
    builtin_defaults: dict[str, str] = field(default_factory=dict)
    line_table: str | None = None

    def valid(self) -> str:
        return ", ".join(self.fields)


T, M, N, B, TS, D = Type.TEXT, Type.MONEY, Type.INT, Type.BIGINT, Type.TIMESTAMP, Type.DATE

RECORD_KINDS = {
    kind.name: kind
    for kind in (
        RecordKind(
            "orders",
            "orders",
            "order",
            {
                "source_id": Spec(T, True),
                "name": Spec(),
                "created_at": Spec(TS, True),
                "currency": Spec(),
                "financial_status": Spec(),
                "fulfillment_status": Spec(),
                "cancelled_at": Spec(TS),
                "customer_id": Spec(),
                "channel": Spec(),
                "country": Spec(),
                "discount_codes": Spec(),
                "subtotal": Spec(M),
                "discounts": Spec(M),
                "shipping": Spec(M),
                "taxes": Spec(M),
                "total": Spec(M),
                "refunded": Spec(M),
                "sku": Spec(T, line=True),
                "product_name": Spec(T, line=True),
                "quantity": Spec(N, True, line=True),
                "price": Spec(M, True, line=True),
                "line_discount": Spec(M, line=True),
                "vendor": Spec(T, line=True),
            },
            line_table="order_lines",
        ),
        RecordKind(
            "products",
            "products",
            "product",
            {
                "source_id": Spec(),
                "sku": Spec(T, True),
                "handle": Spec(),
                "title": Spec(),
                "variant_title": Spec(),
                "vendor": Spec(),
                "category": Spec(),
                "price": Spec(M),
                "compare_at_price": Spec(M),
                "cost": Spec(M),
                "status": Spec(),
            },
        ),
        RecordKind(
            "inventory",
            "inventory_levels",
            "stock level",
            {
                "sku": Spec(T, True),
                "location": Spec(T, True),
                "date": Spec(D, True),
                "on_hand": Spec(N, True),
            },
            builtin_defaults={"location": "default"},
        ),
        RecordKind(
            "refunds",
            "refunds",
            "refund",
            {
                "source_id": Spec(T, True),
                "order_id": Spec(T, True),
                "refunded_at": Spec(TS),
                "date": Spec(D),
                "amount": Spec(M, True),
                "reason": Spec(),
                "sku": Spec(T, True, line=True),
                "quantity": Spec(N, True, line=True),
                "line_amount": Spec(M, line=True),
            },
            line_table="refund_lines",
        ),
        RecordKind(
            "tickets",
            "tickets",
            "ticket",
            {
                "source_id": Spec(T, True),
                "opened_at": Spec(TS, True),
                "first_response_at": Spec(TS),
                "resolved_at": Spec(TS),
                "status": Spec(),
                "category": Spec(),
                "channel": Spec(),
                "satisfaction": Spec(N),
                "order_id": Spec(),
                "sku": Spec(),
            },
        ),
        RecordKind(
            "traffic",
            "traffic",
            "traffic row",
            {
                "date": Spec(D, True),
                "channel": Spec(T, True),
                "sessions": Spec(B, True),
                "add_to_cart": Spec(B),
                "checkouts_started": Spec(B),
                "orders": Spec(B),
            },
        ),
    )
}

ORDER_LINES_ALONE = (
    "--kind order-lines cannot be loaded on its own: an order owns its lines and is replaced with "
    "them, so import the lines with their orders: --kind orders, with the line columns (sku, "
    "quantity, price) mapped next to the order's (see docs/mapping.md)"
)

# Timestamps without a format: ISO 8601 / SQL forms, with or without an offset.
DEFAULT_FORMATS = {
    Type.TIMESTAMP: [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M %z",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M",
    ],
    Type.DATE: ["%Y-%m-%d"],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CsvOptions(_Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    decimal_comma: bool = False
    encoding: str = "utf-8"
    skip_rows: int = Field(default=0, ge=0)

    @field_validator("encoding")
    @classmethod
    def _utf8_only(cls, value: str) -> str:
        if value.lower() not in UTF8_NAMES:
            raise ValueError(
                f"only UTF-8 files can be imported, not {value}: convert the file first, e.g. "
                f"iconv -f {value} -t UTF-8 export.csv > export-utf8.csv, then set "
                'encoding = "utf-8"'
            )
        return value


class MappingFile(_Strict):
    source: str | None = Field(default=None, min_length=1)
    csv: CsvOptions = CsvOptions()
    columns: dict[str, StrictStr] = Field(min_length=1)
    formats: dict[str, StrictStr | list[StrictStr]] = {}
    defaults: dict[str, StrictStr | StrictInt] = {}
    values: dict[str, dict[str, StrictStr]] = {}


@dataclass(frozen=True)
class Mapping:
    """A mapping checked against its record kind."""

    file: Path
    text: str
    kind: RecordKind
    source: str | None
    csv: CsvOptions
    columns: dict[str, str]  # canonical field -> file column
    formats: dict[str, list[str]]
    defaults: dict[str, str]  # the file's [defaults] and the kind's built-in ones
    values: dict[str, dict[str, str]]  # field -> {lower-cased file value: canonical value}

    @property
    def grouped(self) -> bool:
        """Lines are mapped: rows sharing source_id are one record with one line per row."""
        return any(self.kind.fields[name].line for name in self.columns)

    def fields(self) -> list[str]:
        """The fields this import stages: every field but line fields of an ungrouped file."""
        return [n for n, s in self.kind.fields.items() if self.grouped or not s.line]

    def formats_of(self, name: str) -> list[str]:
        return self.formats.get(name) or DEFAULT_FORMATS[self.kind.fields[name].type]

    def error(self, message: str, section: str | None, key: str | None) -> BadInput:
        line = toml_line_of(self.text, section, key) or toml_line_of(self.text, section, None)
        where = f"{section}.{key}" if section and key else (key or section)
        return BadInput(self.file, message, line=line, field=where)


def load_mapping(file: Path, kind_name: str) -> Mapping:
    """Reads and checks a mapping for one record kind; BadInput names the line and field."""
    if kind_name == "order-lines":
        raise UserError(ORDER_LINES_ALONE)
    if kind_name not in RECORD_KINDS:
        raise UserError(
            f"unknown record kind {kind_name!r}; choose one of: {', '.join(RECORD_KINDS)}"
        )
    kind = RECORD_KINDS[kind_name]
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(file, "no such mapping file") from None
    except UnicodeDecodeError:
        raise BadInput(file, "the mapping is not UTF-8 text") from None
    try:
        data = MappingFile(**tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(file, f"not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise _located(file, text, exc) from None
    mapping = Mapping(
        file=file,
        text=text,
        kind=kind,
        source=data.source,
        csv=data.csv,
        columns=dict(data.columns),
        formats={k: [v] if isinstance(v, str) else list(v) for k, v in data.formats.items()},
        defaults={**kind.builtin_defaults, **{k: str(v) for k, v in data.defaults.items()}},
        values={f: {k.strip().lower(): v for k, v in m.items()} for f, m in data.values.items()},
    )
    _check(mapping, data)
    return mapping


def _located(file: Path, text: str, exc: ValidationError) -> BadInput:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    if loc[0] == "values" and len(loc) > 2:
        section, key = f"values.{loc[1]}", loc[2]
    elif len(loc) > 1:
        section, key = loc[0], loc[1]
    else:
        section, key = None, loc[0]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing" and key == "columns":
        message = "a mapping needs a columns table (canonical field = file column)"
    line = toml_line_of(text, section, key) or toml_line_of(text, section or key, None)
    return BadInput(file, message, line=line, field=f"{section}.{key}" if section else key)


def _check(mapping: Mapping, data: MappingFile) -> None:
    kind = mapping.kind
    for section, keys in (
        ("columns", data.columns),
        ("formats", data.formats),
        ("defaults", data.defaults),
        ("values", data.values),
    ):
        for key in keys:
            if key not in kind.fields:
                # A [values.FIELD] table names its field in its header line.
                where = (f"values.{key}", None) if section == "values" else (section, key)
                raise mapping.error(
                    f"unknown field {key!r} for {kind.name}; valid fields: {kind.valid()}", *where
                )
    if not mapping.grouped:
        for section, keys in (("formats", data.formats), ("defaults", data.defaults)):
            for key in keys:
                if kind.fields[key].line:
                    raise mapping.error(
                        f"{key} is a field of {kind.what} lines: map the line columns under "
                        f"columns to import lines",
                        section,
                        key,
                    )
    for name, column in mapping.columns.items():
        if not column.strip():
            raise mapping.error("empty column name", "columns", name)
    for name, formats in mapping.formats.items():
        _check_formats(mapping, name, formats)
    for name in mapping.values:
        if kind.fields[name].type is not Type.TEXT:
            raise mapping.error(
                f"values translates text fields only; {name} is {kind.fields[name].type.a}",
                f"values.{name}",
                None,
            )
    for name in mapping.fields():
        if (
            kind.fields[name].required
            and name not in mapping.columns
            and name not in mapping.defaults
        ):
            raise mapping.error(
                f"{kind.name} need the field {name!r}: map it to a column under columns, or give it "
                f"a constant value under defaults",
                "columns",
                name,
            )
    if kind.name == "refunds" and not {"refunded_at", "date"} & (
        mapping.columns.keys() | mapping.defaults.keys()
    ):
        raise mapping.error(
            "refunds need refunded_at (a timestamp) or date (the refund's day) under columns",
            "columns",
            None,
        )


def _check_formats(mapping: Mapping, name: str, formats: list[str]) -> None:
    type_ = mapping.kind.fields[name].type
    if type_ not in (Type.TIMESTAMP, Type.DATE):
        raise mapping.error(
            f"formats apply to timestamps and dates; {name} is {type_.a}", "formats", name
        )
    if not formats:
        raise mapping.error("give at least one format", "formats", name)
    con = duckdb.connect()
    try:
        for fmt in formats:
            if type_ is Type.DATE and ("%z" in fmt or "%Z" in fmt):
                raise mapping.error(
                    "a date is the day as written: no %z in its format", "formats", name
                )
            try:
                con.execute("SELECT try_strptime('', ?)", [fmt])
            except duckdb.Error as exc:
                reason = str(exc).split("\n")[0].split("Error: ", 1)[-1]
                raise mapping.error(f"bad format {fmt!r}: {reason}", "formats", name) from None
    finally:
        con.close()
