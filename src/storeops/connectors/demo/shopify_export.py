"""The demo's orders as Shopify's orders CSV export (the 79-column header), so that the Shopify
importer can be tried on them: `storeops import shopify-orders DIR/orders_export_1.csv`.

As Shopify writes it: one row per line item; the order-level fields only on the order's first
row; times like `2024-11-29 10:15:22 +0100` in the store's zone; `Subtotal` after discounts
(Total = Subtotal + Shipping + Taxes). Written by DuckDB COPY, ORDERS_PER_FILE orders a file
(orders_export_1.csv, orders_export_2.csv, ...) so no file holds more than ~1M rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from storeops.connectors.base import sql_text
from storeops.connectors.demo.orders import COUNTRIES, VAT_BASIS_POINTS
from storeops.connectors.demo.tables import SOURCE

COLUMNS = (
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
)
ORDERS_PER_FILE = 400_000


def _shop_time(column: str, timezone: str) -> str:
    """A UTC TIMESTAMP as Shopify prints it: local time and offset, '2024-11-29 10:15:22 +0100'."""
    zone = timezone.replace("'", "''")
    local = f"timezone('{zone}', timezone('UTC', {column}))"
    offset = f"date_diff('minute', {column}, {local})"
    sign = f"CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
    hhmm = (
        f"lpad(CAST(abs({offset}) // 60 AS VARCHAR), 2, '0') || "
        f"lpad(CAST(abs({offset}) % 60 AS VARCHAR), 2, '0')"
    )
    return f"strftime({local}, '%Y-%m-%d %H:%M:%S') || ' ' || {sign} || {hhmm}"


def _select(timezone: str) -> str:
    rates = ", ".join(
        f"{sql_text(c)}: '{bp / 100:g}%'" for c, bp in zip(COUNTRIES, VAT_BASIS_POINTS, strict=True)
    )
    every_row = {
        "Name": "o.name",
        "Email": "o.email",
        "Created at": _shop_time("o.created_at", timezone),
        "Lineitem quantity": "l.quantity",
        "Lineitem name": "l.product_name",
        "Lineitem price": "l.price",
        "Lineitem compare at price": "p.compare_at_price",
        "Lineitem sku": "l.sku",
        "Lineitem requires shipping": "'true'",
        "Lineitem taxable": "'true'",
        "Lineitem fulfillment status": "CASE WHEN o.fulfillment_status = 'fulfilled' THEN 'fulfilled' ELSE 'pending' END",
        "Vendor": "l.vendor",
        "Lineitem discount": "l.discount",
    }
    first_row = {
        "Financial Status": "o.financial_status",
        "Paid at": f"CASE WHEN o.is_sale THEN {_shop_time('o.created_at', timezone)} END",
        "Fulfillment Status": "coalesce(o.fulfillment_status, 'unfulfilled')",
        "Accepts Marketing": "CASE WHEN o.accepts_marketing THEN 'yes' ELSE 'no' END",
        "Currency": "o.currency",
        "Subtotal": "o.subtotal",
        "Shipping": "o.shipping",
        "Taxes": "o.taxes",
        "Total": "o.total",
        "Discount Code": "coalesce(o.discount_codes, '')",
        "Discount Amount": "o.discounts",
        "Shipping Method": "CASE WHEN o.channel <> 'pos' THEN 'Standard' END",
        "Billing Name": "o.customer_name",
        "Billing Country": "o.country",
        "Shipping Name": "o.customer_name",
        "Shipping Country": "o.country",
        "Cancelled at": _shop_time("o.cancelled_at", timezone),
        "Payment Method": "'Shopify Payments'",
        "Refunded Amount": "o.refunded",
        "Outstanding Balance": "'0.00'",
        "Id": "o.source_id",
        "Risk Level": "'Low'",
        "Source": "o.channel",
        "Tax 1 Name": f"'VAT ' || MAP {{{rates}}}[o.country]",
        "Tax 1 Value": "o.taxes",
    }
    fields = []
    for column in COLUMNS:
        name = '"' + column + '"'
        if column in every_row:
            fields.append(f"{every_row[column]} AS {name}")
        elif column in first_row:
            fields.append(f"CASE WHEN l.line_no = 1 THEN {first_row[column]} END AS {name}")
        else:
            fields.append(f"NULL AS {name}")
    return f"""
        SELECT {", ".join(fields)}
        FROM (
            SELECT o.*, c.email, c.name AS customer_name, c.accepts_marketing
            FROM orders o LEFT JOIN customers c ON c.source = o.source AND c.source_id = o.customer_id
            WHERE o.source = {sql_text(SOURCE)}
              AND CAST(o.source_id AS BIGINT) >= $first AND CAST(o.source_id AS BIGINT) < $stop
        ) o
        JOIN order_lines l ON l.source = o.source AND l.order_id = o.source_id
        LEFT JOIN products p ON p.source = o.source AND p.sku = l.sku
        ORDER BY CAST(o.source_id AS BIGINT), l.line_no
    """


def export_orders(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    timezone: str,
    *,
    orders_per_file: int = ORDERS_PER_FILE,
) -> list[Path]:
    """Writes the demo's orders to `folder` (created if needed); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    low, high = con.execute(
        "SELECT min(CAST(source_id AS BIGINT)), max(CAST(source_id AS BIGINT)) FROM orders WHERE source = ?",
        [SOURCE],
    ).fetchone()
    files: list[Path] = []
    if low is None:
        return files
    query = _select(timezone)
    for number, first in enumerate(range(low, high + 1, orders_per_file), start=1):
        path = folder / f"orders_export_{number}.csv"
        literal = str(path).replace("'", "''")
        con.execute(
            f"COPY ({query}) TO '{literal}' (FORMAT csv, HEADER true)",
            {"first": first, "stop": first + orders_per_file},
        )
        files.append(path)
    return files
