"""The Customers page, its CSVs and GET /api/v1/customers, on the eight customers of
tests/commerce/customers_data.py (its docstring lists every order), January–April 2025.

Worked out on paper:
  new (first sale order ever in the month) per month: Jan c1 c2 c3; Feb c4 c5; Mar c6 (its
  1 March order is voided); Apr c7. Returning: Feb c1 c8 (c8 first bought in Dec 2024);
  Mar c2 c4; Apr c1 c5 c6.
  cohorts: Jan 3 customers, active [3, 1, 1, 1]; Feb 2, [2, 1, 1, -]; Mar 1, [1, 1, -, -];
  Apr 1, [1, -, -, -].
  RFM revenue per segment (net of discounts and refunds): Hibernating 315 (c2 c3 c8), Loyal 280
  (c1), At risk 250 (c4), Potential loyalists 180 (c5), About to sleep 100 (c6), New customers
  25 (c7); 8 customers, 1,150 in all; guests 2 orders, 35 − 5 + 15 = 45.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from fastapi.testclient import TestClient

from storeops.core.settings import Settings
from storeops.web.app import create_app
from tests.commerce.customers_data import build_customers_shop
from tests.web.conftest import add_users, email_of, sign_in

JAN_APR = "from=2025-01-01&to=2025-04-30"


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """This module's warehouse: the customers shop instead of the conftest's."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    build_customers_shop(path)
    return workspace


def figures_in(page: str) -> list[dict]:
    return [json.loads(html.unescape(raw)) for raw in re.findall(r'data-plotly="([^"]*)"', page)]


def segment_rows(page: str) -> list[list[str]]:
    body = page.split('id="segments"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
         for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def card(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</article>", 1)[0]


def test_page_cards_and_new_against_returning(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/customers?{JAN_APR}").text
    assert "Wed 1 Jan 2025 – Wed 30 Apr 2025" in page
    assert "8" in card(page, "Customers who ordered")
    assert "7" in card(page, "New customers")
    assert "€1,150.00" in card(page, "Customer revenue")
    guests = card(page, "Guest orders")
    assert ">2<" in guests and "€45.00" in guests
    customers, sales, _, _ = figures_in(page)
    new, returning = customers["data"]
    assert customers["layout"]["barmode"] == "stack"
    assert new["x"] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    assert new["y"] == [3, 2, 1, 1] and returning["y"] == [0, 2, 2, 3]
    assert [trace["name"] for trace in sales["data"]] == ["New", "Returning", "Guests"]


def test_cohort_heat_map(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/customers?{JAN_APR}").text
    heatmap = figures_in(page)[2]["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == ["+0", "+1", "+2", "+3"]
    assert heatmap["y"] == ["Jan 2025 · 3", "Feb 2025 · 2", "Mar 2025 · 1", "Apr 2025 · 1"]
    assert heatmap["text"] == [
        ["100%", "33%", "33%", "33%"],
        ["100%", "50%", "50%", ""],
        ["100%", "100%", "", ""],
        ["100%", "", "", ""],
    ]
    assert heatmap["customdata"][1] == [2, 1, 1, None]
    assert heatmap["z"][2] == [1.0, 1.0, None, None]


def test_rfm_table_and_chart(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get(f"/customers?{JAN_APR}").text
    rows = segment_rows(page)
    # The grid's order by default, best customers first.
    assert [row[0] for row in rows] == [
        "Loyal", "Potential loyalists", "New customers", "About to sleep", "At risk", "Hibernating"
    ]  # fmt: skip
    assert rows[-1] == ["Hibernating", "3", "37.5%", "4", "€315.00", "27.4%", "Mon 3 Mar 2025"]
    bars = figures_in(page)[3]["data"]
    assert [trace["name"] for trace in bars] == ["Customers", "Revenue"]
    assert bars[0]["y"][-1] == "Hibernating" and bars[0]["x"][-1] == pytest.approx(3 / 8)
    by_revenue = segment_rows(client.get(f"/customers?{JAN_APR}&sort=revenue").text)
    assert [row[4] for row in by_revenue] == [
        "€315.00", "€280.00", "€250.00", "€180.00", "€100.00", "€25.00"
    ]  # fmt: skip
    by_name = segment_rows(client.get(f"/customers?{JAN_APR}&sort=segment&dir=asc").text)
    assert [row[0] for row in by_name][:2] == ["About to sleep", "At risk"]


def test_rfm_table_pages(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    second = client.get(f"/customers?{JAN_APR}&sort=revenue&per_page=4&page=2").text
    assert [row[0] for row in segment_rows(second)] == ["About to sleep", "New customers"]
    assert "5–6 of 6" in second and "Page 2 of 2" in second


def test_default_period_is_twelve_months_up_to_the_last_order(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/customers").text
    # The last order is on 20 April 2025; twelve months back reach before the first (10 Dec).
    assert "Tue 10 Dec 2024 – Sun 20 Apr 2025" in page


def test_csv_downloads(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    answer = client.get(f"/customers.csv?{JAN_APR}&table=cohorts")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="customers_cohorts_2025-01-01_2025-04-30.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["cohort", "size", "month", "active", "retention"]
    assert rows[1:6] == [
        ["2025-01", "3", "0", "3", "1.0"],
        ["2025-01", "3", "1", "1", str(1 / 3)],
        ["2025-01", "3", "2", "1", str(1 / 3)],
        ["2025-01", "3", "3", "1", str(1 / 3)],
        ["2025-02", "2", "0", "2", "1.0"],
    ]
    assert len(rows) == 1 + 4 + 3 + 2 + 1  # months not yet seen are left out
    segments = list(csv.reader(io.StringIO(
        client.get(f"/customers.csv?{JAN_APR}&sort=revenue").text)))  # fmt: skip
    assert [row[0] for row in segments[1:3]] == ["Hibernating", "Loyal"]
    assert segments[1][1:5] == ["3", "0.375", "4", "315.00"]
    monthly = list(csv.reader(io.StringIO(
        client.get(f"/customers.csv?{JAN_APR}&table=new_vs_returning").text)))  # fmt: skip
    assert monthly[0][:4] == ["bucket", "new_customers", "new_orders", "new_net_sales"]
    # February: c4 (120 − 20 refund + 60) and c5 (70) new; c1 (80 − 10 refund) and c8 (65).
    assert monthly[2] == ["2025-02-01", "2", "3", "230.00", "2", "2", "135.00", "0", "0.00"]


@pytest.mark.parametrize(
    "query, args",
    [
        (JAN_APR, ["--from", "2025-01-01", "--to", "2025-04-30"]),
        ("rfm=true", ["--rfm"]),
        ("cohorts=true&new_vs_returning=true&grain=week&to=2025-03-31",
         ["--cohorts", "--new-vs-returning", "--grain", "week", "--to", "2025-03-31"]),
    ],
)  # fmt: skip
def test_api_equals_the_cli_json(client_for, tokens, shop_workspace, cli, query, args) -> None:  # type: ignore[no-untyped-def]
    answer = client_for(None).client.get(
        f"/api/v1/customers?{query}", headers={"Authorization": f"Bearer {tokens['commerce']}"}
    )
    assert answer.status_code == 200, answer.text
    result = cli("customers", "-w", shop_workspace.workspace, "--json", *args)
    assert result.code == 0, result.err
    assert answer.json() == result.json()


def test_api_answer_worked_out_on_paper(client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    data = (
        client_for(None)
        .client.get(
            f"/api/v1/customers?{JAN_APR}&cohorts=true",
            headers={"Authorization": f"Bearer {tokens['viewer']}"},
        )
        .json()
    )
    assert set(data) == {"from", "to", "currency", "cohorts"}
    assert data["cohorts"]["cohorts"][0] == {
        "cohort": "2025-01-01",
        "size": 3,
        "active": [3, 1, 1, 1],
        "retention": [1.0, 1 / 3, 1 / 3, 1 / 3],
    }


def test_empty_warehouse(workspace) -> None:  # type: ignore[no-untyped-def]
    add_users(workspace)
    with TestClient(create_app(workspace), follow_redirects=False) as client:
        sign_in(client, email_of("viewer"))
        customers = client.get("/customers")
        sales = client.get("/sales")
        csv_answer = client.get("/customers.csv?table=cohorts")
    assert customers.status_code == 200 and "No orders yet" in customers.text
    assert sales.status_code == 200 and "No orders yet" in sales.text
    assert csv_answer.text.splitlines() == ["cohort,size,month,active,retention"]


@pytest.mark.parametrize(
    "url",
    [
        f"/customers?{JAN_APR}&grain=year",
        f"/customers?{JAN_APR}&sort=lifetime",
        f"/customers?{JAN_APR}&dir=sideways",
        f"/customers?{JAN_APR}&per_page=0",
        "/customers?from=2025-04-30&to=2025-01-01",
        f"/customers.csv?{JAN_APR}&table=everything",
        "/api/v1/customers?rfm=perhaps",
        "/api/v1/customers?grain=quarter",
        "/api/v1/customers?from=2025-13-01",
    ],
)
def test_bad_parameters_are_422(client_for, tokens, url) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {tokens['viewer']}"} if url.startswith("/api/") else {}
    answer = client_for("viewer").client.get(url, headers=headers)
    assert answer.status_code == 422, answer.text
