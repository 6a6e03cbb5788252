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
