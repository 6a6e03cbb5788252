"""WooCommerce orders as the REST API returns them (`GET /wp-json/wc/v3/orders`).

A file is one page (a JSON array of orders, compact or pretty-printed) or several pages as JSON
lines: each line one page (an array) or one order (an object). Money comes as decimal strings
with as many decimals as the request's `dp` asked for; `*_gmt` dates are UTC without an offset.

DuckDB reads and parses the file in one pass (a `json_transform` per order); Python only picks the
layout and writes the quarantine. An order with any malformed field is quarantined whole, as one
row holding its JSON text.
"""

from __future__ import annotations

import codecs
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from storeops.connectors.base import (
    Check,
    StageContext,
    check_file,
    sha256_of,
    sql_bad_money,
    sql_first_problem,
    sql_local_date,
    sql_money,
    sql_quoted_value,
    sql_text,
    sql_utc_from_offset,
)
from storeops.core.errors import BadInput
from storeops.warehouse.loading import StagedFile, create_stage_quarantine

SOURCE = "woocommerce"
KIND = "woocommerce-orders"
RAW_LIMIT = 10_000  # characters of an order's JSON kept in the quarantine
# The largest JSON line (a page: at most 100 orders) or array element read; DuckDB's read buffers
# are sized by it, so it is not larger than needed.
MAX_RECORD_BYTES = 32 << 20
PAGE_STRIDE = 1 << 32  # seq = page * PAGE_STRIDE + position: file order without sorting

# DESIGN.md: WooCommerce Analytics does not count these as orders; any other status (plugins add
# their own) is a sale, as there.
NOT_SALES = ("pending", "failed", "cancelled", "trash", "checkout-draft")

# The fields used, all read as text so that no record makes DuckDB fail: the checks judge them.
# Old API versions name a refund's reason `refund`; `code` and `message` make an API error.
ORDER_SHAPE = json.dumps(
    {
        "id": "VARCHAR",
        "number": "VARCHAR",
        "status": "VARCHAR",
        "currency": "VARCHAR",
        "created_via": "VARCHAR",
        "customer_id": "VARCHAR",
        "date_created": "VARCHAR",
        "date_created_gmt": "VARCHAR",
        "date_modified_gmt": "VARCHAR",
        "discount_total": "VARCHAR",
        "shipping_total": "VARCHAR",
        "total_tax": "VARCHAR",
        "total": "VARCHAR",
        "billing": {
            "first_name": "VARCHAR",
            "last_name": "VARCHAR",
            "email": "VARCHAR",
            "country": "VARCHAR",
        },
        "shipping": {"country": "VARCHAR"},
        "line_items": [
            {
                "name": "VARCHAR",
                "sku": "VARCHAR",
                "quantity": "VARCHAR",
                "subtotal": "VARCHAR",
                "total": "VARCHAR",
            }
        ],
        "coupon_lines": [{"code": "VARCHAR"}],
        "refunds": [
            {"id": "VARCHAR", "reason": "VARCHAR", "refund": "VARCHAR", "total": "VARCHAR"}
        ],
        "code": "VARCHAR",
        "message": "VARCHAR",
    }
)
ID_PATTERN = "^[0-9]{1,18}$"
# WordPress encodes these in item names ("Ship Your Idea &ndash; Color: Black"); &amp; goes last.
HTML_ENTITIES = (
    ("&ndash;", "–"), ("&#8211;", "–"), ("&mdash;", "—"), ("&#8212;", "—"), ("&times;", "×"),
    ("&hellip;", "…"), ("&#8217;", "’"), ("&#8216;", "‘"), ("&#8220;", "“"), ("&#8221;", "”"),
    ("&quot;", '"'), ("&#039;", "'"), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">"),
    ("&nbsp;", " "), ("&#038;", "&"), ("&amp;", "&"),
)  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """One JSON array (orders located by their place in it), or JSON lines (by file line)."""

    json_lines: bool

    @property
    def duckdb_format(self) -> str:
        return "newline_delimited" if self.json_lines else "array"

    def reader(self) -> str:
        """The file's JSON values, with their 1-based place as `ordinality` (a `?` for the path)."""
        return (
            f"read_json_objects(?, format = '{self.duckdb_format}', "
            f"maximum_object_size = {MAX_RECORD_BYTES}) WITH ORDINALITY"
        )


def stage(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    check_file(file)
    layout = _layout(file)
    with _without_bom(file, layout) as readable:
        _read(con, file, readable, layout)
        _require_orders(con, file)
        _check(con)
        create_stage_quarantine(con)
        _quarantine(con, readable, layout)
    source = ctx.source or SOURCE
    _stage_tables(con, source, ctx.timezone)
    return StagedFile(
        kind=KIND,
        source=source,
        file=file,
        sha256=sha256_of(file),
        rows_read=con.execute("SELECT count(*) FROM parsed").fetchone()[0],
        tables=["orders", "order_lines", "refunds", "customers"],
    )


# Reading ----------------------------------------------------------------------------------------


def _layout(file: Path) -> Layout:
    """JSON lines when the file starts with an order, or with a page that ends on its line and is
    followed by more; one array otherwise (one page, on one line or pretty-printed)."""
    with file.open("rb") as handle:
        first, number = b"", 0
        while not first.strip():
            first, number = handle.readline(MAX_RECORD_BYTES), number + 1
            if not first:
                raise BadInput(file, "the file holds no JSON, only blank lines", line=1)
        first = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        if first.startswith(b"{"):
            return Layout(json_lines=True)
        if not first.startswith(b"["):
            raise BadInput(
                file,
                "not JSON: a WooCommerce orders file starts with '[' (a page) or '{' (an order)",
            )
        if not first.endswith(b"\n"):
            return Layout(json_lines=False)
        try:
            json.loads(first)
        except UnicodeDecodeError:
            raise BadInput(file, "not UTF-8 text; export the file as UTF-8", line=number) from None
        except ValueError:  # the line opens a pretty-printed array
            return Layout(json_lines=False)
        return Layout(json_lines=any(line.strip() for line in handle))


@contextmanager
def _without_bom(file: Path, layout: Layout) -> Iterator[Path]:
    """DuckDB refuses a UTF-8 byte order mark in JSON lines (not before an array): such a file,
    as PowerShell writes them, is read from a copy without it."""
    with file.open("rb") as handle:
        bom = layout.json_lines and handle.read(3) == codecs.BOM_UTF8
    if not bom:
        yield file
        return
    with tempfile.TemporaryDirectory(prefix="storeops-") as folder:
        copy = Path(folder) / file.name
        with file.open("rb") as handle, copy.open("wb") as out:
            handle.seek(len(codecs.BOM_UTF8))
            shutil.copyfileobj(handle, out, 1 << 20)
        yield copy


def _read(con: duckdb.DuckDBPyConnection, file: Path, readable: Path, layout: Layout) -> None:
    """Creates `parsed`: one row per order in file order, its fields as text. `page` is the JSON
    line (0-based, blank lines not counted: DuckDB skips them) and `pos` the order's 1-based place
    in its page (NULL when the line is one order) or, for an array file, in the array."""
    if layout.json_lines:
        values = f"""
            SELECT page, seq, pos, doc FROM (
                SELECT page, page * {PAGE_STRIDE} + coalesce(pos, 0) AS seq, pos, doc FROM (
                    SELECT ordinality - 1 AS page,
                           unnest(CASE WHEN is_page THEN range(1, len(docs) + 1) ELSE [NULL] END) AS pos,
                           unnest(docs) AS doc
                    FROM (SELECT ordinality, starts_with(ltrim(CAST(json AS VARCHAR)), '[') AS is_page,
                                 CASE WHEN is_page THEN json_extract(json, '$[*]') ELSE [json] END AS docs
                          FROM {layout.reader()})))
        """
    else:
        values = f"SELECT NULL::BIGINT AS page, ordinality AS seq, ordinality AS pos, json AS doc FROM {layout.reader()}"
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE parsed AS
            SELECT page, seq, pos, kinds[1] AS kind, kinds[2] AS items_kind, unnest(o)
            FROM (SELECT page, seq, pos, json_type(doc, ['$', '$.line_items']) AS kinds,
                         json_transform(doc, '{ORDER_SHAPE}') AS o FROM ({values}))
            """,
            [str(readable)],
        )
    except duckdb.Error as exc:
        raise _not_json(file, layout, exc) from None


def _not_json(file: Path, layout: Layout, exc: duckdb.Error) -> BadInput:
    """Finds where the file stops being JSON (error path only: Python reads it again)."""
    if layout.json_lines:
        with file.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    json.loads(line.decode("utf-8-sig"))
                except UnicodeDecodeError:
                    return BadInput(file, "not UTF-8 text; export the file as UTF-8", line=number)
                except json.JSONDecodeError as error:
                    reason = f"{error.msg} (column {error.colno})"
                    return BadInput(
                        file, f"not JSON (one page or one order per line): {reason}", line=number
                    )
    else:
        try:
            json.loads(file.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            return BadInput(file, "not UTF-8 text; export the file as UTF-8")
        except json.JSONDecodeError as error:
            return BadInput(
                file, f"not JSON: {error.msg} (column {error.colno})", line=error.lineno
            )
    return BadInput(file, str(exc).split("\n")[0].split("Error: ", 1)[-1])


def _require_orders(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    """A file with records but no order among them (nothing with `line_items`) is something else:
    products, customers, an API error. An empty page (`[]`) is a valid, empty export."""
    records, objects, orders, api_error = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE kind = 'OBJECT'), count(items_kind),
               any_value(message) FILTER (WHERE code IS NOT NULL)
        FROM parsed
        """
    ).fetchone()
    if orders or not records:
        return
    if api_error:
        raise BadInput(file, f"the file holds a WooCommerce API error, not orders: {api_error}")
    if not objects:
        raise BadInput(file, "the file holds JSON values, not orders (JSON objects)")
    raise BadInput(
        file,
        "no record has 'line_items': is this the JSON of GET /wp-json/wc/v3/orders?",
        field="line_items",
    )


# Checks -----------------------------------------------------------------------------------------


def _utc(column: str) -> str:
    """A `*_gmt` date-time (UTC, no offset) as TIMESTAMP, tolerating an explicit offset or Z."""
    formats = (
        "['%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%SZ']"
    )
    return f"coalesce(try_strptime(trim({column}), {formats}), {sql_utc_from_offset(column)})"


def _missing(column: str) -> str:
    return f"({column} IS NULL OR trim({column}) = '')"


def _money(column: str, *, required: bool = False) -> list[Check]:
    bad = Check(sql_bad_money(column), column, f"'not an amount: ' || {sql_quoted_value(column)}")
    return [Check(_missing(column), column, sql_text("missing")), bad] if required else [bad]


def _id(column: str, what: str) -> list[Check]:
    return [
        Check(_missing(column), column, sql_text("missing")),
        Check(
            f"NOT regexp_full_match(trim({column}), '{ID_PATTERN}')",
            column,
            f"'not {what}: ' || {sql_quoted_value(column)}",
        ),
    ]


def _date(column: str) -> Check:
    return Check(
        f"{column} IS NOT NULL AND {_utc(column)} IS NULL",
        column,
        f"'not a date-time like 2017-03-22T19:28:02: ' || {sql_quoted_value(column)}",
    )


def _order_checks() -> list[Check]:
    return [
        Check("kind <> 'OBJECT'", "$", sql_text("not an order: a JSON object is expected")),
        *_id("id", "an order id"),
        Check("items_kind IS NULL", "line_items", sql_text("missing")),
        Check("items_kind <> 'ARRAY'", "line_items", sql_text("not a list of line items")),
        Check(_missing("status"), "status", sql_text("missing")),
        # date_created is the site's local time, with no offset: it cannot stand in for UTC.
        Check(
            f"{_missing('date_created_gmt')} AND NOT {_missing('date_created')}",
            "date_created_gmt",
            sql_text(
                "missing: only date_created is given, in the site's time zone whose offset the "
                "file does not say (API v2 and v3 give date_created_gmt)"
            ),
        ),
        Check(_missing("date_created_gmt"), "date_created_gmt", sql_text("missing")),
        _date("date_created_gmt"),
        _date("date_modified_gmt"),
        Check(
            "currency IS NOT NULL AND NOT regexp_full_match(trim(currency), '[A-Za-z]{3}')",
            "currency",
            f"'not a currency code: ' || {sql_quoted_value('currency')}",
        ),
        Check(
            f"customer_id IS NOT NULL AND NOT regexp_full_match(trim(customer_id), '{ID_PATTERN}')",
            "customer_id",
            f"'not a customer id: ' || {sql_quoted_value('customer_id')}",
        ),
        *_money("total", required=True),
        *_money("discount_total"),
        *_money("shipping_total"),
        *_money("total_tax"),
    ]


def _line_checks() -> list[Check]:
    return [
        Check(_missing("name"), "name", sql_text("missing: a line item needs a product name")),
        Check(_missing("quantity"), "quantity", sql_text("missing")),
        Check(
            "NOT regexp_full_match(trim(quantity), '-?[0-9]{1,9}')",
            "quantity",
            f"'not a whole number: ' || {sql_quoted_value('quantity')}",
        ),
        Check(
            "TRY_CAST(trim(quantity) AS INTEGER) < 0",
            "quantity",
            f"'negative: ' || {sql_quoted_value('quantity')}",
        ),
        *_money("subtotal", required=True),
        *_money("total", required=True),
    ]


def _refund_checks() -> list[Check]:
    return [
        *_id("id", "a refund id"),
        Check("copies > 1", "id", "'the order lists refund ' || trim(id) || ' twice'"),
        *_money("total", required=True),
    ]


def _check(con: duckdb.DuckDBPyConnection) -> None:
    """Creates `items`, `refund_items` (the orders' lists, one row each) and `outcome`: every
    record's first problem, and which copy of each order id wins (the last in the file)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE items AS
        SELECT *, {sql_first_problem(_line_checks())}
        FROM (SELECT seq, unnest(range(1, len(line_items) + 1)) AS line_no,
                     unnest(line_items, recursive := true)
              FROM parsed WHERE items_kind = 'ARRAY')
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE refund_items AS
        SELECT *, {sql_first_problem(_refund_checks())}
        FROM (SELECT *, count(*) OVER (PARTITION BY seq, trim(id)) AS copies
              FROM (SELECT seq, unnest(range(1, len(refunds) + 1)) AS refund_no,
                           unnest(refunds, recursive := true) FROM parsed))
        """
    )

    def first_of(table: str, number: str, prefix: str) -> str:
        return (
            f"SELECT seq, arg_min('{prefix}[' || {number} || '].' || problem_field, {number}) AS field, "
            f"arg_min(problem_reason, {number}) AS reason "
            f"FROM {table} WHERE problem_field IS NOT NULL GROUP BY seq"
        )

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE outcome AS
        SELECT *, bool_or(seq = last_seq AND problem_field IS NOT NULL)
                      OVER (PARTITION BY order_id) AS winner_bad
        FROM (SELECT *, max(seq) OVER (PARTITION BY order_id) AS last_seq FROM (
            SELECT p.seq, p.page, p.pos,
                   CASE WHEN regexp_full_match(trim(p.id), '{ID_PATTERN}')
                        THEN CAST(CAST(trim(p.id) AS BIGINT) AS VARCHAR) END AS order_id,
                   coalesce(p.problem_field, i.field, r.field) AS problem_field,
                   coalesce(p.problem_reason, i.reason, r.reason) AS problem_reason
            FROM (SELECT seq, page, pos, id, {sql_first_problem(_order_checks())} FROM parsed) p
            LEFT JOIN ({first_of("items", "line_no", "line_items")}) i USING (seq)
            LEFT JOIN ({first_of("refund_items", "refund_no", "refunds")}) r USING (seq)))
        """
    )


# Quarantine -------------------------------------------------------------------------------------


def _quarantine(con: duckdb.DuckDBPyConnection, file: Path, layout: Layout) -> None:
    """One row per rejected record. Copies of one order id: the last in the file wins (a later,
    overlapping page); when it is malformed the order is quarantined whole, earlier copies too. A
    malformed earlier copy of an order whose last copy loads is quarantined, but not as an order."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT o.*, w.page AS last_page, w.pos AS last_pos, w.problem_field AS last_field,
               w.problem_reason AS last_reason
        FROM outcome o LEFT JOIN outcome w ON w.seq = o.last_seq
        WHERE o.problem_field IS NOT NULL OR o.winner_bad
        """
    )
    if not con.execute("SELECT count(*) FROM rejected").fetchone()[0]:
        return
    # Error path: the file is read again for the rejected orders' text.
    doc = "CASE WHEN r.pos IS NULL THEN v.json ELSE json_extract(v.json, r.pos - 1) END"
    if not layout.json_lines:
        doc, join = "v.json", "v.ordinality = r.pos"
    else:
        join = "v.ordinality - 1 = r.page"
    rows = con.execute(
        f"""
        SELECT r.seq, r.order_id, r.problem_field, r.problem_reason, r.last_seq, r.winner_bad,
               r.page, r.pos, r.last_page, r.last_pos, r.last_field, r.last_reason,
               left(CAST({doc} AS VARCHAR), {RAW_LIMIT}) AS raw
        FROM rejected r JOIN {layout.reader()} v ON {join}
        ORDER BY r.seq
        """,
        [str(file)],
    ).fetchall()
    pages = {row[6] for row in rows} | {row[8] for row in rows}
    lines = _physical_lines(file, pages - {None}) if layout.json_lines else {}

    def where(page: int | None, pos: int | None) -> tuple[int, str]:
        if page is None:  # an array file: `pos` is the order's place in it
            return pos, f"order {pos} of the array; line = that place, not a line of the file"
        line = lines[page]
        return line, f"line {line}" + (f", order {pos} of its page" if pos is not None else "")

    entries = []
    for seq, order_id, field, reason, last_seq, winner_bad, page, pos, *last, raw in rows:
        last_page, last_pos, last_field, last_reason = last
        line, here = where(page, pos)
        if order_id is None:
            entries.append((line, field, f"{reason} ({here})", None, raw, False))
        elif seq == last_seq:
            entries.append((line, field, f"{reason} ({here})", order_id, raw, True))
        elif winner_bad:
            there = where(last_page, last_pos)[1]
            whole = f"order {order_id} is quarantined whole: its last copy ({there}) has "
            entries.append(
                (line, None, f"{whole}{last_field}: {last_reason} ({here})", order_id, raw, True)
            )
        else:
            loaded = f"; its last copy ({where(last_page, last_pos)[1]}) was loaded"
            entries.append((line, field, f"{reason} ({here}{loaded})", order_id, raw, False))
    columns = ("line", "field", "reason", "record_ref", "raw", "is_order")
    table = pa.table({name: [entry[i] for entry in entries] for i, name in enumerate(columns)})
    con.register("quarantined", table)
    con.execute("INSERT INTO stage_quarantine BY NAME SELECT * FROM quarantined")
    con.unregister("quarantined")


def _physical_lines(file: Path, pages: set[int]) -> dict[int, int]:
    """Page index (non-blank lines, as DuckDB counts them) -> 1-based line of the file."""
    found: dict[int, int] = {}
    last = max(pages)
    with file.open("rb") as handle:
        page = -1
        for number, line in enumerate(handle, start=1):
            if line.strip():
                page += 1
                if page in pages:
                    found[page] = number
                if page >= last:
                    break
    return found


# Staging ----------------------------------------------------------------------------------------


def _decoded(column: str) -> str:
    text = f"trim({column})"
    for entity, char in HTML_ENTITIES:
        text = f"replace({text}, {sql_text(entity)}, {sql_text(char)})"
    return f"CASE WHEN contains({column}, '&') THEN {text} ELSE trim({column}) END"


def _stage_tables(con: duckdb.DuckDBPyConnection, source: str, timezone: str) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE good AS
        SELECT o.order_id, p.* FROM parsed p JOIN outcome o USING (seq)
        WHERE o.seq = o.last_seq AND o.problem_field IS NULL
        """
    )
    created, modified = _utc("date_created_gmt"), _utc("date_modified_gmt")
    status = "lower(trim(status))"
    customer = (
        "CASE WHEN TRY_CAST(trim(customer_id) AS BIGINT) > 0 "
        "THEN CAST(CAST(trim(customer_id) AS BIGINT) AS VARCHAR) "
        "ELSE nullif(lower(trim(billing.email)), '') END"
    )
    codes = "list_transform(coupon_lines, lambda c: trim(c.code))"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_orders AS
        SELECT
            ? AS source,
            order_id AS source_id,
            '#' || coalesce(nullif(trim(number), ''), order_id) AS name,
            {created} AS created_at,
            {sql_local_date(created, timezone)} AS local_date,
            upper(trim(currency)) AS currency,
            {status} AS financial_status,
            -- One WooCommerce status says payment and delivery: "completed" is delivered,
            -- "processing" paid and waiting to ship; the others say nothing about delivery.
            CASE {status} WHEN 'completed' THEN 'fulfilled'
                 WHEN 'processing' THEN 'unfulfilled' END AS fulfillment_status,
            {status} NOT IN ({", ".join(sql_text(s) for s in NOT_SALES)}) AS is_sale,
            -- No cancellation date in the API: a cancelled order was last modified when cancelled.
            CASE WHEN {status} = 'cancelled' THEN {modified} END AS cancelled_at,
            -- A registered customer is its user id, a guest (customer_id 0) its e-mail.
            {customer} AS customer_id,
            nullif(lower(trim(created_via)), '') AS channel,
            upper(coalesce(nullif(trim(shipping.country), ''), nullif(trim(billing.country), '')))
                AS country,
            nullif(array_to_string(list_filter({codes}, lambda code: code <> ''), ', '), '')
                AS discount_codes,
            -- As Shopify's: the line items after discounts, before shipping and taxes.
            CAST(coalesce(list_sum(list_transform(line_items, lambda i: {sql_money("i.total")})), 0)
                 AS DECIMAL(18, 2)) AS subtotal,
            coalesce({sql_money("discount_total")}, 0) AS discounts,
            coalesce({sql_money("shipping_total")}, 0) AS shipping,
            coalesce({sql_money("total_tax")}, 0) AS taxes,
            {sql_money("total")} AS total,
            -- refunds[].total is negative ("-10.00"); amounts are stored positive.
            CAST(coalesce(list_sum(list_transform(refunds, lambda r: abs({sql_money("r.total")}))), 0)
                 AS DECIMAL(18, 2)) AS refunded,
            seq, {modified} AS modified_at, billing
        FROM good
        """,
        [source],
    )
    # Unit price before discounts: the line's subtotal / quantity, rounded half away from zero to
    # whole cents in integers (DuckDB would divide decimals as doubles).
    cents = f"CAST({sql_money('i.subtotal')} * 100 AS BIGINT)"
    quantity = "CAST(trim(i.quantity) AS INTEGER)"
    unit_cents = f"sign({cents}) * ((2 * abs({cents}) + {quantity}) // (2 * {quantity}))"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_order_lines AS
        SELECT
            o.source,
            o.source_id AS order_id,
            CAST(i.line_no AS INTEGER) AS line_no,
            nullif(trim(i.sku), '') AS sku,
            {_decoded("i.name")} AS product_name,
            {quantity} AS quantity,
            -- a line edited down to quantity 0 has no unit price
            CASE WHEN {quantity} > 0
                 THEN CAST(CAST({unit_cents} AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(18, 2)) END AS price,
            {sql_money("i.subtotal")} - {sql_money("i.total")} AS discount,
            NULL::VARCHAR AS vendor
        FROM items i JOIN stage_orders o USING (seq)
        """
    )
    # The orders list gives no refund dates: refunded_at stays NULL, and a refund counts on the
    # day the order was last modified when the order is fully refunded (the refund set that
    # status), else on the order's own day.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_refunds AS
        SELECT
            o.source,
            o.source_id || '/' || CAST(CAST(trim(r.id) AS BIGINT) AS VARCHAR) AS source_id,
            o.source_id AS order_id,
            NULL::TIMESTAMP AS refunded_at,
            CASE WHEN o.financial_status = 'refunded' AND o.modified_at IS NOT NULL
                 THEN {sql_local_date("o.modified_at", timezone)} ELSE o.local_date END AS local_date,
            abs({sql_money("r.total")}) AS amount,
            nullif(trim(coalesce(r.reason, r.refund)), '') AS reason
        FROM refund_items r JOIN stage_orders o USING (seq)
        """
    )
    # A customer's details are those of their latest order (file order breaks ties).
    latest = "(created_at, seq)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stage_customers AS
        SELECT source, customer_id AS source_id,
               arg_max(nullif(trim(billing.email), ''), {latest}) AS email,
               arg_max(nullif(concat_ws(' ', nullif(trim(billing.first_name), ''),
                                        nullif(trim(billing.last_name), '')), ''), {latest}) AS name,
               arg_max(upper(nullif(trim(billing.country), '')), {latest}) AS country,
               NULL::BOOLEAN AS accepts_marketing
        FROM stage_orders WHERE customer_id IS NOT NULL
        GROUP BY source, customer_id
        """
    )
    for helper in ("seq", "modified_at", "billing"):
        con.execute(f"ALTER TABLE stage_orders DROP COLUMN {helper}")
