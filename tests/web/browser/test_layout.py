"""How the commerce pages lay out in Chromium at 1280 and 390 px: KPI cards on one row on a wide
screen and two a row on a phone, money axes in the store's currency symbol, date axes within the
period with labels that do not collide, and tables that fit their cards."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.web.browser.conftest import DESKTOP, PHONE, sign_in

pytestmark = pytest.mark.browser

COMMERCE_PAGES = ["/", "/sales", "/stock", "/aftersales", "/promotions", "/baskets", "/customers"]
# The boxes of the tick labels of a chart's x axis, in page pixels.
TICK_BOXES = """chart => Array.from(chart.querySelectorAll('.xtick text')).map(t => {
    const b = t.getBoundingClientRect(); return [b.left, b.right, t.textContent]; })"""


def card_boxes(page) -> list[dict]:  # type: ignore[no-untyped-def]
    return page.locator("section.kpi-cards > article.kpi").evaluate_all(
        "cards => cards.map(c => { const b = c.getBoundingClientRect();"
        " return {x: Math.round(b.left), y: Math.round(b.top), overflow: c.scrollWidth > c.clientWidth}; })"
    )


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_kpi_cards_fill_rows(open_page, subtests, width: int) -> None:  # type: ignore[no-untyped-def]
    page = open_page(width)
    sign_in(page, "admin")
    for path in COMMERCE_PAGES:
        with subtests.test(page=path):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            boxes = card_boxes(page)
            assert len(boxes) >= 3, path
            rows = sorted({box["y"] for box in boxes})
            columns = {box["x"] for box in boxes}
            if width == DESKTOP:
                assert len(rows) == 1, f"{path}: {len(boxes)} cards on {len(rows)} rows"
            else:
                assert len(columns) == 2, f"{path}: {len(columns)} columns on a phone"
            assert not any(box["overflow"] for box in boxes), f"{path}: a value overflows its card"


@pytest.mark.parametrize("path", ["/", "/sales", "/aftersales", "/promotions", "/customers"])
def test_money_axes_use_the_currency_symbol(page, path: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    labels = page.locator("[data-plotly] .xtick text, [data-plotly] .ytick text").evaluate_all(
        "texts => texts.map(t => t.textContent)"
    )
    assert labels, f"{path} drew no axis"
    assert not [label for label in labels if "EUR" in label]
    assert any(label.startswith("€") for label in labels), labels


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("path", ["/", "/sales"])
def test_day_axes_stay_in_the_period_without_crowding(open_page, width: int, path: str) -> None:  # type: ignore[no-untyped-def]
    page = open_page(width)
    sign_in(page, "commerce")
    page.goto(f"{path}?from=2025-12-02&to=2025-12-31")
    page.wait_for_load_state("networkidle")
    chart = page.locator("[data-plotly]").first
    first, last = chart.evaluate("c => c._fullLayout.xaxis.range")
    start, end = (datetime.fromisoformat(v[:19]) for v in (first, last))
    # Half a day either side: the first and last days' marks are centred on their day.
    assert (start, end) == (datetime(2025, 12, 1, 12), datetime(2025, 12, 31, 12))
    ticks = chart.evaluate(TICK_BOXES)
    assert 3 <= len(ticks) <= 8, [t[2] for t in ticks]
    for (_, right, label), (left, _, following) in zip(ticks, ticks[1:], strict=False):
        assert right + 4 <= left, f"{label!r} touches {following!r} at {width} px"
    assert all("2025" not in t[2] and "Nov" not in t[2] for t in ticks), [t[2] for t in ticks]


@pytest.mark.parametrize("view", ["risk", "abc", "dead", "all"])
def test_stock_tables_fit_their_card_at_1280(page, view: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    page.goto(f"/stock?view={view}")
    page.wait_for_load_state("networkidle")
    wrap = page.locator("#stock-table .table-wrap")
    assert wrap.evaluate("w => w.scrollWidth - w.clientWidth") <= 0
