"""Shopify's products CSV: the export's legacy dialect (Handle, Variant SKU, Variant Price...) and
the newer one of Shopify's current template (URL handle, SKU, Price...).

One row per variant. A product's rows share its handle; its first row carries the product's
fields (Title, Vendor, Product Category, Type, Status) and its first variant, and later rows
inherit them. Rows with no variant field (no SKU, price, option value, compare-at price, cost or
quantity) only add images: they are read and belong to their product, but stage nothing.

A variant is identified by its handle and option values ("tee/S/Blue"), as Shopify's own import
matches variants: SKUs are optional, may be shared by several variants and get renamed.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    sha256_of,
    sql_bad_int,
    sql_bad_money,
    sql_first_problem,
    sql_int,
    sql_money,
    sql_quoted_value,
    sql_text,
)
from storeops.core.errors import BadInput
from storeops.warehouse.loading import StagedFile, create_stage_quarantine

SOURCE = "shopify"
WHAT = "Shopify products export"
LOCATION = "default"  # the export's single quantity is the store's only location's stock

# Staged name -> (legacy export column, current template column). The first three are required.
COLUMNS = {
    "handle": ("Handle", "URL handle"),
    "title": ("Title", "Title"),
    "price": ("Variant Price", "Price"),
    "vendor": ("Vendor", "Vendor"),
    "product_category": ("Product Category", "Product category"),
    "type": ("Type", "Type"),
    "status": ("Status", "Status"),
    "opt1": ("Option1 Value", "Option1 value"),
    "opt2": ("Option2 Value", "Option2 value"),
    "opt3": ("Option3 Value", "Option3 value"),
    "sku": ("Variant SKU", "SKU"),
    "compare_at": ("Variant Compare At Price", "Compare-at price"),
    "cost": ("Cost per item", "Cost per item"),
    "tracker": ("Variant Inventory Tracker", "Inventory tracker"),
    "qty": ("Variant Inventory Qty", "Inventory quantity"),
}
REQUIRED = list(COLUMNS)[:3]
VARIANT_FIELDS = ("sku", "price", "opt1", "opt2", "opt3", "compare_at", "cost", "qty")


def stage(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    header = csv_header(file)
    names = _dialect(file, header)
    present = {names[dst]: dst for dst in COLUMNS if names[dst] in header}
    rejects = read_csv_into(con, file, "raw", present)
    for dst in set(COLUMNS) - set(present.values()):
        con.execute(f"ALTER TABLE raw ADD COLUMN {dst} VARCHAR")

    trimmed = ", ".join(f"nullif(trim({name}), '') AS {name}" for name in COLUMNS)
    variant = " OR ".join(f"{name} IS NOT NULL" for name in VARIANT_FIELDS)
    key = "concat_ws('/', handle, opt1, opt2, opt3)"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rows AS
        SELECT *, {sql_first_problem(_checks(names))}
        FROM (
            SELECT *, count(*) FILTER (WHERE is_variant)
                          OVER (PARTITION BY handle, variant_key) AS key_count
            FROM (
                SELECT *, idx = first_idx OR {variant} AS is_variant, {key} AS variant_key
                FROM (SELECT rowid AS idx, {trimmed},
                             min(rowid) OVER (PARTITION BY nullif(trim(handle), '')) AS first_idx
                      FROM raw)
            )
        )
        """
    )
    con.execute(
        "CREATE OR REPLACE TABLE bad_products AS SELECT DISTINCT handle FROM rows "
        "WHERE problem_field IS NOT NULL AND handle IS NOT NULL"
    )
    handle_at = header.index(names["handle"])
    reject_handles = {csv_field(r.raw, handle_at) for r in rejects} - {None, ""}
    if reject_handles:
        con.executemany(
            "INSERT INTO bad_products VALUES (?)", [[h] for h in sorted(reject_handles)]
        )
    create_stage_quarantine(con)
    _quarantine(con, file, rejects, handle_at)

    source = ctx.source or SOURCE
    tables = ["products"]
    _stage_products(con, source)
    if names["qty"] in header:
        tables.append("inventory_levels")
        _stage_inventory(con, source, _today(ctx.timezone), tracked_only=names["tracker"] in header)
    # Image-only rows of a loaded product stage nothing yet are not quarantined: they count as
    # loaded with their product, so rows read = rows loaded + rows quarantined still holds.
    rows_read = con.execute("SELECT count(*) FROM raw").fetchone()[0] + len(rejects)
    return StagedFile(
        kind="shopify-products",
        source=source,
        file=file,
        sha256=sha256_of(file),
        rows_read=rows_read,
        tables=tables,
    )


def _dialect(file: Path, header: list[str]) -> dict[str, str]:
    """Staged name -> the file's column name, for the dialect the header is written in."""
    if "Handle" in header:
        dialect = 0
    elif "URL handle" in header:
        dialect = 1
    else:
        raise BadInput(
            file,
            f"missing required column 'Handle' ('URL handle' in Shopify's current template): "
            f"is this a {WHAT}?",
            line=1,
            field="Handle",
        )
    names = {dst: pair[dialect] for dst, pair in COLUMNS.items()}
    require_columns(file, header, [names[dst] for dst in REQUIRED], WHAT)
    return names


def _today(timezone: str) -> date:
    """The store-local day of the import: the export gives the stock as it is now."""
    return datetime.now(ZoneInfo(timezone)).date()


def _checks(names: dict[str, str]) -> list[Check]:
    def amount(name: str) -> list[Check]:
        return [
            Check(
                sql_bad_money(name),
                names[name],
                f"'not an amount: ' || {sql_quoted_value(name)}",
            ),
            Check(
                f"{sql_money(name)} < 0",
                names[name],
                f"'negative amount: ' || {sql_quoted_value(name)}",
            ),
        ]

    return [
        Check(
            "handle IS NULL",
            names["handle"],
            sql_text(f"the row belongs to no product ({names['handle']} is empty)"),
        ),
        Check(
            "idx = first_idx AND title IS NULL",
            names["title"],
            sql_text("empty on the product's first row, where Shopify puts the product's fields"),
        ),
        Check(
            "is_variant AND price IS NULL",
            names["price"],
            sql_text("empty: every variant has a price"),
        ),
        *amount("price"),
        *amount("compare_at"),
        *amount("cost"),
        Check(
            sql_bad_int("qty"),
            names["qty"],
            f"'not a whole number: ' || {sql_quoted_value('qty')}",
        ),
        # Two rows for one variant: which one is right cannot be told, so the product waits.
        Check(
            "is_variant AND key_count > 1",
            names["opt1"],
            f"'variant ' || {sql_quoted_value('variant_key')} || ' appears ' || key_count || "
            f"' times in the file'",
        ),
    ]


def _quarantine(
    con: duckdb.DuckDBPyConnection, file: Path, rejects: list[Reject], handle_at: int
) -> None:
    """Every row of a bad product goes to the quarantine, each with its own reason or its
    product's; a row without a handle goes alone."""
    bad = con.execute(
        """
        SELECT idx, handle, problem_field, problem_reason FROM rows
        WHERE handle IS NULL OR handle IN (SELECT handle FROM bad_products) ORDER BY idx
        """
    ).fetchall()
    quarantine_whole_records(
        con, file, rejects, bad, ref_at=handle_at, what="product", refs_are_orders=False
    )


def _stage_products(con: duckdb.DuckDBPyConnection, source: str) -> None:
    con.execute(
        """
        CREATE OR REPLACE TABLE good AS
        SELECT * FROM rows
        WHERE is_variant AND handle IS NOT NULL AND handle NOT IN (SELECT handle FROM bad_products)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_products AS
        SELECT ? AS source, g.variant_key AS source_id, g.sku, g.handle, p.title,
               nullif(concat_ws(' / ', g.opt1, g.opt2, g.opt3), '') AS variant_title,
               p.vendor, coalesce(p.product_category, p.type) AS category,
               {sql_money("g.price")} AS price, {sql_money("g.compare_at")} AS compare_at_price,
               {sql_money("g.cost")} AS cost, lower(p.status) AS status
        FROM good g JOIN (SELECT * FROM rows WHERE idx = first_idx) p USING (handle)
        ORDER BY g.idx
        """,
        [source],
    )


def _stage_inventory(
    con: duckdb.DuckDBPyConnection, source: str, today: date, *, tracked_only: bool
) -> None:
    """One count per SKU at the default location, dated today.

    A variant without a SKU is counted under its variant id (products.source_id), so its stock
    is not lost; several variants sharing a SKU are one stock keeping unit, their sum. A variant
    Shopify does not track (empty Inventory tracker) has no meaningful quantity and is left out.
    """
    tracked = "AND tracker IS NOT NULL" if tracked_only else ""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_inventory_levels AS
        SELECT ? AS source, sku || '|' || ? || '|' || strftime(?::DATE, '%Y-%m-%d') AS source_id,
               sku, ? AS location, ?::DATE AS date, CAST(sum(on_hand) AS INTEGER) AS on_hand
        FROM (SELECT coalesce(sku, variant_key) AS sku, {sql_int("qty")} AS on_hand
              FROM good WHERE qty IS NOT NULL {tracked})
        GROUP BY sku
        """,
        [source, LOCATION, today, LOCATION, today],
    )
