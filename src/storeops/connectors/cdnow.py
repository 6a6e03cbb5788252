"""The CDNOW transaction log, the public history of an online music retailer used in the
customer-lifetime-value literature (Fader & Hardie).

Two layouts, whitespace separated, no header, dates YYYYMMDD, amounts in US dollars:

- CDNOW_master.txt (69,659 lines): `customer_id date number_of_cds dollar_value`,
  e.g. `00001 19970101  1  11.77`;
- CDNOW_sample.txt (the 1/10 sample): `master_id sample_id date number_of_cds dollar_value`,
  e.g. `    4      1 19970101  2  29.33`. The customer is the master id, so the sample's
  customers and orders are the very records the master file gives them.

Each line is one purchase, staged as one order. Customer ids are stored without their zero
padding ("00004" and "4" are the same customer). The amounts are dollars: a workspace meant for
CDNOW is created with `storeops init --currency USD`; the orders take the workspace's currency.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from storeops.connectors.base import (
    Check,
    StageContext,
    check_file,
    duckdb_path,
    sha256_of,
    sql_first_problem,
    sql_quoted_value,
    sql_text,
)
from storeops.core.errors import BadInput
from storeops.core.money import MONEY_PATTERN
from storeops.warehouse.loading import StagedFile, create_stage_quarantine

SOURCE = "cdnow"
SKU = "CD"
# Field count -> the fields' names, in file order.
LAYOUTS = {
    4: ("customer_id", "date", "number_of_cds", "dollar_value"),
    5: ("customer_id", "sample_id", "date", "number_of_cds", "dollar_value"),
}


def stage(con: duckdb.DuckDBPyConnection, file: Path, ctx: StageContext) -> StagedFile:
    check_file(file)
    _read_lines(con, file)
    layout = _layout(con, file)
    _parse(con, layout)
    create_stage_quarantine(con)
    con.execute(
        """
        INSERT INTO stage_quarantine
        SELECT line, problem_field, problem_reason, order_id, raw, order_id IS NOT NULL
        FROM purchases WHERE problem_reason IS NOT NULL
        """
    )
    source = ctx.source or SOURCE
    _stage_tables(con, source, ctx)
    rows_read = con.execute("SELECT count(*) FROM purchases").fetchone()[0]
    return StagedFile(
        kind="cdnow",
        source=source,
        file=file,
        sha256=sha256_of(file),
        rows_read=rows_read,
        tables=["orders", "order_lines", "customers"],
    )


def _read_lines(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    """lines(line, raw, f): every non-blank physical line with its number and its fields.

    The runs of spaces between fields vary, so the file is read as text and split here rather
    than by a CSV reader, keeping each line's number and raw text for the quarantine.
    """
    try:
        with duckdb_path(file) as readable:
            con.execute(
                r"""
            CREATE OR REPLACE TABLE lines AS
            SELECT line, raw,
                   regexp_split_to_array(regexp_replace(raw, '^\s+|\s+$', '', 'g'), '\s+') AS f
            FROM (
                SELECT line, CASE WHEN line = 1 THEN ltrim(rtrim(arr[line], chr(13)), chr(65279))
                                  ELSE rtrim(arr[line], chr(13)) END AS raw
                FROM (SELECT string_split(content, chr(10)) AS arr FROM read_text(?)),
                     generate_series(1, len(arr)) AS g(line)
            )
            WHERE NOT regexp_full_match(raw, '\s*')
            """,
                [readable],
            )
    except duckdb.InvalidInputException as exc:
        if "UTF-8" not in str(exc):
            raise
        raise BadInput(
            file, "not UTF-8 text; export the file as UTF-8", line=_first_non_utf8_line(file)
        ) from None


def _first_non_utf8_line(file: Path) -> int | None:
    with file.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _layout(con: duckdb.DuckDBPyConnection, file: Path) -> int:
    """The file's field count: the one most of its lines have (a few bad lines do not decide)."""
    found = con.execute(
        "SELECT len(f) AS n, min(line) FROM lines GROUP BY n ORDER BY count(*) DESC, n LIMIT 1"
    ).fetchone()
    if found is None:
        raise BadInput(file, "the file holds no transactions, only blank lines", line=1)
    count, line = found
    if count not in LAYOUTS:
        raise BadInput(
            file,
            f"not a CDNOW transaction log: most lines have {count} fields; expected 4 "
            f"({' '.join(LAYOUTS[4])}) or 5 ({' '.join(LAYOUTS[5])})",
            line=line,
        )
    return count


def _checks(count: int) -> list[Check]:
    names = LAYOUTS[count]
    money = "TRY_CAST(dollars AS DECIMAL(18,2))"  # NULL when too large for the warehouse
    digits = "'^[0-9]+$'"
    checks = [
        Check(
            f"len(f) <> {count}",
            "line",
            f"'expected {count} fields ({' '.join(names)}), found ' || len(f)",
        ),
        Check(
            f"NOT regexp_full_match(customer, {digits})",
            "customer_id",
            f"'not a customer id: ' || {sql_quoted_value('customer')}",
        ),
    ]
    if count == 5:
        checks.append(
            Check(
                f"NOT regexp_full_match(f[2], {digits})",
                "sample_id",
                f"'not a customer id: ' || {sql_quoted_value('f[2]')}",
            )
        )
    checks += [
        Check(
            "day IS NULL",
            "date",
            f"'not a date like 19970101: ' || {sql_quoted_value('date_text')}",
        ),
        Check(
            "NOT regexp_full_match(cds, '^-?[0-9]{1,9}$')",
            "number_of_cds",
            f"'not a number of CDs: ' || {sql_quoted_value('cds')}",
        ),
        Check(
            "TRY_CAST(cds AS INTEGER) < 1",
            "number_of_cds",
            f"'a purchase holds at least one CD: ' || {sql_quoted_value('cds')}",
        ),
        Check(
            f"NOT regexp_full_match(dollars, '{MONEY_PATTERN}') OR {money} IS NULL",
            "dollar_value",
            f"'not an amount: ' || {sql_quoted_value('dollars')}",
        ),
        Check(
            f"{money} < 0",
            "dollar_value",
            f"'negative amount: ' || {sql_quoted_value('dollars')}",
        ),
    ]
    return checks


def _parse(con: duckdb.DuckDBPyConnection, count: int) -> None:
    """purchases: every line with its fields, its first problem, and its order id.

    The order id numbers a customer's purchases of one day in file order. Lines that are bad
    only in their amounts keep their number, so correcting one does not renumber the others.
    """
    skip = count - 4  # the sample's extra sample_id column
    con.execute(
        f"""
        CREATE OR REPLACE TABLE fields AS
        SELECT line, raw, f, f[1] AS customer, f[{2 + skip}] AS date_text,
               f[{3 + skip}] AS cds, f[{4 + skip}] AS dollars,
               CASE WHEN regexp_full_match(f[{2 + skip}], '^[0-9]{{8}}$')
                    THEN CAST(try_strptime(f[{2 + skip}], '%Y%m%d') AS DATE) END AS day
        FROM lines
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE purchases AS
        SELECT *,
               CASE WHEN keyed THEN customer_id || '-' || date_text || '-' ||
                    row_number() OVER (PARTITION BY keyed, customer_id, date_text ORDER BY line)
               END AS order_id
        FROM (
            SELECT *, {sql_first_problem(_checks(count))},
                   len(f) = {count} AND regexp_full_match(customer, '^[0-9]+$') AND day IS NOT NULL
                       AS keyed,
                   CASE WHEN regexp_full_match(customer, '^[0-9]+$')
                        THEN coalesce(nullif(ltrim(customer, '0'), ''), '0') END AS customer_id
            FROM fields
        )
        """
    )


def _stage_tables(con: duckdb.DuckDBPyConnection, source: str, ctx: StageContext) -> None:
    zone = sql_text(ctx.timezone)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE good AS
        SELECT order_id, line, customer_id, day, CAST(cds AS INTEGER) AS cds,
               CAST(dollars AS DECIMAL(18,2)) AS dollars,
               CAST(round(CAST(dollars AS DECIMAL(18,2)) * 100) AS BIGINT) AS cents,
               -- the log gives a day: the purchase is put at the store's local midnight
               timezone('UTC', timezone({zone}, CAST(day AS TIMESTAMP))) AS created_at
        FROM purchases WHERE problem_reason IS NULL
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stage_orders AS
        SELECT ? AS source, order_id AS source_id, order_id AS name, created_at,
               day AS local_date, {sql_text(ctx.currency)} AS currency,
               NULL::VARCHAR AS financial_status, NULL::VARCHAR AS fulfillment_status,
               true AS is_sale, NULL::TIMESTAMP AS cancelled_at, customer_id,
               NULL::VARCHAR AS channel, NULL::VARCHAR AS country,
               NULL::VARCHAR AS discount_codes, dollars AS subtotal, 0::DECIMAL(18,2) AS discounts,
               0::DECIMAL(18,2) AS shipping, 0::DECIMAL(18,2) AS taxes, dollars AS total,
               0::DECIMAL(18,2) AS refunded
        FROM good ORDER BY line
        """,
        [source],
    )
    # The log gives the CDs and what they cost together, not each CD's price. Spreading the
    # amount over the CDs in whole cents keeps both facts exact without inventing a discount:
    # $29.33 for 2 CDs is one CD at 14.66 and one at 14.67, so units sold are the CDs bought
    # and gross sales are the dollars paid. An amount that divides evenly gives one line.
    con.execute(
        """
        CREATE OR REPLACE TABLE stage_order_lines AS
        SELECT ? AS source, order_id, line_no, ? AS sku, ? AS product_name, quantity,
               CAST(CAST(unit_cents AS DECIMAL(18,2)) * 0.01 AS DECIMAL(18,2)) AS price,
               0::DECIMAL(18,2) AS discount,
               NULL::VARCHAR AS vendor
        FROM (
            SELECT order_id, 1 AS line_no, cds - cents % cds AS quantity,
                   cents // cds AS unit_cents
            FROM good
            UNION ALL
            SELECT order_id, 2, cents % cds, cents // cds + 1 FROM good WHERE cents % cds > 0
        )
        """,
        [source, SKU, SKU],
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE stage_customers AS
        SELECT ? AS source, customer_id AS source_id, NULL::VARCHAR AS email,
               NULL::VARCHAR AS name, NULL::VARCHAR AS country, NULL::BOOLEAN AS accepts_marketing
        FROM good GROUP BY customer_id
        """,
        [source],
    )
