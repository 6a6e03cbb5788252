"""Shopify products CSV: both header dialects, variants inheriting their product, image-only
rows, and bad products quarantined whole."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import FIXTURES
from tests.warehouse_helpers import query, snapshot

SAMPLES = FIXTURES / "shopify_products"
LEGACY = SAMPLES / "products_export_legacy.csv"
NEW = SAMPLES / "product_template_new.csv"
LEGACY_HEADER = next(csv.reader(LEGACY.open(encoding="utf-8", newline="")))


def import_json(cli, settings, *files: Path) -> list[dict]:
    result = cli("import", "shopify-products", *files, "-w", settings.workspace, "--json")
    assert result.code == 0, result.err
    return result.json()["files"]


def today_in(settings) -> date:
    return datetime.now(ZoneInfo(settings.store.timezone)).date()


def product(handle: str, variants: list[dict[str, str]], **fields: str) -> list[dict[str, str]]:
    """A product's rows in the legacy export: product fields on the first row only."""
    first = {
        "Title": handle.replace("-", " ").title(),
        "Vendor": "Atelier Nord",
        "Type": "Shirts",
        "Published": "true",
        "Option1 Name": "Size",
        "Status": "active",
        **fields,
    }
    rows = []
    for index, variant in enumerate(variants):
        row = {
            "Handle": handle,
            "Variant Inventory Tracker": "shopify",
            "Variant Inventory Qty": "5",
            "Variant Price": "20.00",
            **variant,
        }
        rows.append({**first, **row} if index == 0 else row)
    return rows


def write_products(
    path: Path, rows: list[dict[str, str]], header: list[str] = LEGACY_HEADER
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def products(settings) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in query(
            settings,
            "SELECT source_id, sku, handle, title, variant_title, vendor, category, price, "
            "compare_at_price, cost, status FROM products",
        )
    }


def quarantine(settings) -> list[tuple]:
    return query(
        settings, "SELECT line, field, reason, record_ref, raw FROM quarantine ORDER BY line"
    )


def test_legacy_export_variants_inherit_their_product(cli, workspace) -> None:
    [report] = import_json(cli, workspace, LEGACY)
    # 10 records: 7 variants and 3 image-only rows, which are loaded with their product.
    assert report["rows_read"] == 10
    assert report["rows_loaded"] == 10 and report["rows_quarantined"] == 0
    assert report["records"]["products"] == {"new": 7, "changed": 0, "unchanged": 0}

    rows = products(workspace)
    assert set(rows) == {
        "vintage-twill-pants/S",
        "vintage-twill-pants/M",
        "vintage-twill-pants/L",
        "carte-cadeau/Default Title",
        "linen-shirt/S/Blue",
        "linen-shirt/S/Sand",
        "linen-shirt/M/Blue",
    }
    pants_category = "Apparel & Accessories > Clothing > Pants > Trousers"
    # The first row carries the product; the later variant rows inherit title, vendor, status.
    assert rows["vintage-twill-pants/L"] == (
        "VTP-L",
        "vintage-twill-pants",
        "Vintage Twill Pants",
        "L",
        "Earth Révibe",
        pants_category,
        Decimal("84.00"),
        Decimal("99.00"),
        Decimal("33.00"),
        "active",
    )
    # No Product Category: the Type stands in. UTF-8 titles survive.
    assert rows["carte-cadeau/Default Title"][2:] == (
        "Carte cadeau Boutique Zoé ✨",
        "Default Title",
        "Boutique Zoé",
        "Gift Card",
        Decimal("25.00"),
        None,
        None,
        "draft",
    )
    assert rows["carte-cadeau/Default Title"][0] is None  # no SKU
    assert rows["linen-shirt/M/Blue"][3] == "M / Blue"
    assert rows["linen-shirt/S/Sand"][8] is None  # no cost given
    assert {row[9] for key, row in rows.items() if key.startswith("linen")} == {"archived"}


def test_inventory_levels_dated_today_at_the_default_location(cli, workspace) -> None:
    before = today_in(workspace)
    import_json(cli, workspace, LEGACY)
    levels = {
        row[0]: row[1:]
        for row in query(
            workspace, "SELECT sku, source_id, location, date, on_hand FROM inventory_levels"
        )
    }
    day = levels["VTP-S"][2]
    assert day in {before, today_in(workspace)}
    assert levels["VTP-S"] == (f"VTP-S|default|{day:%Y-%m-%d}", "default", day, 8)
    assert levels["VTP-L"][3] == 0
    assert levels["LS-M-BLU"][3] == -1  # oversold: Shopify allows negative stock
    # A variant without SKU is counted under its variant id; an untracked one is left out.
    assert levels["linen-shirt/S/Sand"][3] == 4
    assert "carte-cadeau/Default Title" not in levels
    assert len(levels) == 6


def test_new_template_dialect(cli, workspace) -> None:
    [report] = import_json(cli, workspace, NEW)
    assert report["rows_read"] == 5 and report["rows_loaded"] == 5
    assert report["rows_quarantined"] == 0
    rows = products(workspace)
    assert set(rows) == {
        "dune-tee/S/Regular",
        "dune-tee/S/Oversized",
        "dune-tee/M/Regular",
        "desert-cap/Default Title",
    }
    assert rows["dune-tee/M/Regular"] == (
        "DT-M-REG",
        "dune-tee",
        "Dune Tee",
        "M / Regular",
        "Sahra & Beyond",
        "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts",
        Decimal("154.50"),
        None,
        Decimal("42.00"),
        "active",  # "Active" in the file
    )
    assert rows["desert-cap/Default Title"][9] == "draft"
    on_hand = dict(query(workspace, "SELECT sku, on_hand FROM inventory_levels"))
    assert on_hand == {"DT-S-REG": 25, "DT-S-OVR": 18, "DT-M-REG": 7, "DC-1": 40}


def test_export_without_quantity_column_stages_no_inventory(cli, workspace, tmp_path) -> None:
    # Stores with several locations export no Variant Inventory Qty.
    header = [name for name in LEGACY_HEADER if name != "Variant Inventory Qty"]
    rows = [
        {k: v for k, v in row.items() if k != "Variant Inventory Qty"}
        for row in product("tee", [{"Option1 Value": "S", "Variant SKU": "T-S"}])
    ]
    [report] = import_json(cli, workspace, write_products(tmp_path / "p.csv", rows, header))
    assert report["records"] == {"products": {"new": 1, "changed": 0, "unchanged": 0}}
    assert query(workspace, "SELECT count(*) FROM inventory_levels") == [(0,)]


def test_malformed_product_is_quarantined_whole(cli, workspace, tmp_path) -> None:
    rows = (
        product(
            "good-tee",
            [{"Option1 Value": "S"}, {"Option1 Value": "M"}],
            **{"Body (HTML)": '<p>Organic cotton.</p>\n<p>Fits "true to size", runs long.</p>'},
        )
        + product(
            "bad-price", [{"Option1 Value": "S"}, {"Option1 Value": "M", "Variant Price": "12,50"}]
        )
        + [{"Handle": "bad-price", "Image Src": "https://example.com/x.jpg", "Image Position": "2"}]
        + product("bad-cost", [{"Option1 Value": "S", "Cost per item": "cheap"}])
        + product(
            "bad-qty",
            [{"Option1 Value": "S"}, {"Option1 Value": "M", "Variant Inventory Qty": "2.5"}],
        )
        + product("negative", [{"Option1 Value": "S", "Variant Price": "-3.00"}])
        + product("no-title", [{"Option1 Value": "S"}], Title="")
        + product("no-price", [{"Option1 Value": "S"}, {"Option1 Value": "M", "Variant Price": ""}])
    )
    [report] = import_json(cli, workspace, write_products(tmp_path / "p.csv", rows))
    assert report["rows_read"] == 12
    assert report["rows_quarantined"] == 10 and report["rows_loaded"] == 2
    assert set(products(workspace)) == {"good-tee/S", "good-tee/M"}
    assert sorted(query(workspace, "SELECT sku FROM inventory_levels")) == [
        ("good-tee/M",),
        ("good-tee/S",),
    ]

    rows_out = quarantine(workspace)
    # Every row, at its physical line (good-tee's body spans two lines).
    assert [r[0] for r in rows_out] == list(range(5, 15))
    by_line = {r[0]: r[1:] for r in rows_out}
    assert by_line[6][:3] == ("Variant Price", "not an amount: '12,50'", "bad-price")
    assert by_line[5][:2] == (
        None,
        "product bad-price is quarantined whole: line 6: Variant Price: not an amount: '12,50'",
    )
    assert by_line[7][1].startswith("product bad-price is quarantined whole")  # its image row too
    assert by_line[7][3].startswith("bad-price,,,")  # the raw record
    assert by_line[8][:2] == ("Cost per item", "not an amount: 'cheap'")
    assert by_line[10][:2] == ("Variant Inventory Qty", "not a whole number: '2.5'")
    assert by_line[11][:2] == ("Variant Price", "negative amount: '-3.00'")
    assert by_line[12][0] == "Title"
    assert by_line[14][:2] == ("Variant Price", "empty: every variant has a price")
    assert {r[3] for r in rows_out} == {
        "bad-price",
        "bad-cost",
        "bad-qty",
        "negative",
        "no-title",
        "no-price",
    }


def test_duplicate_variant_quarantines_its_product(cli, workspace, tmp_path) -> None:
    # Two rows for tee/M: neither can be trusted over the other (the same for two variants
    # without options), so the product waits in the quarantine until the file is fixed.
    rows = product(
        "tee",
        [
            {"Option1 Value": "S", "Variant SKU": "T-S"},
            {"Option1 Value": "M", "Variant SKU": "T-M", "Variant Price": "20.00"},
            {"Option1 Value": "M", "Variant SKU": "T-M2", "Variant Price": "22.00"},
        ],
    ) + product("cap", [{"Variant SKU": "C-1"}, {"Variant SKU": "C-2"}], **{"Option1 Name": ""})
    rows += product("sock", [{"Option1 Value": "One size"}])
    [report] = import_json(cli, workspace, write_products(tmp_path / "p.csv", rows))
    assert report["rows_quarantined"] == 5 and report["rows_loaded"] == 1
    assert set(products(workspace)) == {"sock/One size"}
    reasons = {r[0]: r[2] for r in quarantine(workspace)}
    assert reasons[3] == "variant 'tee/M' appears 2 times in the file"
    assert reasons[2].startswith("product tee is quarantined whole: line 3: Option1 Value: variant")
    assert reasons[5] == "variant 'cap' appears 2 times in the file"


def test_shared_sku_counts_one_stock(cli, workspace, tmp_path) -> None:
    rows = product(
        "tee",
        [
            {"Option1 Value": "S", "Variant SKU": "TEE", "Variant Inventory Qty": "3"},
            {"Option1 Value": "M", "Variant SKU": "TEE", "Variant Inventory Qty": "4"},
        ],
    )
    import_json(cli, workspace, write_products(tmp_path / "p.csv", rows))
    assert len(products(workspace)) == 2
    assert query(workspace, "SELECT sku, on_hand FROM inventory_levels") == [("TEE", 7)]


def test_row_that_does_not_parse_quarantines_its_product(cli, workspace, tmp_path) -> None:
    rows = product("tee", [{"Option1 Value": "S"}, {"Option1 Value": "M"}])
    rows += product("cap", [{"Option1 Value": "One size"}])
    path = write_products(tmp_path / "p.csv", rows)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "tee,,,,,,,,,L,too,few,fields")  # a third tee row, cut short
    path.write_text("\n".join(lines), encoding="utf-8")
    [report] = import_json(cli, workspace, path)
    assert report["rows_read"] == 4
    assert report["rows_quarantined"] == 3 and report["rows_loaded"] == 1
    assert set(products(workspace)) == {"cap/One size"}
    by_line = {r[0]: r for r in quarantine(workspace)}
    assert sorted(by_line) == [2, 3, 4]
    assert by_line[4][4] == "tee,,,,,,,,,L,too,few,fields"
    assert by_line[4][2].startswith("MISSING COLUMNS")
    assert by_line[2][2].startswith("product tee is quarantined whole: line 4: MISSING COLUMNS")


def test_reject_after_a_multiline_body_is_quarantined_at_its_physical_line(
    cli, workspace, tmp_path
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        LEGACY.read_text(encoding="utf-8") + "linen-shirt,,,,,,,,,L,,,Blue,too,few,fields\n",
        encoding="utf-8",
    )
    [report] = import_json(cli, workspace, path)
    assert report["rows_quarantined"] == 5  # linen-shirt's 4 rows and the broken one
    # The pants' HTML body spans 5 lines: linen-shirt starts at line 12, the broken row is 16.
    by_line = {r[0]: r for r in quarantine(workspace)}
    assert sorted(by_line) == [12, 13, 14, 15, 16]
    assert by_line[12][4].startswith("linen-shirt,Linen Shirt,")
    assert by_line[16][2].startswith("MISSING COLUMNS")
    assert by_line[16][4] == "linen-shirt,,,,,,,,,L,,,Blue,too,few,fields"


def test_row_without_handle_is_quarantined_alone(cli, workspace, tmp_path) -> None:
    rows = product("tee", [{"Option1 Value": "S"}]) + [{"Handle": "", "Variant Price": "3.00"}]
    [report] = import_json(cli, workspace, write_products(tmp_path / "p.csv", rows))
    assert report["rows_quarantined"] == 1 and report["rows_loaded"] == 1
    [(line, field, reason, ref, _)] = quarantine(workspace)
    assert (line, field, ref) == (3, "Handle", None)
    assert reason == "the row belongs to no product (Handle is empty)"


def test_missing_required_column_exits_2_naming_it(cli, workspace, tmp_path) -> None:
    for missing in ("Variant Price", "Title", "Handle"):
        header = [name for name in LEGACY_HEADER if name != missing]
        rows = [
            {k: v for k, v in row.items() if k in header}
            for row in product("tee", [{"Option1 Value": "S"}])
        ]
        path = write_products(tmp_path / f"no-{missing}.csv", rows, header)
        result = cli("import", "shopify-products", path, "-w", workspace.workspace)
        assert result.code == 2
        assert f"field '{missing}'" in result.err and "missing required column" in result.err
        assert "Traceback" not in result.err
    new_header = next(csv.reader(NEW.open(encoding="utf-8", newline="")))
    path = tmp_path / "new-no-price.csv"
    path.write_text(",".join(n for n in new_header if n != "Price") + "\n", encoding="utf-8")
    result = cli("import", "shopify-products", path, "-w", workspace.workspace)
    assert result.code == 2 and "field 'Price'" in result.err
    assert query(workspace, "SELECT count(*) FROM products") == [(0,)]


def test_reimport_is_idempotent_and_a_changed_product_replaces(cli, workspace, tmp_path) -> None:
    import_json(cli, workspace, LEGACY)
    before = snapshot(workspace)
    [again] = import_json(cli, workspace, LEGACY)
    assert again["records"]["products"] == {"new": 0, "changed": 0, "unchanged": 7}
    assert again["records"]["inventory_levels"] == {"new": 0, "changed": 0, "unchanged": 6}
    assert snapshot(workspace) == before

    changed = LEGACY.read_text(encoding="utf-8").replace(
        "VTP-L,0.0,shopify,0,deny,manual,84.00", "VTP-L,0.0,shopify,2,deny,manual,89.00"
    )
    path = tmp_path / "products_export_1.csv"
    path.write_text(changed, encoding="utf-8")
    [report] = import_json(cli, workspace, path)
    assert report["records"]["products"] == {"new": 0, "changed": 1, "unchanged": 6}
    assert report["records"]["inventory_levels"] == {"new": 0, "changed": 1, "unchanged": 5}
    rows = products(workspace)
    assert len(rows) == 7 and rows["vintage-twill-pants/L"][6] == Decimal("89.00")
    assert query(workspace, "SELECT on_hand FROM inventory_levels WHERE sku = 'VTP-L'") == [(2,)]


def test_excel_bom_and_crlf(cli, workspace, tmp_path) -> None:
    path = tmp_path / "products.csv"
    text = LEGACY.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    [report] = import_json(cli, workspace, path)
    assert report["rows_loaded"] == 10 and report["rows_quarantined"] == 0
    assert len(products(workspace)) == 7
