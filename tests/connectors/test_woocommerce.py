"""WooCommerce REST API orders JSON (GET /wp-json/wc/v3/orders): one page, pages as JSON lines,
the awkward cases of the real format, and nothing lost."""

from __future__ import annotations

import codecs
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.warehouse_helpers import query, snapshot

SAMPLES = FIXTURES / "woocommerce"


def import_json(cli, settings, *files: Path) -> list[dict]:
    result = cli("import", "woocommerce-orders", *files, "--json", "-w", settings.workspace)
    assert result.code == 0, result.err
    return result.json()["files"]


def orders_by_id(settings, columns: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in query(settings, f"SELECT source_id, {columns} FROM orders")}


def test_one_page_loads_faithfully(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_page.json")
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (6, 6, 0)
    assert report["orders_new"] == 6 and report["source"] == "woocommerce"

    orders = orders_by_id(
        workspace,
        "name, created_at, local_date, currency, financial_status, fulfillment_status, channel, "
        "country, subtotal, discounts, shipping, taxes, total, refunded",
    )
    assert orders["1201"] == (
        "#1201",
        datetime(2024, 11, 29, 23, 30),  # date_created_gmt is UTC
        date(2024, 11, 30),  # 00:30 in Paris
        "EUR",
        "completed",
        "fulfilled",
        "checkout",
        "FR",  # shipping country first, as Shopify's
        Decimal("37.80"),  # line totals after discounts
        Decimal("4.20"),
        Decimal("5.90"),
        Decimal("8.74"),
        Decimal("52.44"),
        Decimal("0.00"),
    )
    assert orders["1203"][5:8] == ("unfulfilled", "admin", "PT")  # no shipping country: billing's

    lines = query(
        workspace,
        "SELECT order_id, line_no, sku, product_name, quantity, price, discount FROM order_lines "
        "ORDER BY order_id, line_no",
    )
    assert len(lines) == 8
    assert (
        "1201",
        1,
        "CHAUS-ZOE",
        "Chaussette « Zoé », rayée",
        2,
        Decimal("15.00"),
        Decimal("3.00"),
    ) in lines
    # WordPress's HTML entities in item names are decoded
    assert (
        "1201",
        2,
        "Bar3",
        "Ship Your Idea – Color: Black, Size: M",
        1,
        Decimal("12.00"),
        Decimal("1.20"),
    ) in lines
    assert ("1203", 2, None, "Plaid en laine – gris", 1, Decimal("52.00"), Decimal("4.90")) in lines
    # price x quantity - line discounts = the order's subtotal, and its discounts add up
    sums = query(
        workspace,
        "SELECT o.source_id, sum(l.price * l.quantity) - sum(l.discount) = any_value(o.subtotal), "
        "sum(l.discount) = any_value(o.discounts) FROM orders o JOIN order_lines l "
        "ON l.order_id = o.source_id GROUP BY o.source_id",
    )
    assert all(subtotal and discounts for _, subtotal, discounts in sums)


def test_utf8_names_survive(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    names = {row[0] for row in query(workspace, "SELECT product_name FROM order_lines")}
    assert {"Mug 🐘 émaillé", "Théière en fonte 0,8 L", "Savon au lait d'ânesse"} <= names
    customers = {row[0] for row in query(workspace, "SELECT name FROM customers")}
    assert {"João Silva", "Zoë Ødegård"} <= customers


def test_coupon_codes_are_listed_as_applied(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    codes = orders_by_id(workspace, "discount_codes, discounts")
    assert codes["1201"] == ("blackfriday10", Decimal("4.20"))
    assert codes["1203"] == ("WELCOME, freeship", Decimal("7.90"))
    assert codes["1202"] == (None, Decimal("0.00"))


def test_refunds_negative_in_the_api_are_stored_positive(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    refunds = query(
        workspace,
        "SELECT source_id, order_id, refunded_at, local_date, amount, reason FROM refunds ORDER BY source_id",
    )
    # No refund date in the list endpoint: the fully refunded order's last change dates them
    # (2024-12-03 22:15 UTC, 23:15 in Paris).
    assert refunds == [
        ("1202/1210", "1202", None, date(2024, 12, 3), Decimal("30.00"), "Colis endommagé"),
        ("1202/1215", "1202", None, date(2024, 12, 3), Decimal("29.88"), None),
    ]
    assert orders_by_id(workspace, "refunded, total")["1202"] == (
        Decimal("59.88"),
        Decimal("59.88"),
    )


def test_guests_and_registered_customers(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    owner = orders_by_id(workspace, "customer_id")
    assert owner["1201"] == owner["1203"] == ("26",)  # a registered customer: the user id
    # a guest (customer_id 0) is known by e-mail, whatever its case or spaces
    assert owner["1202"] == owner["1206"] == ("marie.curie@example.fr",)
    customers = {
        row[0]: row[1:]
        for row in query(
            workspace, "SELECT source_id, email, name, country, accepts_marketing FROM customers"
        )
    }
    assert set(customers) == {"26", "31", "marie.curie@example.fr", "zoe@example.no"}
    # details from the customer's latest order (1203 billed in Portugal)
    assert customers["26"] == ("joao.silva@example.com", "João Silva", "PT", None)
    assert customers["marie.curie@example.fr"][0] == "marie.curie@example.fr"


def test_statuses_decide_what_is_a_sale(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_statuses.jsonl")
    assert report["orders_loaded"] == 9
    sales = {
        row[0]: row[1] for row in query(workspace, "SELECT financial_status, is_sale FROM orders")
    }
    assert sales == {
        "pending": False,
        "processing": True,
        "on-hold": True,
        "completed": True,
        "cancelled": False,
        "refunded": True,
        "failed": False,
        "trash": False,
        "checkout-draft": False,
    }
    cancelled = query(
        workspace, "SELECT cancelled_at FROM orders WHERE financial_status = 'cancelled'"
    )
    assert cancelled == [(datetime(2024, 12, 5, 9, 0),)]
    # a guest who left no e-mail belongs to no customer
    assert query(workspace, "SELECT customer_id FROM orders WHERE source_id = '7007'") == [(None,)]


def test_money_with_many_decimals(cli, workspace) -> None:
    # exported with ?dp=6: amounts are rounded to cents, half away from zero
    import_json(cli, workspace, SAMPLES / "orders_dp6.json")
    assert orders_by_id(workspace, "subtotal, discounts, shipping, taxes, total")["6001"] == (
        Decimal("7.67"),
        Decimal("3.33"),
        Decimal("5.00"),
        Decimal("1.53"),
        Decimal("14.19"),
    )
    lines = query(
        workspace, "SELECT line_no, quantity, price, discount FROM order_lines ORDER BY line_no"
    )
    # 10.000000 for 3 crayons: 3.33 each; 10.00 - 6.67 off
    assert lines == [
        (1, 3, Decimal("3.33"), Decimal("3.33")),
        (2, 1, Decimal("1.00"), Decimal("0.00")),
    ]


def test_pages_as_json_lines_later_copy_wins(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_pages.jsonl")
    # 2003 is on both pages; 2005 has a bad discount_total
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (6, 5, 1)
    assert report["orders_loaded"] == 4 and report["quarantined_orders"] == ["2005"]
    orders = orders_by_id(workspace, "financial_status")
    assert orders == {
        "2001": ("processing",),
        "2002": ("processing",),
        "2003": ("completed",),
        "2004": ("completed",),
    }
    assert query(workspace, "SELECT count(*) FROM order_lines WHERE order_id = '2003'") == [(2,)]
    [row] = query(workspace, "SELECT line, field, reason, record_ref FROM quarantine")
    assert row == (
        2,
        "discount_total",
        "not an amount: 'abc' (line 2, order 3 of its page)",
        "2005",
    )


def test_malformed_orders_are_quarantined_whole_with_their_line(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_malformed.jsonl")
    assert report["rows_read"] == report["rows_loaded"] + report["rows_quarantined"]
    assert (report["rows_read"], report["rows_quarantined"]) == (9, 7)
    # 3005 has no id: it is quarantined, but names no order
    assert report["quarantined_orders"] == ["3002", "3004", "3006", "3007", "3008", "3009"]
    assert sorted(orders_by_id(workspace, "name")) == ["3001", "3003"]
    assert query(workspace, "SELECT DISTINCT order_id FROM order_lines ORDER BY 1") == [
        ("3001",),
        ("3003",),
    ]

    rows = query(
        workspace, "SELECT line, field, reason, record_ref, raw FROM quarantine ORDER BY line"
    )
    found = {line: (field, reason, ref) for line, field, reason, ref, _ in rows}
    # line 3 of the file is blank: lines are the file's
    assert found[2] == ("total", "not an amount: '12,50' (line 2)", "3002")
    assert found[5] == ("line_items[2].quantity", "not a whole number: '2.5' (line 5)", "3004")
    assert found[6] == ("id", "missing (line 6)", None)
    assert found[7][:2] == (
        "line_items[1].name",
        "missing: a line item needs a product name (line 7)",
    )
    assert found[8][0] == "date_created_gmt" and "'05/12/2024 10:00'" in found[8][1]
    assert found[9][0] == "date_created_gmt" and "only date_created is given" in found[9][1]
    assert found[10] == ("refunds[1].total", "not an amount: '-20.OO' (line 10)", "3009")
    # raw is the order's JSON text, as in the file
    source_lines = (SAMPLES / "orders_malformed.jsonl").read_text(encoding="utf-8").splitlines()
    for line, *_, raw in rows:
        assert raw == source_lines[line - 1] and "line_items" in json.loads(raw)


def test_array_file_quarantine_names_the_order_place(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_malformed_page.json")
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (2, 1, 1)
    [(line, field, reason, raw)] = query(
        workspace, "SELECT line, field, reason, raw FROM quarantine"
    )
    assert (line, field) == (2, "line_items[1].subtotal")
    assert reason.startswith("not an amount: '1.2.3' (order 2 of the array;")
    assert json.loads(raw)["id"] == 4002


def test_duplicate_ids_in_one_file(cli, workspace) -> None:
    [report] = import_json(cli, workspace, SAMPLES / "orders_duplicates.jsonl")
    assert report["rows_read"] == report["rows_loaded"] + report["rows_quarantined"] == 5
    # 5001's last copy is malformed: both copies go; 5002's malformed first copy is replaced
    assert report["quarantined_orders"] == ["5001"] and report["rows_quarantined"] == 3
    assert orders_by_id(workspace, "financial_status") == {
        "5002": ("completed",),
        "5003": ("processing",),
    }
    rows = query(workspace, "SELECT line, field, reason, record_ref FROM quarantine ORDER BY line")
    assert rows == [
        (
            1,
            None,
            "order 5001 is quarantined whole: its last copy (line 3) has line_items[1].subtotal: "
            "missing (line 1)",
            "5001",
        ),
        (
            2,
            "shipping_total",
            "not an amount: 'free' (line 2; its last copy (line 4) was loaded)",
            "5002",
        ),
        (3, "line_items[1].subtotal", "missing (line 3)", "5001"),
    ]


def test_reimport_is_idempotent(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    before = snapshot(workspace)
    [report] = import_json(cli, workspace, SAMPLES / "orders_page.json")
    assert report["orders_unchanged"] == 6 and report["orders_new"] == report["orders_changed"] == 0
    assert report["records"]["customers"] == {"new": 0, "changed": 0, "unchanged": 4}
    assert snapshot(workspace) == before


def test_later_export_replaces_the_changed_order(cli, workspace) -> None:
    import_json(cli, workspace, SAMPLES / "orders_page.json")
    [report] = import_json(cli, workspace, SAMPLES / "orders_page_later.json")
    assert (report["orders_new"], report["orders_changed"], report["orders_unchanged"]) == (1, 1, 0)
    assert query(workspace, "SELECT count(*) FROM orders") == [(7,)]
    assert orders_by_id(workspace, "financial_status, total, refunded")["1203"] == (
        "completed",
        Decimal("28.62"),
        Decimal("56.52"),
    )
    # 1203's lines and refunds are replaced, not added to
    assert query(
        workspace, "SELECT line_no, product_name FROM order_lines WHERE order_id = '1203'"
    ) == [(1, "Mug 🐘 émaillé")]
    assert query(workspace, "SELECT source_id, amount FROM refunds WHERE order_id = '1203'") == [
        ("1203/1230", Decimal("56.52"))
    ]
    assert query(workspace, "SELECT count(*) FROM order_lines") == [(8,)]  # 8 - 1 + 1 (1207's)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("orders_export.csv", "not JSON: a WooCommerce orders file starts with '['"),
        ("products_page.json", "field 'line_items': no record has 'line_items'"),
        ("api_error.json", "WooCommerce API error, not orders: Sorry, you cannot list resources."),
        ("truncated.jsonl", "truncated.jsonl:2: not JSON (one page or one order per line)"),
    ],
)
def test_bad_files_stop_with_exit_2_and_load_nothing(cli, workspace, name, message) -> None:
    result = cli(
        "import", "woocommerce-orders", SAMPLES / name, "--json", "-w", workspace.workspace
    )
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 2  # one line, however the console wraps it
    assert query(workspace, "SELECT count(*) FROM orders") == [(0,)]
    assert query(workspace, "SELECT count(*) FROM imports") == [(0,)]


def test_invalid_utf8_is_refused(cli, workspace, tmp_path) -> None:
    text = (SAMPLES / "orders_pages.jsonl").read_bytes().replace(b"Lampe", b"L\xe9mpe", 1)
    file = tmp_path / "latin1.jsonl"
    file.write_bytes(text)
    result = cli("import", "woocommerce-orders", file, "-w", workspace.workspace)
    assert result.code == 2 and "latin1.jsonl:1: not UTF-8 text" in result.err
    assert query(workspace, "SELECT count(*) FROM orders") == [(0,)]


def test_an_empty_page_is_an_empty_import(cli, workspace, tmp_path) -> None:
    file = tmp_path / "page_9.json"
    file.write_text("[]\n")
    [report] = import_json(cli, workspace, file)
    assert (report["rows_read"], report["orders_loaded"]) == (0, 0)


def test_windows_saved_json_lines_bom_and_crlf(cli, workspace, tmp_path) -> None:
    # PowerShell's `Out-File -Encoding utf8` writes a byte order mark and CRLF line ends
    text = (SAMPLES / "orders_malformed.jsonl").read_bytes().replace(b"\n", b"\r\n")
    file = tmp_path / "orders_windows.jsonl"
    file.write_bytes(codecs.BOM_UTF8 + text)
    [report] = import_json(cli, workspace, file)
    assert (report["rows_read"], report["rows_quarantined"]) == (9, 7)
    rows = query(workspace, "SELECT line, record_ref, raw FROM quarantine ORDER BY line")
    assert [(line, ref) for line, ref, _ in rows][:2] == [(2, "3002"), (5, "3004")]
    assert all(raw.endswith("}") for *_, raw in rows)  # no \r kept


def test_quarantined_json_text_is_cut_at_10k_characters(cli, workspace, tmp_path) -> None:
    [order] = json.loads((SAMPLES / "orders_malformed_page.json").read_text(encoding="utf-8"))[1:]
    order["meta_data"] = [{"id": n, "key": f"_note_{n}", "value": "x" * 200} for n in range(100)]
    file = tmp_path / "big_order.json"
    file.write_text(json.dumps([order]), encoding="utf-8")
    [report] = import_json(cli, workspace, file)
    assert report["quarantined_orders"] == ["4002"]
    [(raw,)] = query(workspace, "SELECT raw FROM quarantine")
    assert len(raw) == 10_000 and raw.startswith('{"id": 4002')


def test_an_amount_too_large_for_the_warehouse_is_not_an_amount(cli, workspace, tmp_path) -> None:
    """DECIMAL(18,2) holds 16 digits before the point: more is quarantined, never a crash."""
    first = (SAMPLES / "orders_malformed.jsonl").read_text(encoding="utf-8").splitlines()[0]
    order = json.loads(first)
    order["total"] = "12345678901234567890.00"
    file = tmp_path / "huge.jsonl"
    file.write_text(json.dumps(order) + "\n", encoding="utf-8")
    [report] = import_json(cli, workspace, file)
    assert (report["rows_read"], report["rows_quarantined"]) == (1, 1)
    [(field, reason)] = query(workspace, "SELECT field, reason FROM quarantine")
    assert field == "total" and reason.startswith("not an amount: '12345678901234567890.00'")
