"""The Customers page's channel and category filters and its comparison, on the hand-made shop of
tests/commerce/shop.py (tests/web/conftest.py's warehouse).

Worked out on paper for March 2025: c1 orders O1 (web; A socks 2 × 10 − 5, B shirts 30; order
discount 5: 45, refunded 10 on 4 March) after O0 (January, web, socks); c2 O2 (app, C shoes,
100); c5 O5 (web, socks, 10). c4's O4 (web, shirts, 25 February: 60 − 10) is refunded 60 on
2 March. The period before March: 29 January – 28 February.
"""

from __future__ import annotations

import csv
import io

MARCH = "from=2025-03-01&to=2025-03-31"


def card(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</article>", 1)[0]


def value(page: str, title: str) -> str:
    return card(page, title).split('class="kpi-value">', 1)[1].split("<", 1)[0]


def test_unfiltered_against_february(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/customers?{MARCH}").text
    assert "vs Wed 29 Jan 2025 – Fri 28 Feb 2025" in page
    # c1, c2, c5 (c2 and c5 new) against c4 alone (new in February)
    assert value(page, "Customers who ordered") == "3"
    assert 'kpi-change good">+200.0% <span class="muted">vs 1<' in card(
        page, "Customers who ordered"
    )
    # 35 + 100 + 10 against O4's 50 (its refund comes in March)
    revenue = card(page, "Customer revenue")
    assert "€145.00" in revenue and "+190.0%" in revenue and "vs €50.00" in revenue
    channels = page.split('name="channel"', 1)[1].split("</select>", 1)[0]
    assert '<option value="app">' in channels and '<option value="web">' in channels
    categories = page.split('name="category"', 1)[1].split("</select>", 1)[0]
    assert all(f'<option value="{c}">' in categories for c in ("shirts", "shoes", "socks"))


def test_channel_filter(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/customers?{MARCH}&channel=app").text
    assert "orders of app" in page and '<option value="app" selected>' in page
    assert (value(page, "Customers who ordered"), value(page, "New customers")) == ("1", "1")
    assert value(page, "Customer revenue") == "€100.00"  # O2; the refunds are of web orders
    # no app order in February: nothing to compare with but zero
    assert "vs 0<" in card(page, "Customers who ordered")


def test_category_filter_makes_first_orders_of_the_category(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/customers?{MARCH}&category=shirts").text
    # O1 is c1's first order with a shirt: new in March, 45 − 10
    assert (value(page, "Customers who ordered"), value(page, "New customers")) == ("1", "1")
    assert value(page, "Customer revenue") == "€35.00"
    # February: c4's O4 (shirts), 50
    assert "vs €50.00" in card(page, "Customer revenue")


def test_filtered_csv_and_api(client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    answer = client.get(f"/customers.csv?{MARCH}&table=new_vs_returning&channel=app")
    [march] = list(csv.DictReader(io.StringIO(answer.text)))
    assert (march["new_customers"], march["new_net_sales"], march["returning_customers"]) == (
        "1", "100.00", "0",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    data = client.get(
        f"/api/v1/customers?{MARCH}&category=shirts&rfm=true&compare=previous", headers=headers
    ).json()
    assert data["filters"] == {"channel": None, "category": "shirts"}
    assert (data["rfm"]["customers"], data["rfm"]["revenue"]) == (1, "35.00")
    assert data["figures"]["new_customers"] == 1
    assert data["previous"]["figures"]["revenue"] == "50.00"
    assert data["change"]["customers"] == {"absolute": 0, "relative": 0.0}
    too_long = client.get(f"/api/v1/customers?channel={'x' * 201}", headers=headers)
    assert too_long.status_code == 422
    assert client.get(f"/customers?{MARCH}&compare=lastyear").status_code == 422
