"""Shopify's orders CSV export (79 columns, and the older 75-column variant).

One row per line item. An order's rows share its Name; the order-level fields (financial status,
totals, discount, refunded amount...) are filled only on its first row and are carried to its
lines here. Parsing and checks run inside DuckDB, so a million rows take seconds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from storeops.connectors.base import (
    Check,
    Reject,
    StageContext,
    csv_field,
    csv_header,
    quarantine_whole_records,
    read_csv_into,
    require_columns,
    sha256_in_background,
    sql_first_problem,
    sql_instant_from_offset,
    sql_int,
    sql_local_date,
    sql_local_date_of_instant,
    sql_quoted_value,
    sql_text,
    sql_try_money,
    sql_utc,
    sql_utc_from_offset,
)
from storeops.warehouse.loading import StagedFile, create_stage_quarantine
from storeops.warehouse.schema import ORDER_LINES, ORDERS

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
    """Checks of an order's first row, where Shopify writes the order-level fields.

    They read the parsed values (`<name>_v`, NULL when a field does not parse) next to the text.
    """
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
            "created_z IS NULL",
            "Created at",
            "'not a timestamp like 2024-11-29 10:15:22 -0500: ' || "
            f"coalesce({sql_quoted_value('created_at')}, 'empty')",
        ),
        Check(
            "cancelled_at IS NOT NULL AND cancelled_v IS NULL",
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
            Check(
                f"{name} IS NOT NULL AND {name}_v IS NULL",
                column,
                f"'not an amount: ' || {sql_quoted_value(name)}",
            )
        )
    return checks


LINE_CHECKS = [
    Check("name IS NULL", "Name", sql_text("the row belongs to no order (Name is empty)")),
    Check(
        "qty_v IS NULL OR qty_v < 0",
        "Lineitem quantity",
        f"'not a quantity: ' || coalesce({sql_quoted_value('qty')}, 'empty')",
    ),
    Check(
        "price_v IS NULL",
        "Lineitem price",
        f"'not an amount: ' || coalesce({sql_quoted_value('price')}, 'empty')",
    ),
    Check(
        "line_discount IS NOT NULL AND line_discount_v IS NULL",
        "Lineitem discount",
        f"'not an amount: ' || {sql_quoted_value('line_discount')}",
    ),
]

# Columns of the staged tables (the canonical ones) and of the customers drawn from orders.
ORDER_COLUMNS = [name for name, _ in ORDERS.columns]
LINE_COLUMNS = [name for name, _ in ORDER_LINES.columns]
CUSTOMER_FIELDS = ["email", "billing_name", "accepts_marketing"]
# The file's fields an order's first row is read for (the others are its line's).
LINE_FIELDS = {"qty", "price", "product_name", "sku", "line_discount", "vendor", "order_id"}
ORDER_FIELDS = [name for name in COLUMNS.values() if name not in LINE_FIELDS]


def stage(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    header = csv_header(file)
    require_columns(file, header, REQUIRED, WHAT)
    present = {src: dst for src, dst in COLUMNS.items() if src in header}
    sha256 = sha256_in_background(file)
    rejects = read_csv_into(con, file, "raw", present)
    for dst in set(COLUMNS.values()) - set(present.values()):
        con.execute(f"ALTER TABLE raw ADD COLUMN {dst} VARCHAR")
    source = ctx.source or SOURCE

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
    # One pass each over the orders' first rows and over all rows: every field is parsed once,
    # the checks read the parsed values, and only parsed values are kept (text is costly to copy).
    _parse_orders(con, source, ctx.timezone)
    _parse_lines(con, source)

    name_at = header.index("Name")
    reject_orders = {csv_field(r.raw, name_at) for r in rejects} - {None, ""}
    con.execute("CREATE OR REPLACE TABLE bad_orders (name VARCHAR)")
    if reject_orders:
        con.executemany("INSERT INTO bad_orders VALUES (?)", [[n] for n in sorted(reject_orders)])
    con.execute(
        """
        INSERT INTO bad_orders
        SELECT name FROM orders_parsed WHERE problem_field IS NOT NULL
        UNION SELECT name FROM lines_parsed WHERE problem_field IS NOT NULL AND name IS NOT NULL
        """
    )
    create_stage_quarantine(con)
    _quarantine(con, file, rejects, name_at)
    _stage_tables(con, ctx.timezone)
    rows_read = con.execute("SELECT count(*) FROM raw").fetchone()[0] + len(rejects)
    # Everything staged now reads the parsed tables: the text goes before the write needs memory.
    con.execute("DROP TABLE raw")
    con.execute("DROP TABLE heads")
    return StagedFile(
        kind="shopify-orders",
        source=source,
        file=file,
        sha256=sha256(),
        rows_read=rows_read,
        tables=["orders", "order_lines", "refunds", "customers"],
    )


def _parse_orders(con: duckdb.DuckDBPyConnection, source: str, timezone: str) -> None:
    """orders_parsed: each order's first row as a staged order, its first problem and the
    customer fields."""
    money = ", ".join(f"{sql_try_money(name)} AS {name}_v" for name in ORDER_MONEY.values())
    con.execute(
        f"""
        CREATE OR REPLACE TABLE orders_parsed AS
        SELECT
            idx, name, {sql_first_problem(_order_checks())},
            ? AS source,
            coalesce(order_key, name) AS source_id,
            {sql_utc("created_z")} AS created_at,
            {sql_local_date_of_instant("created_z", timezone)} AS local_date,
            upper(trim(currency)) AS currency,
            lower(trim(financial_status)) AS financial_status,
            lower(trim(fulfillment_status)) AS fulfillment_status,
            lower(trim(financial_status)) <> 'voided' AS is_sale,
            cancelled_v AS cancelled_at,
            nullif(lower(trim(email)), '') AS customer_id,
            lower(trim(channel)) AS channel,
            upper(trim(coalesce(shipping_country, billing_country))) AS country,
            trim(discount_code) AS discount_codes,
            subtotal_v AS subtotal,
            coalesce(discount_amount_v, 0) AS discounts,
            coalesce(shipping_v, 0) AS shipping,
            coalesce(taxes_v, 0) AS taxes,
            total_v AS total,
            coalesce(refunded_v, 0) AS refunded,
            {", ".join(CUSTOMER_FIELDS)}
        FROM (
            SELECT *, {sql_instant_from_offset("created_at")} AS created_z,
                   {sql_utc_from_offset("cancelled_at")} AS cancelled_v,
                   {money}
            FROM (
                SELECT r.rowid AS idx, {", ".join(f"r.{c}" for c in ORDER_FIELDS)},
                       h.order_key, h.heads
                FROM raw r JOIN heads h ON r.rowid = h.first_idx
            )
        )
        """,
        [source],
    )


def _parse_lines(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """lines_parsed: every accepted row as a staged line and its first problem. Shopify writes
    an order's rows together, so the distance to its first row numbers its lines."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE lines_parsed AS
        SELECT
            idx, name, {sql_first_problem(LINE_CHECKS)},
            ? AS source,
            coalesce(order_key, name) AS order_id,
            CAST(idx - first_idx + 1 AS INTEGER) AS line_no,
            trim(sku) AS sku,
            product_name,
            qty_v AS quantity,
            price_v AS price,
            coalesce(line_discount_v, 0) AS discount,
            vendor
        FROM (
            SELECT r.rowid AS idx, r.name, r.qty, r.price, r.line_discount, r.sku,
                   r.product_name, r.vendor, h.order_key, h.first_idx,
                   {sql_int("r.qty")} AS qty_v,
                   {sql_try_money("r.price")} AS price_v,
                   {sql_try_money("r.line_discount")} AS line_discount_v
            FROM raw r LEFT JOIN heads h ON r.name = h.name
        )
        """,
        [source],
    )


def _quarantine(
    con: duckdb.DuckDBPyConnection, file: Path, rejects: list[Reject], name_at: int
) -> None:
    """Every row of a bad order goes to the quarantine, each with its own reason or its order's."""
    bad = con.execute(
        """
        SELECT l.idx, l.name,
               coalesce(l.problem_field, o.problem_field),
               coalesce(l.problem_reason, o.problem_reason)
        FROM lines_parsed l LEFT JOIN orders_parsed o ON o.idx = l.idx
        WHERE l.name IS NULL OR l.name IN (SELECT name FROM bad_orders)
        ORDER BY l.idx
        """
    ).fetchall()
    quarantine_whole_records(
        con, file, rejects, bad, ref_at=name_at, what="order", refs_are_orders=True
    )


def _stage_tables(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """The staged tables: views of the parsed rows of good orders (the loader reads them once or
    twice, which costs less than copying them), and the refunds and customers drawn from them."""
    good = "WHERE name NOT IN (SELECT name FROM bad_orders)"
    con.execute(
        f"CREATE OR REPLACE VIEW stage_orders AS SELECT {', '.join(ORDER_COLUMNS)} "
        f"FROM orders_parsed {good}"
    )
    con.execute(
        f"CREATE OR REPLACE VIEW stage_order_lines AS SELECT {', '.join(LINE_COLUMNS)} "
        f"FROM lines_parsed {good}"
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
        f"""
        CREATE OR REPLACE TABLE stage_customers AS
        SELECT source, customer_id AS source_id,
               arg_max(trim(email), created_at) AS email,
               arg_max(trim(billing_name), created_at) AS name,
               arg_max(country, created_at) AS country,
               arg_max(lower(trim(accepts_marketing)) IN ('yes', 'true'), created_at)
                   AS accepts_marketing
        FROM orders_parsed {good} AND customer_id IS NOT NULL
        GROUP BY source, customer_id
        """
    )
