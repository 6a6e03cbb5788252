"""The canonical commerce schema: every source is turned into these tables.

Conventions (docs/schema.md says the same for people):
- money is DECIMAL(18,2); timestamps are UTC (TIMESTAMP without zone); `local_date` is the
  store-local calendar day, computed at load time with the workspace time zone;
- every row keeps its `source` (shopify, woocommerce, demo, or the name a mapping gives) and its
  `source_id`, the record's id in that source; (source, source_id) identifies an entity;
- `import_id` names the import that wrote the row, `row_hash` the content it had (with its children),
  so that importing the same record again is recognised as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

MONEY = "DECIMAL(18,2)"

# Columns every entity table ends with; the loader fills them.
LOAD_COLUMNS = (("import_id", "BIGINT"), ("row_hash", "VARCHAR"))


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    # An entity has (source, source_id) and a row_hash; a line table (order lines, refund lines)
    # only exists as part of the entity that owns it (see OWNED).
    is_entity: bool = True

    def all_columns(self) -> tuple[tuple[str, str], ...]:
        return self.columns + (LOAD_COLUMNS if self.is_entity else (("import_id", "BIGINT"),))

    def column_names(self) -> list[str]:
        return [name for name, _ in self.all_columns()]


ORDERS = Table(
    "orders",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),
        ("name", "VARCHAR"),  # what the shop calls it, e.g. "#1001"
        ("created_at", "TIMESTAMP"),
        ("local_date", "DATE"),
        ("currency", "VARCHAR"),
        ("financial_status", "VARCHAR"),  # as the source says it
        ("fulfillment_status", "VARCHAR"),
        ("is_sale", "BOOLEAN"),  # counts as an order in sales metrics (DESIGN.md)
        ("cancelled_at", "TIMESTAMP"),
        ("customer_id", "VARCHAR"),  # customers.source_id; NULL for guests without an id
        ("channel", "VARCHAR"),
        ("country", "VARCHAR"),  # ISO 3166-1 alpha-2 where the source gives it
        ("discount_codes", "VARCHAR"),  # comma separated, as applied
        ("subtotal", MONEY),
        ("discounts", MONEY),
        ("shipping", MONEY),
        ("taxes", MONEY),
        ("total", MONEY),
        ("refunded", MONEY),
    ),
)

ORDER_LINES = Table(
    "order_lines",
    (
        ("source", "VARCHAR"),
        ("order_id", "VARCHAR"),
        ("line_no", "INTEGER"),
        ("sku", "VARCHAR"),
        ("product_name", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("price", MONEY),  # unit price before discounts
        ("discount", MONEY),  # discount allocated to this line
        ("vendor", "VARCHAR"),
    ),
    is_entity=False,
)

CUSTOMERS = Table(
    "customers",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),
        ("email", "VARCHAR"),
        ("name", "VARCHAR"),
        ("country", "VARCHAR"),
        ("accepts_marketing", "BOOLEAN"),
    ),
)

PRODUCTS = Table(
    "products",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),  # the variant's id in the source
        ("sku", "VARCHAR"),
        ("handle", "VARCHAR"),  # the product's id in the source
        ("title", "VARCHAR"),
        ("variant_title", "VARCHAR"),
        ("vendor", "VARCHAR"),
        ("category", "VARCHAR"),
        ("price", MONEY),
        ("compare_at_price", MONEY),
        ("cost", MONEY),
        ("status", "VARCHAR"),  # active, draft, archived
    ),
)

INVENTORY_LEVELS = Table(
    "inventory_levels",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),  # sku|location|date
        ("sku", "VARCHAR"),
        ("location", "VARCHAR"),
        ("date", "DATE"),  # store-local day of the count
        ("on_hand", "INTEGER"),
    ),
)

REFUNDS = Table(
    "refunds",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),
        ("order_id", "VARCHAR"),  # orders.source_id
        ("refunded_at", "TIMESTAMP"),  # NULL when the source does not say
        ("local_date", "DATE"),  # the refund's day, or the order's when refunded_at is unknown
        ("amount", MONEY),  # positive
        ("reason", "VARCHAR"),
    ),
)

REFUND_LINES = Table(
    "refund_lines",
    (
        ("source", "VARCHAR"),
        ("refund_id", "VARCHAR"),
        ("order_id", "VARCHAR"),
        ("sku", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("amount", MONEY),
    ),
    is_entity=False,
)

TICKETS = Table(
    "tickets",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),
        ("opened_at", "TIMESTAMP"),
        ("local_date", "DATE"),
        ("first_response_at", "TIMESTAMP"),
        ("resolved_at", "TIMESTAMP"),
        ("status", "VARCHAR"),  # open, pending, resolved, closed
        ("category", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("satisfaction", "INTEGER"),  # 1..5, NULL when not rated
        ("order_id", "VARCHAR"),
        ("sku", "VARCHAR"),
    ),
)

TRAFFIC = Table(
    "traffic",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),  # date|channel
        ("date", "DATE"),
        ("channel", "VARCHAR"),
        ("sessions", "BIGINT"),
        ("add_to_cart", "BIGINT"),
        ("checkouts_started", "BIGINT"),
        ("orders", "BIGINT"),
    ),
)

PROMOTIONS = Table(
    "promotions",
    (
        ("source", "VARCHAR"),
        ("source_id", "VARCHAR"),  # the code, upper-cased
        ("code", "VARCHAR"),
        ("campaign", "VARCHAR"),
        ("kind", "VARCHAR"),  # percentage, fixed_amount, free_shipping
        ("value", "DECIMAL(18,2)"),  # percent for percentage, money for fixed_amount
        ("starts_at", "TIMESTAMP"),
        ("ends_at", "TIMESTAMP"),
    ),
)

IMPORTS = Table(
    "imports",
    (
        ("import_id", "BIGINT"),
        ("kind", "VARCHAR"),
        ("source", "VARCHAR"),
        ("file", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
        ("finished_at", "TIMESTAMP"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("orders_loaded", "BIGINT"),
        ("orders_quarantined", "BIGINT"),
        ("records_new", "BIGINT"),
        ("records_changed", "BIGINT"),
        ("records_unchanged", "BIGINT"),
        ("orders_new", "BIGINT"),
        ("orders_changed", "BIGINT"),
        ("orders_unchanged", "BIGINT"),
    ),
)

QUARANTINE = Table(
    "quarantine",
    (
        ("import_id", "BIGINT"),
        ("file", "VARCHAR"),
        ("line", "BIGINT"),  # physical line in the file where the record starts
        ("field", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("record_ref", "VARCHAR"),  # the order (or other record) the row belongs to
        ("raw", "VARCHAR"),
    ),
)

# Bookkeeping tables are written by the loader only, not replaced by key.
BOOKKEEPING = (IMPORTS, QUARANTINE)
DATA_TABLES = (
    ORDERS,
    ORDER_LINES,
    CUSTOMERS,
    PRODUCTS,
    INVENTORY_LEVELS,
    REFUNDS,
    REFUND_LINES,
    TICKETS,
    TRAFFIC,
    PROMOTIONS,
)
TABLES = {table.name: table for table in DATA_TABLES}


# What an entity owns: (table, column holding the owner's source_id). An order owns its lines and
# its refunds (sources export refunds inside the order); a refund loaded on its own owns its lines.
# Owned rows are part of the owner's row_hash and are replaced with it.
OWNED: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (("order_lines", "order_id"), ("refunds", "order_id"), ("refund_lines", "order_id")),
    "refunds": (("refund_lines", "refund_id"),),
}


def create_table_sql(table: Table, *, qualifier: str = "") -> str:
    columns = table.columns if table in BOOKKEEPING else table.all_columns()
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {qualifier}{table.name} ({body})"


def create_schema_sql(*, qualifier: str = "") -> list[str]:
    return [create_table_sql(table, qualifier=qualifier) for table in DATA_TABLES + BOOKKEEPING]
