"""The Overview in Chromium: changing the period through its controls, and its CSV download."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.browser.conftest import Demo, sign_in

pytestmark = pytest.mark.browser

# Black Friday week of the demo shop (its last day is 2025-12-31; pages open on its last 30 days).
WEEK = ("2025-11-24", "2025-11-30")


def api_kpis(page, demo: Demo, start: str, end: str, compare: str = "previous") -> dict:  # type: ignore[no-untyped-def]
    answer = page.request.get(
        f"/api/v1/kpis?from={start}&to={end}&compare={compare}",
        headers={"Authorization": f"Bearer {demo.tokens['admin']}"},
    )
    assert answer.ok, answer.text()
    return answer.json()


def euros(amount: str) -> str:
    return f"€{Decimal(amount):,.2f}"


def card(page, label: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator("article.kpi").filter(has_text=label).locator(".kpi-value").inner_text()


def test_changing_the_period_changes_the_numbers(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    before = {label: card(page, label) for label in ("Net sales", "Orders")}
    page.locator("input[name=from]").fill(WEEK[0])
    page.locator("input[name=to]").fill(WEEK[1])
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("from") == [WEEK[0]])
    page.wait_for_load_state("networkidle")

    assert "Mon 24 Nov 2025 – Sun 30 Nov 2025 · 7 days" in page.locator("main").inner_text()
    expected = api_kpis(page, demo, *WEEK)["kpis"]
    after = {"Net sales": euros(expected["net_sales"]), "Orders": f"{expected['orders']:,}"}
    assert {label: card(page, label) for label in after} == after
    assert after != before
    # The chart was drawn again for the new period, one point per day.
    days = page.locator("[data-plotly]").evaluate("chart => chart.data[0].x.length")
    assert days == 7


def test_csv_download(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "viewer")
    page.goto(f"/?from={WEEK[0]}&to={WEEK[1]}&compare=yoy")
    with page.expect_download() as started:
        page.get_by_role("link", name="CSV").click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename == f"kpis_{WEEK[0]}_{WEEK[1]}.csv"
    with open(download.path(), encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert list(rows[0]) == [
        "kpi", "label", "from", "to", "value", "previous", "change", "change_relative",
    ]  # fmt: skip
    net_sales = next(row for row in rows if row["kpi"] == "net_sales")
    expected = api_kpis(page, demo, *WEEK, compare="yoy")
    assert (net_sales["from"], net_sales["to"]) == WEEK
    assert net_sales["value"] == expected["kpis"]["net_sales"]
    assert net_sales["previous"] == expected["previous"]["kpis"]["net_sales"]
