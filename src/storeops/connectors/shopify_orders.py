"""Shopify's orders CSV export (79 columns, and the older 75-column variant).

One row per line item. An order's rows share its Name; the order-level fields (financial status,
totals, discount, refunded amount...) are filled only on its first row and are carried to its
lines here. Parsing and checks run inside DuckDB, so a million rows take seconds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa

from storeops.connectors.base import (
    Check,
    CsvLocator,
    Reject,
    StageContext,
    csv_header,
    read_csv_into,
    require_columns,
    sha256_of,
    sql_bad_int,
    sql_bad_money,
    sql_first_problem,
    sql_int,
    sql_local_date,
    sql_money,
    sql_quoted_value,
    sql_text,
    sql_utc_from_offset,
)
from storeops.warehouse.loading import StagedFile, create_stage_quarantine

SOURCE = "shopify"
WHAT = "Shopify orders export"

# File column -> staged name. The first six are required.
COLUMNS = {
    "Name": "name",
    "Created at": "created_at",
    "Financial Status": "financial_status",
    "Lineitem quantity": "qty",
    "Lineitem price": "price",
    "Lineitem name": "product_name",
    "Id": "order_id",
    "Email": "email",
    "Fulfillment Status": "fulfillment_status",
    "Currency": "currency",
    "Subtotal": "subtotal",
    "Shipping": "shipping",
    "Taxes": "taxes",
    "Total": "total",
    "Discount Code": "discount_code",
    "Discount Amount": "discount_amount",
    "Lineitem sku": "sku",
    "Lineitem discount": "line_discount",
    "Vendor": "vendor",
    "Cancelled at": "cancelled_at",
    "Refunded Amount": "refunded",
    "Source": "channel",
    "Shipping Country": "shipping_country",
    "Billing Country": "billing_country",
    "Billing Name": "billing_name",
    "Accepts Marketing": "accepts_marketing",
}
REQUIRED = list(COLUMNS)[:6]
FINANCIAL_STATUSES = (
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
)
ORDER_MONEY = {
    "Subtotal": "subtotal",
    "Shipping": "shipping",
    "Taxes": "taxes",
    "Total": "total",
    "Discount Amount": "discount_amount",
    "Refunded Amount": "refunded",
}


def _order_checks() -> list[Check]:
    """Checks of an order's first row, where Shopify writes the order-level fields."""
    statuses = ", ".join(sql_text(s) for s in FINANCIAL_STATUSES)
    checks = [
        Check(
            "financial_status IS NULL",
            "Financial Status",
            sql_text("empty on the order's first row, where Shopify puts the order's fields"),
        ),
        Check(
            f"lower(trim(financial_status)) NOT IN ({statuses})",
            "Financial Status",
            f"'unknown financial status ' || {sql_quoted_value('financial_status')}",
        ),
        Check(
            "heads > 1",
            "Financial Status",
            sql_text("the order appears twice in the file (a second first row)"),
        ),
        Check(
            "created_utc IS NULL",
            "Created at",
            "'not a timestamp like 2024-11-29 10:15:22 -0500: ' || "
            f"coalesce({sql_quoted_value('created_at')}, 'empty')",
        ),
        Check(
            "cancelled_at IS NOT NULL AND cancelled_utc IS NULL",
            "Cancelled at",
            f"'not a timestamp: ' || {sql_quoted_value('cancelled_at')}",
        ),
        Check(
            "currency IS NOT NULL AND NOT regexp_full_match(trim(currency), '[A-Za-z]{3}')",
            "Currency",
            f"'not a currency code: ' || {sql_quoted_value('currency')}",
        ),
    ]
    for column, name in ORDER_MONEY.items():
        checks.append(
            Check(sql_bad_money(name), column, f"'not an amount: ' || {sql_quoted_value(name)}")
        )
    return checks


LINE_CHECKS = [
    Check("name IS NULL", "Name", sql_text("the row belongs to no order (Name is empty)")),
    Check(
        f"qty IS NULL OR {sql_bad_int('qty')} OR {sql_int('qty')} < 0",
        "Lineitem quantity",
        f"'not a quantity: ' || coalesce({sql_quoted_value('qty')}, 'empty')",
    ),
    Check(
        f"price IS NULL OR {sql_bad_money('price')}",
        "Lineitem price",
        f"'not an amount: ' || coalesce({sql_quoted_value('price')}, 'empty')",
    ),
    Check(
        sql_bad_money("line_discount"),
        "Lineitem discount",
        f"'not an amount: ' || {sql_quoted_value('line_discount')}",
    ),
]


def stage(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    header = csv_header(file)
    require_columns(file, header, REQUIRED, WHAT)
    present = {src: dst for src, dst in COLUMNS.items() if src in header}
    rejects = read_csv_into(con, file, "raw", present)
    for dst in set(COLUMNS.values()) - set(present.values()):
        con.execute(f"ALTER TABLE raw ADD COLUMN {dst} VARCHAR")

    # Each order's first row (where Shopify writes the order's fields), found by aggregation,
    # which is cheaper than a window over every row; a second row with a financial status means
    # the order appears twice.
    con.execute(
        """
        CREATE OR REPLACE TABLE heads AS
        SELECT name, min(rowid) AS first_idx, max(trim(order_id)) AS order_key,
               count(financial_status) AS heads
        FROM raw WHERE name IS NOT NULL GROUP BY name
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE orders_checked AS
        SELECT *, {sql_first_problem(_order_checks())}
        FROM (
            SELECT r.rowid AS idx, r.*, h.order_key, h.heads,
                   {sql_utc_from_offset("r.created_at")} AS created_utc,
                   {sql_utc_from_offset("r.cancelled_at")} AS cancelled_utc
            FROM raw r JOIN heads h ON r.rowid = h.first_idx
        )
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE line_problems AS
        SELECT * FROM (SELECT rowid AS idx, name, {sql_first_problem(LINE_CHECKS)} FROM raw)
        WHERE problem_field IS NOT NULL
        """
    )
    name_at = header.index("Name")
    reject_orders = {_field(r.raw, name_at) for r in rejects} - {None, ""}
    con.execute("CREATE OR REPLACE TABLE bad_orders (name VARCHAR)")
    if reject_orders:
        con.executemany("INSERT INTO bad_orders VALUES (?)", [[n] for n in sorted(reject_orders)])
    con.execute(
        """
        INSERT INTO bad_orders
        SELECT name FROM orders_checked WHERE problem_field IS NOT NULL
        UNION SELECT name FROM line_problems WHERE name IS NOT NULL
        """
    )
    create_stage_quarantine(con)
    _quarantine(con, file, rejects, name_at)

    source = ctx.source or SOURCE
    _stage_tables(con, source, ctx.timezone)
    rows_read = con.execute("SELECT count(*) FROM raw").fetchone()[0] + len(rejects)
    return StagedFile(
        kind="shopify-orders",
        source=source,
        file=file,
        sha256=sha256_of(file),
        rows_read=rows_read,
        tables=["orders", "order_lines", "refunds", "customers"],
    )


def _field(raw: str, index: int) -> str | None:
    fields = next(csv.reader([raw]), [])
    return fields[index].strip() if index < len(fields) else None


def _quarantine(
    con: duckdb.DuckDBPyConnection, file: Path, rejects: list[Reject], name_at: int
) -> None:
    """Every row of a bad order goes to the quarantine, each with its own reason or its order's."""
    bad = con.execute(
        """
        SELECT r.rowid AS idx, r.name,
               coalesce(p.problem_field, o.problem_field),
               coalesce(p.problem_reason, o.problem_reason)
        FROM raw r
        LEFT JOIN line_problems p ON p.idx = r.rowid
        LEFT JOIN orders_checked o ON o.idx = r.rowid
        WHERE r.name IS NULL OR r.name IN (SELECT name FROM bad_orders)
        ORDER BY r.rowid
        """
    ).fetchall()
    if not bad and not rejects:
        return
    locator = CsvLocator(file, {r.line for r in rejects})
    where = locator.locate({idx for idx, *_ in bad})
    first_problem: dict[str, str] = {}
    entries = []
    for reject in rejects:
        name = _field(reject.raw, name_at) or None
        entries.append((reject.line, reject.field, reject.reason, name, reject.raw))
        if name:
            first_problem.setdefault(name, f"line {reject.line}: {reject.reason}")
    located = []
    for idx, name, field, reason in bad:
        line, raw = where.get(idx, (None, None))
        located.append((line, name, field, reason, raw))
        if field and name:
            first_problem.setdefault(name, f"line {line}: {field}: {reason}")
    for line, name, field, reason, raw in located:
        if field is None:
            field, reason = None, f"order {name} is quarantined whole: {first_problem[name]}"
        entries.append((line, field, reason, name, raw))
    table = pa.table(
        {
            "line": [e[0] for e in entries],
            "field": [e[1] for e in entries],
            "reason": [e[2] for e in entries],
            "record_ref": [e[3] for e in entries],
            "raw": [e[4] for e in entries],
            "is_order": [e[3] is not None for e in entries],
        }
    )
    con.register("quarantined", table)
    con.execute("INSERT INTO stage_quarantine BY NAME SELECT * FROM quarantined")
    con.unregister("quarantined")


def _stage_tables(con: duckdb.DuckDBPyConnection, source: str, timezone: str) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_orders AS
        SELECT
            ? AS source,
            coalesce(order_key, name) AS source_id,
            name,
            created_utc AS created_at,
            {sql_local_date("created_utc", timezone)} AS local_date,
            upper(trim(currency)) AS currency,
            lower(trim(financial_status)) AS financial_status,
            lower(trim(fulfillment_status)) AS fulfillment_status,
            lower(trim(financial_status)) <> 'voided' AS is_sale,
            cancelled_utc AS cancelled_at,
            nullif(lower(trim(email)), '') AS customer_id,
            lower(trim(channel)) AS channel,
            upper(trim(coalesce(shipping_country, billing_country))) AS country,
            trim(discount_code) AS discount_codes,
            {sql_money("subtotal")} AS subtotal,
            coalesce({sql_money("discount_amount")}, 0) AS discounts,
            coalesce({sql_money("shipping")}, 0) AS shipping,
            coalesce({sql_money("taxes")}, 0) AS taxes,
            {sql_money("total")} AS total,
            coalesce({sql_money("refunded")}, 0) AS refunded,
            email, billing_name, accepts_marketing
        FROM orders_checked WHERE name NOT IN (SELECT name FROM bad_orders)
        """,
        [source],
    )
    # Shopify writes an order's rows together, so the distance to its first row numbers its lines.
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_order_lines AS
        SELECT
            ? AS source,
            coalesce(h.order_key, r.name) AS order_id,
            CAST(r.rowid - h.first_idx + 1 AS INTEGER) AS line_no,
            trim(sku) AS sku,
            product_name,
            {sql_int("qty")} AS quantity,
            {sql_money("price")} AS price,
            coalesce({sql_money("line_discount")}, 0) AS discount,
            vendor
        FROM raw r JOIN heads h USING (name)
        WHERE name NOT IN (SELECT name FROM bad_orders)
        """,
        [source],
    )
    # The export gives the refunded total but not when: the refund is dated at the cancellation
    # if there was one, else on the order's day (docs/schema.md).
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_refunds AS
        SELECT source, source_id || '/refunds' AS source_id, source_id AS order_id,
               NULL::TIMESTAMP AS refunded_at,
               coalesce({sql_local_date("cancelled_at", timezone)}, local_date) AS local_date,
               refunded AS amount,
               CASE WHEN cancelled_at IS NOT NULL THEN 'cancelled' END AS reason
        FROM stage_orders WHERE refunded > 0
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE stage_customers AS
        SELECT source, customer_id AS source_id,
               arg_max(trim(email), created_at) AS email,
               arg_max(trim(billing_name), created_at) AS name,
               arg_max(country, created_at) AS country,
               arg_max(lower(trim(accepts_marketing)) IN ('yes', 'true'), created_at)
                   AS accepts_marketing
        FROM stage_orders WHERE customer_id IS NOT NULL
        GROUP BY source, customer_id
        """
    )
    for helper in ("email", "billing_name", "accepts_marketing"):
        con.execute(f"ALTER TABLE stage_orders DROP COLUMN {helper}")
