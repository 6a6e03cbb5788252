"""Shopify orders CSV export: the real dialect, its awkward cases, and nothing lost."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from storeops.core.settings import load_settings
from tests.conftest import FIXTURES
from tests.connectors.shopify_files import HEADER_79, order_rows, write_export
from tests.warehouse_helpers import query, snapshot

SAMPLES = FIXTURES / "shopify_orders"


def import_json(cli, settings, *files: Path) -> list[dict]:
    result = cli("import", "shopify-orders", *files, "-w", settings.workspace, "--json")
    assert result.code == 0, result.err
    return result.json()["files"]


def test_79_column_export_loads_faithfully(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_export_79.csv")
    assert report["rows_read"] == 7
    assert report["rows_loaded"] == 7 and report["rows_quarantined"] == 0
    assert report["orders_loaded"] == 4 and report["orders_new"] == 4
    assert report["quarantined_orders"] == []

    orders = {
        row[0]: row[1:]
        for row in query(
            workspace,
            "SELECT name, source_id, financial_status, is_sale, discount_codes, subtotal, discounts, "
            "shipping, taxes, total, refunded, channel, created_at FROM orders",
        )
    }
    assert orders["#AP-516044"] == (
        "5096919138484",
        "partially_refunded",
        True,
        "save15",
        Decimal("119.55"),
        Decimal("38.45"),
        Decimal("0.00"),
        Decimal("8.37"),
        Decimal("127.92"),
        Decimal("51.16"),
        "web",
        datetime(2023, 6, 1, 1, 44, 25),  # 18:44:25 -0700 in UTC
    )
    assert orders["#AP-515600"][3] is None  # an automatic discount: "" code, 33.80 off
    assert orders["#AP-515600"][5] == Decimal("33.80")
    assert orders["#AP-515600"][10] == "5776891"  # an app's numeric source id
    assert orders["#1042"][1:3] == ("voided", False)

    # Order-level fields live on the first row only; every line belongs to its order.
    lines = query(
        workspace,
        "SELECT order_id, line_no, sku, quantity, price, discount FROM order_lines ORDER BY order_id, line_no",
    )
    assert ("5096919138484", 2, "40BT-BEIG-000M", 1, Decimal("59.00"), Decimal("23.60")) in lines
    assert len(lines) == 7
    # gross sales - discounts = subtotal, as Shopify defines them
    gross = query(
        workspace,
        "SELECT o.name, sum(l.price * l.quantity) - any_value(o.discounts) - any_value(o.subtotal) "
        "FROM orders o JOIN order_lines l ON l.order_id = o.source_id GROUP BY o.name",
    )
    assert all(diff == 0 for _, diff in gross)


def test_quoted_fields_line_breaks_and_utf8(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_export_79.csv")
    names = {row[0] for row in query(workspace, "SELECT product_name FROM order_lines")}
    assert 'Chaussette "Zoé", rayée' in names
    assert 'PawProof™ Throw Blanket - Beige / Large (48"L x 76"W)' in names
    customers = dict(query(workspace, "SELECT source_id, name FROM customers"))
    assert customers["zoe@example.com"] == "Zoé Ødegård"


def test_refunds_are_dated_by_cancellation_or_order_day(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_export_79.csv")
    refunds = dict(
        (order_id, (local_date, amount, reason))
        for order_id, local_date, amount, reason in query(
            workspace, "SELECT order_id, local_date, amount, reason FROM refunds"
        )
    )
    assert refunds["5165024968954"] == (date(2023, 4, 11), Decimal("79.99"), "cancelled")
    assert refunds["5096919138484"] == (date(2023, 6, 1), Decimal("51.16"), None)
    assert len(refunds) == 2


def test_local_day_follows_the_store_time_zone(cli, workspace, tmp_path) -> None:
    import_json(cli, workspace, SAMPLES / "orders_export_79.csv")
    # 2023-06-01 23:59:59 -0700 is already 2 June in Paris
    assert query(workspace, "SELECT local_date FROM orders WHERE name = '#1042'") == [
        (date(2023, 6, 2),)
    ]

    west = tmp_path / "west"
    assert cli("init", west, "--timezone", "America/Los_Angeles").code == 0
    settings = load_settings(west)
    import_json(cli, settings, SAMPLES / "orders_export_79.csv")
    assert query(settings, "SELECT local_date FROM orders WHERE name = '#1042'") == [
        (date(2023, 6, 1),)
    ]


def test_75_column_variant(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_export_75.csv")
    assert report["rows_read"] == 3 and report["orders_loaded"] == 1
    assert query(workspace, "SELECT currency, financial_status, total, created_at FROM orders") == [
        ("ZAR", "pending", Decimal("3227.00"), datetime(2021, 5, 13, 13, 15, 21))
    ]
    assert query(workspace, "SELECT count(*), sum(price * quantity) FROM order_lines") == [
        (3, Decimal("3227.00"))
    ]


def test_reimport_changes_nothing(cli, workspace) -> None:
    bad = write_export(
        workspace.workspace / "with-bad.csv",
        order_rows("#1", [("A", 1, "10.00")]) + order_rows("#2", [("B", 1, "oops")]),
    )
    first = import_json(cli, workspace, SAMPLES / "orders_export_79.csv", bad)
    before = snapshot(workspace)
    second = import_json(cli, workspace, SAMPLES / "orders_export_79.csv", bad)
    assert snapshot(workspace) == before
    assert [r["orders_unchanged"] for r in second] == [r["orders_loaded"] for r in first]
    assert [r["orders_new"] + r["orders_changed"] for r in second] == [0, 0]
    # the quarantine keeps one copy of the bad file's rows, not one per import
    assert query(workspace, "SELECT count(*) FROM quarantine") == [(1,)]
    assert query(workspace, "SELECT count(*) FROM imports") == [(4,)]


def test_overlapping_later_export_replaces_orders(cli, workspace, tmp_path) -> None:
    early = write_export(
        tmp_path / "early.csv",
        order_rows("#1", [("A", 1, "10.00"), ("B", 2, "5.00")])
        + order_rows("#2", [("C", 1, "7.00")]),
    )
    later = write_export(
        tmp_path / "later.csv",
        order_rows("#1", [("A", 1, "10.00")], status="partially_refunded", refunded="5.00")
        + order_rows("#2", [("C", 1, "7.00")])
        + order_rows("#3", [("D", 3, "1.50")]),
    )
    import_json(cli, workspace, early)
    [report] = import_json(cli, workspace, later)
    assert (report["orders_new"], report["orders_changed"], report["orders_unchanged"]) == (1, 1, 1)
    assert query(workspace, "SELECT order_id, sku FROM order_lines ORDER BY order_id, line_no") == [
        ("1", "A"),
        ("2", "C"),
        ("3", "D"),
    ]
    assert query(workspace, "SELECT order_id, amount FROM refunds") == [("1", Decimal("5.00"))]
    assert query(workspace, "SELECT financial_status FROM orders WHERE name = '#1'") == [
        ("partially_refunded",)
    ]


def test_malformed_rows_quarantine_their_whole_order(cli, workspace, tmp_path) -> None:
    rows = (
        order_rows("#1", [("A", 1, "10.00")])
        + order_rows("#2", [("B", 1, "9.99"), ("C", 1, "12,50")])  # decimal comma on line 2
        + order_rows("#3", [("D", 1, "3.00")], status="shipped")  # not a financial status
        + order_rows("#4", [("E", 1, "3.00")], created="yesterday")
        + order_rows("#5", [("F", -2, "3.00")])
        + [{"Name": "", "Lineitem quantity": "1", "Lineitem price": "1.00", "Lineitem name": "x"}]
        + order_rows("#6", [("G", 1, "1.00")])
    )
    file = write_export(tmp_path / "bad.csv", rows)
    [report] = import_json(cli, workspace, file)
    assert report["rows_read"] == 8
    assert report["rows_read"] == report["rows_loaded"] + report["rows_quarantined"]
    assert report["rows_quarantined"] == 6
    assert report["quarantined_orders"] == ["#2", "#3", "#4", "#5"]
    assert report["orders_loaded"] == 2 and report["orders_quarantined"] == 4
    assert sorted(n for (n,) in query(workspace, "SELECT name FROM orders")) == ["#1", "#6"]

    result = cli("quarantine", "-w", workspace.workspace, "--json")
    quarantined = {(r["line"], r["field"]): r for r in result.json()["rows"]}
    assert result.json()["total"] == 6
    assert quarantined[(4, "Lineitem price")]["reason"] == "not an amount: '12,50'"
    assert quarantined[(4, "Lineitem price")]["record_ref"] == "#2"
    sibling = quarantined[(3, None)]
    assert (
        sibling["reason"]
        == "order #2 is quarantined whole: line 4: Lineitem price: not an amount: '12,50'"
    )
    assert sibling["raw"].startswith("#2,ana@example.com,paid,")
    assert "unknown financial status 'shipped'" in quarantined[(5, "Financial Status")]["reason"]
    assert "not a timestamp" in quarantined[(6, "Created at")]["reason"]
    assert "not a quantity: '-2'" in quarantined[(7, "Lineitem quantity")]["reason"]
    assert "belongs to no order" in quarantined[(8, "Name")]["reason"]


def test_amounts_too_large_for_the_warehouse_are_quarantined(cli, workspace, tmp_path) -> None:
    rows = order_rows("#1", [("A", 1, "10.00")]) + order_rows(
        "#2", [("B", 1, "1.00"), ("C", 1, "1.00")], Subtotal="99999999999999999999"
    )
    rows[2]["Lineitem price"] = "12345678901234567890.00"  # beyond DECIMAL(18,2)
    [report] = import_json(cli, workspace, write_export(tmp_path / "huge.csv", rows))
    assert report["quarantined_orders"] == ["#2"] and report["orders_loaded"] == 1
    reasons = {
        (r["line"], r["field"]): r["reason"]
        for r in cli("quarantine", "-w", workspace.workspace, "--json").json()["rows"]
    }
    assert reasons[(3, "Subtotal")] == "not an amount: '99999999999999999999'"
    assert reasons[(4, "Lineitem price")] == "not an amount: '12345678901234567890.00'"


def test_unsplittable_and_undecodable_rows_are_quarantined_with_their_order(
    cli, workspace, tmp_path
) -> None:
    file = write_export(
        tmp_path / "broken.csv",
        order_rows("#1", [("A", 1, "10.00"), ("B", 1, "2.00")])
        + order_rows("#2", [("C", 1, "1.00")]),
    )
    lines = file.read_bytes().split(b"\n")
    lines[2] = lines[2] + b",one,field,too,many"  # second row of #1
    lines[3] = lines[3].replace(b"Product C", b"Produit \xe9t\xe9")  # latin-1 bytes in #2
    file.write_bytes(b"\n".join(lines))
    [report] = import_json(cli, workspace, file)
    assert report["rows_read"] == 3 and report["rows_quarantined"] == 3
    assert report["quarantined_orders"] == ["#1", "#2"]
    rows = cli("quarantine", "-w", workspace.workspace, "--json").json()["rows"]
    by_line = {r["line"]: r for r in rows}
    assert "TOO MANY COLUMNS" in by_line[3]["reason"]
    assert "not UTF-8" in by_line[4]["reason"]
    assert by_line[2]["reason"].startswith("order #1 is quarantined whole: line 3:")


def test_bad_utf8_in_a_late_column_is_quarantined_too(cli, workspace, tmp_path) -> None:
    # Vendor is the 51st of 79 columns, past the number the importer reads (DuckDB once failed
    # with an internal error there).
    rows = order_rows("#1", [("A", 1, "10.00")], Vendor="Maison X") + order_rows(
        "#2", [("B", 1, "2.00")], Vendor="Caf"
    )
    file = write_export(tmp_path / "latin1.csv", rows)
    file.write_bytes(file.read_bytes().replace(b",Caf,", b",Caf\xe9,"))
    [report] = import_json(cli, workspace, file)
    assert report["quarantined_orders"] == ["#2"] and report["orders_loaded"] == 1
    [row] = cli("quarantine", "-w", workspace.workspace, "--json").json()["rows"]
    assert row["line"] == 3 and row["field"] == "Vendor" and "not UTF-8" in row["reason"]
    assert query(workspace, "SELECT name FROM orders") == [("#1",)]


def test_duplicated_order_block_is_quarantined(cli, workspace, tmp_path) -> None:
    block = order_rows("#7", [("A", 1, "10.00")])
    file = write_export(
        tmp_path / "twice.csv", block + order_rows("#8", [("B", 1, "1.00")]) + block
    )
    [report] = import_json(cli, workspace, file)
    assert report["quarantined_orders"] == ["#7"]
    assert report["orders_loaded"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            ",".join(c for c in HEADER_79 if c != "Lineitem price") + "\n",
            "missing required column 'Lineitem price'",
        ),
        ('[{"id": 1, "line_items": []}]\n', "missing required column 'Name'"),
        ("", "the file is empty"),
    ],
)
def test_bad_files_stop_with_one_line_and_load_nothing(
    cli, workspace, tmp_path, content, message
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(content)
    result = cli("import", "shopify-orders", file, "-w", workspace.workspace)
    assert result.code == 2
    assert message in result.err and str(file) in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert query(workspace, "SELECT count(*) FROM imports") == [(0,)]


def test_utf16_export_is_refused(cli, workspace, tmp_path) -> None:
    file = tmp_path / "excel.csv"
    text = (SAMPLES / "orders_export_75.csv").read_text()
    file.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    result = cli("import", "shopify-orders", file, "-w", workspace.workspace)
    assert result.code == 2
    assert "UTF-16" in result.err and f"{file}:1" in result.err


def test_missing_file_loads_nothing_from_the_other_files(cli, workspace, tmp_path) -> None:
    result = cli(
        "import",
        "shopify-orders",
        SAMPLES / "orders_export_79.csv",
        tmp_path / "nope.csv",
        "-w",
        workspace.workspace,
    )
    assert result.code == 2 and "no such file" in result.err
    assert query(workspace, "SELECT count(*) FROM orders") == [(0,)]


def test_utf8_bom_and_crlf_exports(cli, workspace, tmp_path) -> None:
    text = (SAMPLES / "orders_export_79.csv").read_text()
    file = tmp_path / "bom.csv"
    file.write_bytes(codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode())
    [report] = import_json(cli, workspace, file)
    assert report["orders_loaded"] == 4 and report["rows_quarantined"] == 0


def test_reject_after_a_multiline_note_names_its_physical_line(cli, workspace, tmp_path) -> None:
    rows = order_rows(
        "#1", [("A", 1, "10.00")], Notes="first line\nsecond line\nthird"
    ) + order_rows("#2", [("B", 1, "2.00")])
    file = write_export(tmp_path / "notes.csv", rows)
    lines = file.read_bytes().split(b"\n")
    lines[4] += b",too,many"  # #2 starts on physical line 5: the note spans lines 2-4
    file.write_bytes(b"\n".join(lines))
    [report] = import_json(cli, workspace, file)
    assert report["quarantined_orders"] == ["#2"]
    [row] = cli("quarantine", "-w", workspace.workspace, "--json").json()["rows"]
    assert row["line"] == 5 and row["raw"].startswith("#2,")
