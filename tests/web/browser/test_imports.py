"""Uploading a shop file through the Imports page's form in Chromium, as a commerce user would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import FIXTURES
from tests.web.browser.conftest import Demo, nav_paths, sign_in

pytestmark = pytest.mark.browser

# Two good orders on 2025-06-15 (3 rows, gross €134.80) and #UP-1003, quarantined ("two" units).
UPLOAD = FIXTURES / "browser" / "shopify_orders_upload.csv"
DAY = "2025-06-15"


def day_kpis(page, demo: Demo) -> dict:  # type: ignore[no-untyped-def]
    answer = page.request.get(
        f"/api/v1/kpis?from={DAY}&to={DAY}&compare=none",
        headers={"Authorization": f"Bearer {demo.tokens['commerce']}"},
    )
    assert answer.ok, answer.text()
    return answer.json()["kpis"]


def test_upload_an_import_through_the_form(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    if "/imports" not in nav_paths(page):
        pytest.skip("the Imports page (/imports) does not exist yet: its upload form is untested")
    before = day_kpis(page, demo)
    page.goto("/imports")
    form = page.locator("form[enctype='multipart/form-data']")
    form.locator("select[name=kind]").select_option("shopify-orders")
    form.locator("input[type=file][name=files]").set_input_files(UPLOAD)
    form.get_by_role("button", name="Import").click()
    result = page.locator("section").filter(has=page.get_by_role("heading", name="Imported"))
    result.wait_for(timeout=60_000)  # the import runs in a child process

    row = result.locator("tbody tr").filter(has_text=UPLOAD.name)
    cells = row.locator("td").all_inner_texts()
    assert cells[:4] == ["4", "3", "1", "2"]  # rows read, loaded, quarantined; orders new
    assert "#UP-1003" in row.inner_text()
    log = page.locator("#imports-table tbody tr").first  # newest first
    assert UPLOAD.name in log.inner_text()

    after = day_kpis(page, demo)
    assert after["orders"] == before["orders"] + 2
    assert Decimal(after["gross_sales"]) == Decimal(before["gross_sales"]) + Decimal("134.80")
