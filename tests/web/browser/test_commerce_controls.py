"""The commerce pages' comparison and filter controls in Chromium: what a person picks in the
form is what the page then shows, and what the API answers for the same parameters."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.browser.conftest import Demo, sign_in

pytestmark = pytest.mark.browser

COMPARED = ["/sales", "/stock", "/aftersales", "/promotions", "/baskets", "/customers"]


def show(page, **fields: str) -> None:  # type: ignore[no-untyped-def]
    """Picks each field's option in the page's form and submits it (htmx swaps the content)."""
    form = page.locator("main form.controls")
    for name, value in fields.items():
        form.locator(f"select[name={name}]").select_option(value)
    form.get_by_role("button", name="Show").click()
    page.wait_for_url(
        lambda url: all(parse_qs(urlsplit(url).query).get(k) == [v] for k, v in fields.items())
    )
    page.wait_for_load_state("networkidle")


def comparisons(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("article.kpi .kpi-change .muted").all_inner_texts()


@pytest.mark.parametrize("path", COMPARED)
def test_comparison_control(page, path: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert any(text.startswith("vs ") for text in comparisons(page)), path
    assert " vs " in page.locator("main .page-head p").first.inner_text()
    show(page, compare="none")
    assert not [text for text in comparisons(page) if text.startswith("vs ")]
    show(page, compare="yoy")
    assert any(text.startswith("vs ") for text in comparisons(page))


def test_sales_filters_narrow_the_cards_as_the_api(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    page.goto("/sales?from=2025-12-01&to=2025-12-31")
    page.wait_for_load_state("networkidle")
    show(page, channel="pos")
    answer = page.request.get(
        "/api/v1/sales?from=2025-12-01&to=2025-12-31&channel=pos&compare=previous",
        headers={"Authorization": f"Bearer {demo.tokens['commerce']}"},
    )
    assert answer.ok, answer.text()
    data = answer.json()
    net = page.locator("article.kpi").filter(has_text="Net sales").locator(".kpi-value")
    assert net.inner_text() == f"€{Decimal(data['totals']['net_sales']):,.2f}"
    previous = Decimal(data["previous"]["totals"]["net_sales"])
    assert f"vs €{previous:,.2f}" in page.locator("article.kpi").first.inner_text()
    # the breakdown by channel keeps pos alone
    keys = page.locator("#breakdown tbody th").all_inner_texts()
    assert keys == ["pos"]


def test_customers_category_filter(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "commerce")
    page.goto("/customers")
    page.wait_for_load_state("networkidle")
    everyone = page.locator("article.kpi .kpi-value").first.inner_text()
    category = page.locator("select[name=category] option").nth(1).get_attribute("value")
    assert category
    show(page, category=category)
    answer = page.request.get(
        f"/api/v1/customers?from=2025-01-01&to=2025-12-31&category={category}&rfm=true",
        headers={"Authorization": f"Bearer {demo.tokens['commerce']}"},
    )
    customers = answer.json()["rfm"]["customers"]
    shown = page.locator("article.kpi .kpi-value").first.inner_text()
    assert shown == f"{customers:,}" and shown != everyone
