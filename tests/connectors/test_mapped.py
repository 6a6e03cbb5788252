"""`storeops import csv|parquet --kind K --mapping M.toml`: each record kind from a small export
in its real format, read with the mapping examples of docs/examples/mappings/."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES

DATA = FIXTURES / "mapped"
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "mappings"


@pytest.fixture
def load(cli, workspace):  # type: ignore[no-untyped-def]
    """Imports one file and returns the command's JSON for it (and checks rows add up)."""

    def run(file: Path, kind: str, mapping: Path, *extra: str, fmt: str = "csv") -> dict:
        result = cli(
            "import",
            fmt,
            file,
            "--kind",
            kind,
            "--mapping",
            mapping,
            *extra,
            "--json",
            "-w",
            workspace.workspace,
        )
        assert result.code == 0, result.err
        imported = result.json()["files"][0]
        assert imported["rows_read"] == imported["rows_loaded"] + imported["rows_quarantined"]
        return imported

    return run


@pytest.fixture
def query(workspace):  # type: ignore[no-untyped-def]
    def run(sql: str) -> list[tuple]:
        con = duckdb.connect(str(workspace.duckdb_path()), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return run


def quarantine(cli, workspace) -> list[dict]:  # type: ignore[no-untyped-def]
    return cli("quarantine", "--json", "-w", workspace.workspace).json()["rows"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# Each record kind ------------------------------------------------------------------------------


def test_french_erp_orders_with_one_line_per_row(load, query):
    result = load(DATA / "erp_orders_fr.csv", "orders", EXAMPLES / "erp-orders-fr.toml")

    assert (result["rows_read"], result["rows_quarantined"]) == (4, 0)
    assert result["records"] == {"orders": {"new": 3, "changed": 0, "unchanged": 0}}
    orders = query(
        "SELECT source, source_id, created_at, local_date, currency, financial_status, is_sale, "
        "customer_id, discount_codes, shipping, total FROM orders ORDER BY source_id"
    )
    assert orders == [
        # Paris is UTC+1 in November: 09:15 local is 08:15 UTC; the blank Devise takes the default.
        ("erp", "CMD-1001", datetime(2024, 11, 29, 8, 15), date(2024, 11, 29), "EUR", "paid", True,
         "C042", "BF24", Decimal("4.90"), Decimal("53.22")),
        ("erp", "CMD-1002", datetime(2024, 11, 29, 22, 40), date(2024, 11, 29), "EUR", "paid", True,
         "C077", None, Decimal("0.00"), Decimal("1249.00")),
        # 00:30 on the 30th in Paris is still the 29th in UTC: the order belongs to the local day.
        ("erp", "CMD-1003", datetime(2024, 11, 29, 23, 30), date(2024, 11, 30), "EUR", "cancelled", False,
         "C042", None, Decimal("4.90"), Decimal("24.80")),
    ]  # fmt: skip
    lines = query(
        "SELECT order_id, line_no, sku, product_name, quantity, price, discount "
        "FROM order_lines ORDER BY order_id, line_no"
    )
    assert lines == [
        ("CMD-1001", 1, "TSH-BLK-M", "T-shirt noir M", 2, Decimal("19.90"), Decimal("3.98")),
        ("CMD-1001", 2, "MUG-01", "Mug céramique", 1, Decimal("12.50"), Decimal("0.00")),
        ("CMD-1002", 1, "CAN-3P", "Canapé 3 places", 1, Decimal("1249.00"), Decimal("0.00")),
        ("CMD-1003", 1, "TSH-BLK-M", "T-shirt noir M", 1, Decimal("19.90"), Decimal("0.00")),
    ]


def test_orders_without_line_columns_are_orders_only(load, query, tmp_path):
    mapping = write(
        tmp_path,
        "crm.toml",
        'source = "crm"\n[columns]\nsource_id = "Order"\ncreated_at = "Placed"\ntotal = "Total"\n',
    )
    file = write(
        tmp_path,
        "orders.csv",
        "Order,Placed,Total\nA-1,2024-07-01 12:00:00+02:00,10.00\nA-2,2024-07-01T09:00:00Z,20.50\n",
    )
    result = load(file, "orders", mapping)

    assert result["records"]["orders"]["new"] == 2
    assert query("SELECT source_id, created_at, total FROM orders ORDER BY 1") == [
        ("A-1", datetime(2024, 7, 1, 10, 0), Decimal("10.00")),
        ("A-2", datetime(2024, 7, 1, 9, 0), Decimal("20.50")),
    ]
    assert query("SELECT count(*) FROM order_lines") == [(0,)]


def test_products_where_a_later_row_wins(load, query, cli, workspace):
    result = load(DATA / "erp_products.csv", "products", EXAMPLES / "erp-products.toml")

    assert (result["rows_read"], result["rows_loaded"], result["rows_quarantined"]) == (5, 4, 1)
    assert query(
        "SELECT source_id, sku, price, compare_at_price, cost, status FROM products ORDER BY 1"
    ) == [
        ("40001", "TSH-BLK-M", Decimal("19.90"), Decimal("24.90"), Decimal("6.10"), "active"),
        ("40002", "TSH-BLK-L", Decimal("19.90"), None, Decimal("6.10"), "active"),
        ("40003", "MUG-01", Decimal("13.00"), None, Decimal("3.20"), "archived"),
        ("40004", "CAN-3P", Decimal("1249.00"), Decimal("1399.00"), Decimal("610.00"), "draft"),
    ]
    [superseded] = quarantine(cli, workspace)
    assert superseded["line"] == 4
    assert superseded["reason"].startswith("superseded by line 6: the same product (40003)")
    assert superseded["raw"].startswith("MUG-01,40003,")


def test_wms_inventory_counts(load, query):
    load(DATA / "wms_inventory.csv", "inventory", EXAMPLES / "wms-inventory.toml")

    assert query(
        "SELECT source, source_id, sku, location, date, on_hand FROM inventory_levels ORDER BY 2"
    ) == [
        ("wms", "MUG-01|Lyon|2024-11-29", "MUG-01", "Lyon", date(2024, 11, 29), -3),
        ("wms", "MUG-01|Lyon|2024-11-30", "MUG-01", "Lyon", date(2024, 11, 30), 57),
        ("wms", "TSH-BLK-L|default|2024-11-29", "TSH-BLK-L", "default", date(2024, 11, 29), 1204),
        ("wms", "TSH-BLK-M|Lyon|2024-11-29", "TSH-BLK-M", "Lyon", date(2024, 11, 29), 120),
    ]


def test_credit_notes_become_positive_refunds_with_lines(load, query):
    result = load(DATA / "erp_refunds_fr.csv", "refunds", EXAMPLES / "erp-refunds-fr.toml")

    assert result["records"] == {"refunds": {"new": 2, "changed": 0, "unchanged": 0}}
    assert query(
        "SELECT source_id, order_id, refunded_at, local_date, amount, reason FROM refunds ORDER BY 1"
    ) == [
        ("AV-501", "CMD-1001", None, date(2024, 12, 2), Decimal("19.90"), "Taille"),
        ("AV-502", "CMD-1002", None, date(2024, 12, 3), Decimal("1261.50"), "Défaut"),
    ]
    assert query(
        "SELECT refund_id, order_id, sku, quantity, amount FROM refund_lines ORDER BY 1, 3"
    ) == [
        ("AV-501", "CMD-1001", "TSH-BLK-M", 1, Decimal("19.90")),
        ("AV-502", "CMD-1002", "CAN-3P", 1, Decimal("1249.00")),
        ("AV-502", "CMD-1002", "MUG-01", 1, Decimal("12.50")),
    ]


def test_helpdesk_tickets(load, query):
    load(DATA / "helpdesk_tickets.csv", "tickets", EXAMPLES / "helpdesk-tickets.toml")

    assert query(
        "SELECT source_id, opened_at, local_date, first_response_at, resolved_at, status, category, "
        "channel, satisfaction, order_id FROM tickets ORDER BY 1"
    ) == [
        ("18231", datetime(2024, 11, 29, 22, 15, 3), date(2024, 11, 29), datetime(2024, 11, 30, 8, 2, 11),
         datetime(2024, 11, 30, 9, 40), "resolved", "livraison", "email", 5, "CMD-1002"),
        ("18232", datetime(2024, 11, 30, 10, 0), date(2024, 11, 30), None, None, "open", "retour",
         "web form", None, "CMD-1001"),
        ("18233", datetime(2024, 12, 1, 6, 30), date(2024, 12, 1), datetime(2024, 12, 1, 8, 0), None,
         "pending", "remboursement", "chat", None, None),
    ]  # fmt: skip


def test_ga4_traffic(load, query):
    load(DATA / "ga4_traffic.csv", "traffic", EXAMPLES / "ga4-traffic.toml")

    assert query(
        "SELECT source_id, date, channel, sessions, add_to_cart, checkouts_started, orders FROM traffic ORDER BY 1"
    ) == [
        ("2024-11-29|organic search", date(2024, 11, 29), "organic search", 1204, 96, 41, 22),
        ("2024-11-29|paid search", date(2024, 11, 29), "paid search", 845, 70, 30, 18),
        ("2024-11-30|email", date(2024, 11, 30), "email", 212, 25, 12, 9),
        ("2024-11-30|organic search", date(2024, 11, 30), "organic search", 1010, 80, 33, 15),
    ]


def test_parquet_with_typed_columns(load, query, cli, workspace, tmp_path):
    table = pa.table(
        {
            "order_id": pa.array([5001, 5002, 5003], pa.int64()),
            "placed_at": pa.array(
                [
                    datetime(2024, 11, 29, 8, 15),
                    datetime(2024, 11, 29, 23, 30),
                    datetime(2024, 11, 30, 9, 0),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "shipped_local": ["2024-11-30 10:00", None, "2024-12-01 08:00"],
            "currency": ["EUR", "EURO", "EUR"],
            "total": pa.array(
                [Decimal("53.22"), Decimal("10.00"), Decimal("7.50")], pa.decimal128(18, 2)
            ),
            "shipping": pa.array([4.9, 0.0, 2.5], pa.float64()),
        }
    )
    file = tmp_path / "orders.parquet"
    pq.write_table(table, file)
    mapping = write(
        tmp_path,
        "lake.toml",
        'source = "lake"\n[columns]\nsource_id = "order_id"\ncreated_at = "placed_at"\n'
        'cancelled_at = "shipped_local"\ncurrency = "currency"\ntotal = "total"\nshipping = "shipping"\n'
        '[formats]\ncancelled_at = "%Y-%m-%d %H:%M"\n',
    )
    result = load(file, "orders", mapping, fmt="parquet")

    assert (result["rows_read"], result["rows_loaded"], result["rows_quarantined"]) == (3, 2, 1)
    assert query("SELECT source_id, created_at, local_date, cancelled_at, total, shipping FROM orders ORDER BY 1") == [
        ("5001", datetime(2024, 11, 29, 8, 15), date(2024, 11, 29), datetime(2024, 11, 30, 9, 0),
         Decimal("53.22"), Decimal("4.90")),
        ("5003", datetime(2024, 11, 30, 9, 0), date(2024, 11, 30), datetime(2024, 12, 1, 7, 0),
         Decimal("7.50"), Decimal("2.50")),
    ]  # fmt: skip
    [bad] = quarantine(cli, workspace)
    assert (bad["line"], bad["field"], bad["record_ref"]) == (2, "currency", "5002")
    assert bad["reason"] == "not a currency code: 'EURO'"
    assert json.loads(bad["raw"])["order_id"] == 5002


# Bad rows and re-imports -----------------------------------------------------------------------


def test_bad_rows_are_quarantined_with_their_line_and_orders_whole(load, query, cli, workspace):
    result = load(DATA / "erp_orders_bad.csv", "orders", EXAMPLES / "erp-orders-fr.toml")

    assert (result["rows_read"], result["rows_loaded"], result["rows_quarantined"]) == (5, 1, 4)
    assert result["quarantined_orders"] == ["CMD-2002", "CMD-2003", "CMD-2004"]
    assert query("SELECT source_id FROM orders") == [("CMD-2001",)]
    assert query("SELECT order_id FROM order_lines") == [("CMD-2001",)]
    rows = {r["line"]: r for r in quarantine(cli, workspace)}
    # Two title lines and the header come first: the first record is on line 4.
    assert rows[6]["field"] == "Qté" and rows[6]["reason"] == "not a whole number: 'un'"
    assert rows[6]["raw"] == "CMD-2002;;;;;;MUG-01;Mug céramique;un;12,50;;;"
    assert rows[5]["field"] is None
    assert (
        rows[5]["reason"]
        == "order CMD-2002 is quarantined whole: line 6: Qté: not a whole number: 'un'"
    )
    assert (rows[7]["field"], rows[7]["reason"]) == (
        "Date commande",
        "not a timestamp: '32/12/2024 10:00'",
    )
    assert rows[8]["record_ref"] == "CMD-2004" and "TOO MANY COLUMNS" in rows[8]["reason"]
    assert rows[8]["raw"].endswith(";17,40;oops")


def test_a_comma_amount_without_decimal_comma_is_quarantined_not_misread(
    load, query, cli, workspace, tmp_path
):
    mapping = write(tmp_path, "m.toml", 'source = "erp"\n[columns]\nsku = "SKU"\nprice = "Price"\n')
    file = write(tmp_path, "p.csv", 'SKU,Price\nA,"12,5"\nB,"1,250"\nC,"1 250.5"\n')
    result = load(file, "products", mapping)

    assert result["rows_quarantined"] == 1
    assert query("SELECT sku, price FROM products ORDER BY 1") == [
        ("B", Decimal("1250.00")),
        ("C", Decimal("1250.50")),
    ]
    [bad] = quarantine(cli, workspace)
    assert (bad["line"], bad["field"], bad["reason"]) == (2, "Price", "not an amount: '12,5'")


def test_utf8_with_a_bom_and_a_row_that_is_not_utf8(load, query, cli, workspace, tmp_path):
    mapping = write(tmp_path, "m.toml", 'source = "erp"\n[columns]\nsku = "SKU"\ntitle = "Title"\n')
    file = tmp_path / "p.csv"
    file.write_bytes(b"\xef\xbb\xbfSKU,Title\nA,Caf\xc3\xa9\nB,Caf\xe9\nC,Th\xc3\xa9\n")
    result = load(file, "products", mapping)

    assert result["rows_quarantined"] == 1
    assert query("SELECT sku, title FROM products ORDER BY 1") == [("A", "Café"), ("C", "Thé")]
    [bad] = quarantine(cli, workspace)
    assert bad["line"] == 3 and "UTF-8" in bad["reason"]


def test_statuses_outside_the_vocabulary_are_quarantined(load, cli, workspace, tmp_path):
    mapping = write(
        tmp_path,
        "m.toml",
        'source = "hd"\n[columns]\nsource_id = "Id"\nopened_at = "Opened"\nstatus = "Status"\nsatisfaction = "CSAT"\n',
    )
    file = write(
        tmp_path,
        "t.csv",
        "Id,Opened,Status,CSAT\n1,2024-11-29 10:00,Solved,4\n2,2024-11-29 11:00,closed,9\n3,2024-11-29 12:00,open,\n",
    )
    result = load(file, "tickets", mapping)

    assert result["rows_quarantined"] == 2
    reasons = {r["line"]: r["reason"] for r in quarantine(cli, workspace)}
    assert (
        reasons[2]
        == "unknown status 'Solved' (expected open, pending, resolved, closed; translate it under values.status in the mapping)"
    )
    assert reasons[3] == "not a rating from 1 to 5: '9'"


def test_reimport_is_idempotent(load, query, cli, workspace):
    load(DATA / "erp_orders_fr.csv", "orders", EXAMPLES / "erp-orders-fr.toml")
    load(DATA / "erp_orders_bad.csv", "orders", EXAMPLES / "erp-orders-fr.toml")
    before = query("SELECT * EXCLUDE (import_id) FROM orders ORDER BY source_id")
    lines_before = query("SELECT * EXCLUDE (import_id) FROM order_lines ORDER BY order_id, line_no")

    again = load(DATA / "erp_orders_fr.csv", "orders", EXAMPLES / "erp-orders-fr.toml")
    bad_again = load(DATA / "erp_orders_bad.csv", "orders", EXAMPLES / "erp-orders-fr.toml")

    assert again["records"]["orders"] == {"new": 0, "changed": 0, "unchanged": 3}
    assert bad_again["records"]["orders"] == {"new": 0, "changed": 0, "unchanged": 1}
    assert query("SELECT * EXCLUDE (import_id) FROM orders ORDER BY source_id") == before
    assert (
        query("SELECT * EXCLUDE (import_id) FROM order_lines ORDER BY order_id, line_no")
        == lines_before
    )
    # The bad file's quarantine is replaced, not doubled.
    assert len(quarantine(cli, workspace)) == 4


def test_a_changed_order_replaces_its_lines(load, query, tmp_path):
    mapping = EXAMPLES / "erp-orders-fr.toml"
    load(DATA / "erp_orders_fr.csv", "orders", mapping)
    text = (DATA / "erp_orders_fr.csv").read_text(encoding="utf-8")
    changed = write(
        tmp_path, "again.csv", "\n".join(text.splitlines()[:4]) + "\n"
    )  # CMD-1001 lost its mug

    result = load(changed, "orders", mapping)

    assert result["records"]["orders"] == {"new": 0, "changed": 1, "unchanged": 0}
    assert query("SELECT sku FROM order_lines WHERE order_id = 'CMD-1001'") == [("TSH-BLK-M",)]


# Mapping errors: one line naming the mapping file, its line and the field, exit status 2 ---------


def run_import(cli, workspace, file: Path, kind: str, mapping: Path, *extra: str):  # type: ignore[no-untyped-def]
    return cli(
        "import",
        "csv",
        file,
        "--kind",
        kind,
        "--mapping",
        mapping,
        *extra,
        "-w",
        workspace.workspace,
    )


def test_a_mapped_column_missing_from_the_file(cli, workspace, tmp_path):
    text = (
        (EXAMPLES / "erp-orders-fr.toml")
        .read_text(encoding="utf-8")
        .replace('"Total TTC"', '"Total"')
    )
    mapping = write(tmp_path, "orders.toml", text)
    line = text.splitlines().index('total = "Total"') + 1

    result = run_import(cli, workspace, DATA / "erp_orders_fr.csv", "orders", mapping)

    assert result.code == 2
    assert (
        f"{mapping}:{line}: field 'columns.total': column 'Total' is not in erp_orders_fr.csv"
        in result.err
    )
    assert "Traceback" not in result.err
    assert cli("imports", "--json", "-w", workspace.workspace).json()["imports"] == []


def test_an_unknown_canonical_field(cli, workspace, tmp_path):
    mapping = write(
        tmp_path,
        "t.toml",
        'source = "hd"\n[columns]\nsource_id = "Id"\nopened_at = "Opened"\nprority = "Priority"\n',
    )

    result = run_import(cli, workspace, DATA / "helpdesk_tickets.csv", "tickets", mapping)

    assert result.code == 2
    assert (
        f"{mapping}:5: field 'columns.prority': unknown field 'prority' for tickets" in result.err
    )
    assert (
        "valid fields: source_id, opened_at, first_response_at, resolved_at, status" in result.err
    )


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ('source = "x"\n[csv]\nencoding = "windows-1252"\n[columns]\nsku = "SKU"\n', 3, "csv.encoding",
         "only UTF-8 files can be imported, not windows-1252: convert the file first, e.g. iconv"),
        ('source = "x"\n[columns]\ntitle = "Name"\n', 2, "columns.sku",
         "products need the field 'sku': map it to a column under columns, or give it a constant value under defaults"),
        ('[columns]\nsku = "SKU"\n', None, "source", 'name the source of these records: source = "erp"'),
        ('source = "x"\n[columns]\nsku = "SKU"\nprice = "Price"\n[formats]\nprice = "%d"\n', 6, "formats.price",
         "formats apply to timestamps and dates; price is an amount"),
        ('source = "x"\n[columns]\nsku = "SKU"\n[defaults]\nprice = "cheap"\n', 5, "defaults.price",
         "'cheap' is not an amount"),
        ('source = "x"\n[columns]\nsku = "SKU"\n[defaults]\nprice = 12.5\n', 5, "defaults.price", "Input should be"),
        ('source = "x"\ncolumns = 3\n', 2, "columns", "Input should be a valid dictionary"),
        ('source = "x"\n[columns]\nsku = "SKU"\n[defaults]\nwhat = "1"\n', 5, "defaults.what",
         "unknown field 'what' for products; valid fields: source_id, sku, handle, title"),
        ('source = "x"\n[columns]\nsku = "SKU"\n[colums]\nprice = "Price"\n', 4, "colums", "Extra inputs are not permitted"),
        ('source = "x"\n[columns]\nsku = "SKU"\n[values.state]\n"A" = "active"\n', 4, "values.state",
         "unknown field 'state' for products"),
        ('source = "x"\n[columns]\nsku = "SKU"\nprice = "Price"\n[values.price]\n"A" = "1"\n', 5, "values.price",
         "values translates text fields only; price is an amount"),
    ],
)  # fmt: skip
def test_mapping_errors(cli, workspace, tmp_path, text, line, field, message):
    mapping = write(tmp_path, "m.toml", text)
    file = write(tmp_path, "p.csv", "SKU,Name,Price\nA,Mug,1.00\n")

    result = run_import(cli, workspace, file, "products", mapping)

    assert result.code == 2
    where = f"{mapping}:{line}" if line else f"{mapping}"
    assert f"{where}: field '{field}': {message}" in result.err


def test_line_defaults_without_line_columns(cli, workspace, tmp_path):
    mapping = write(
        tmp_path,
        "o.toml",
        'source = "crm"\n[columns]\nsource_id = "Order"\ncreated_at = "Placed"\n[defaults]\nquantity = "1"\n',
    )
    file = write(tmp_path, "o.csv", "Order,Placed\nA-1,2024-07-01 12:00\n")

    result = run_import(cli, workspace, file, "orders", mapping)

    assert result.code == 2
    assert (
        f"{mapping}:6: field 'defaults.quantity': quantity is a field of order lines" in result.err
    )


def test_a_mapped_product_id_is_required(load, query, cli, workspace, tmp_path):
    mapping = write(
        tmp_path, "p.toml", 'source = "pim"\n[columns]\nsource_id = "Id"\nsku = "SKU"\n'
    )
    file = write(tmp_path, "p.csv", "Id,SKU\n7,A\n,B\n")
    result = load(file, "products", mapping)

    assert result["rows_quarantined"] == 1
    assert query("SELECT source_id, sku FROM products") == [("7", "A")]
    [bad] = quarantine(cli, workspace)
    assert (bad["line"], bad["field"], bad["reason"]) == (3, "Id", "empty, but required")


def test_a_bad_timestamp_format_names_its_line(cli, workspace, tmp_path):
    mapping = write(
        tmp_path,
        "t.toml",
        'source = "hd"\n[columns]\nsource_id = "Id"\nopened_at = "Created at"\n[formats]\nopened_at = "%d/%m/%Y %Q"\n',
    )

    result = run_import(cli, workspace, DATA / "helpdesk_tickets.csv", "tickets", mapping)

    assert result.code == 2
    assert f"{mapping}:6: field 'formats.opened_at': bad format '%d/%m/%Y %Q'" in result.err


def test_order_lines_alone_are_refused_with_the_way_to_load_them(cli, workspace):
    result = run_import(
        cli, workspace, DATA / "erp_orders_fr.csv", "order-lines", EXAMPLES / "erp-orders-fr.toml"
    )

    assert result.code == 2
    assert "--kind order-lines cannot be loaded on its own" in result.err
    assert "--kind orders, with the line columns (sku, quantity, price)" in result.err


def test_a_parquet_column_of_the_wrong_type(cli, workspace, tmp_path):
    file = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["1"], "opened": pa.array([True], pa.bool_())}), file)
    mapping = write(
        tmp_path, "t.toml", 'source = "hd"\n[columns]\nsource_id = "id"\nopened_at = "opened"\n'
    )

    result = cli(
        "import",
        "parquet",
        file,
        "--kind",
        "tickets",
        "--mapping",
        mapping,
        "-w",
        workspace.workspace,
    )

    assert result.code == 2
    assert (
        f"{mapping}:4: field 'columns.opened_at': column 'opened' holds BOOLEAN values"
        in result.err
    )


def test_a_file_that_is_not_parquet(cli, workspace, tmp_path):
    mapping = write(
        tmp_path, "t.toml", 'source = "hd"\n[columns]\nsource_id = "Id"\nopened_at = "Created at"\n'
    )

    result = cli(
        "import",
        "parquet",
        DATA / "helpdesk_tickets.csv",
        "--kind",
        "tickets",
        "--mapping",
        mapping,
        "-w",
        workspace.workspace,
    )

    assert result.code == 2
    assert "helpdesk_tickets.csv: not a readable Parquet file" in result.err


def test_a_refund_loaded_from_its_own_file_survives_a_change_of_its_order(load, query, tmp_path):
    orders = EXAMPLES / "erp-orders-fr.toml"
    load(DATA / "erp_orders_fr.csv", "orders", orders)
    load(DATA / "erp_refunds_fr.csv", "refunds", EXAMPLES / "erp-refunds-fr.toml")
    text = (DATA / "erp_orders_fr.csv").read_text(encoding="utf-8")
    load(write(tmp_path, "again.csv", "\n".join(text.splitlines()[:4]) + "\n"), "orders", orders)

    assert query("SELECT source_id FROM refunds ORDER BY 1") == [("AV-501",), ("AV-502",)]
