"""Writing Shopify orders exports for tests, in the exact 79-column dialect Shopify emits."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import FIXTURES

HEADER_79 = (
    (FIXTURES / "shopify_orders" / "orders_export_79.csv").read_text().split("\n", 1)[0].split(",")
)


def order_rows(
    name: str,
    lines: list[tuple[str, int, str]],
    *,
    status: str = "paid",
    created: str = "2024-11-29 10:15:22 -0500",
    order_id: str | None = None,
    email: str = "ana@example.com",
    discount: str = "0.00",
    refunded: str = "0.00",
    **order_fields: str,
) -> list[dict[str, str]]:
    """One dict per line item; order-level fields only on the first, as Shopify writes them."""

    def amount(text: str) -> float:  # tests write malformed prices too
        try:
            return float(text)
        except ValueError:
            return 0.0

    subtotal = sum(int(q) * amount(p) for _, q, p in lines) - float(discount)
    first = {
        "Financial Status": status,
        "Currency": "EUR",
        "Subtotal": f"{subtotal:.2f}",
        "Shipping": "4.90",
        "Taxes": "0.00",
        "Total": f"{subtotal + 4.90:.2f}",
        "Discount Amount": discount,
        "Refunded Amount": refunded,
        "Id": order_id or name.strip("#"),
        "Source": "web",
        "Shipping Country": "FR",
        **order_fields,
    }
    rows = []
    for index, (sku, quantity, price) in enumerate(lines):
        row = {
            "Name": name,
            "Email": email,
            "Created at": created,
            "Lineitem quantity": str(quantity),
            "Lineitem name": f"Product {sku}",
            "Lineitem price": price,
            "Lineitem sku": sku,
            "Lineitem discount": "0.00",
        }
        if index == 0:
            row.update(first)
        rows.append(row)
    return rows


def write_export(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER_79) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in header})
    return path


def write_big_export(
    path: Path, orders: int, *, lines_per_order: int = 3, price: str = "10.00"
) -> Path:
    """A large, valid export written by DuckDB (fast), for atomicity and concurrency tests."""
    import duckdb

    filled = {
        "Name": "'#' || o",
        "Email": "'c' || (o % 997) || '@example.com'",
        "Financial Status": "CASE WHEN l = 1 THEN 'paid' END",
        "Currency": "CASE WHEN l = 1 THEN 'EUR' END",
        "Subtotal": f"CASE WHEN l = 1 THEN printf('%.2f', {lines_per_order} * {price}) END",
        "Shipping": "CASE WHEN l = 1 THEN '0.00' END",
        "Taxes": "CASE WHEN l = 1 THEN '0.00' END",
        "Total": f"CASE WHEN l = 1 THEN printf('%.2f', {lines_per_order} * {price}) END",
        "Discount Amount": "CASE WHEN l = 1 THEN '0.00' END",
        "Created at": "strftime(TIMESTAMP '2024-01-01' + INTERVAL (o % 50000) MINUTE, '%Y-%m-%d %H:%M:%S') || ' +0100'",
        "Lineitem quantity": "'1'",
        "Lineitem name": "'Item ' || l",
        "Lineitem price": f"'{price}'",
        "Lineitem sku": "'SKU-' || l",
        "Id": "CASE WHEN l = 1 THEN CAST(o AS VARCHAR) END",
        "Lineitem discount": "'0.00'",
    }
    select = ", ".join(f'{filled.get(c, "NULL")} AS "{c}"' for c in HEADER_79)
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT {select} FROM range(1, {orders} + 1) r(o), range(1, {lines_per_order} + 1) s(l) "
            f"ORDER BY o, l) TO '{path}' (HEADER, DELIMITER ',')"
        )
    return path
