"""The Sales page, its CSV and GET /api/v1/sales, on the hand-made shop (tests/commerce/shop.py).

Worked out on paper for the week 2025-03-01..07 (O3 is voided, O5 falls on 8 March in Paris):
  O1  1 Mar, web, FR, SPRING5: A 2 × 10 (line discount 5) + B 1 × 30; order discount 5
  O2  3 Mar, app, DE: C 1 × 100
  R2  2 Mar, 60 for O4 (web, FR, no code; ordered 25 Feb); R1  4 Mar, 10 for O1
  by channel: app 1 order, gross 100, net 100, AOV 100;
              web 1 order, gross 50, discounts 5, returns 70, net −25, units 3, AOV 45
  by product (no refund lines: the 70 of returns stays at order level):
              C net 100, B net 30, A 20 − 5 = 15
  the week before: O4 on 25 Feb, 2 × 30 − 10 = 50 net.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

WEEK = "from=2025-03-01&to=2025-03-07"


def figure_in(page: str) -> dict:
    [raw] = re.findall(r'data-plotly="([^"]*)"', page)
    return json.loads(html.unescape(raw))


def rows_of(page: str, table_id: str = "breakdown") -> list[list[str]]:
    """The body rows of a table as their cells' text."""
    section = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def test_page_shows_totals_against_the_week_before(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/sales?{WEEK}").text
    assert "Sat 1 Mar 2025 – Fri 7 Mar 2025" in page
    assert "vs Sat 22 Feb 2025 – Fri 28 Feb 2025" in page
    net = page.split("<h2>Net sales</h2>", 1)[1].split("</article>", 1)[0]
    assert "€75.00" in net and "+50.0%" in net and "vs €50.00" in net
    aov = page.split("<h2>Average order value</h2>", 1)[1].split("</article>", 1)[0]
    assert "€72.50" in aov and "vs €50.00" in aov  # (150 − 5) / 2 against 50 / 1
    returns = page.split("<h2>Returns</h2>", 1)[1].split("</article>", 1)[0]
    assert "€70.00" in returns and "bad" in returns  # more returns is bad news


def test_chart_by_day_with_the_comparison_overlaid(client_for) -> None:  # type: ignore[no-untyped-def]
    figure = figure_in(client_for("viewer").client.get(f"/sales?{WEEK}").text)
    current, previous = figure["data"]
    assert current["x"] == [f"2025-03-0{d}" for d in range(1, 8)]
    assert current["y"] == [45.0, -60.0, 100.0, -10.0, 0.0, 0.0, 0.0]
    assert previous["y"] == [0.0, 0.0, 0.0, 50.0, 0.0, 0.0, 0.0]
    assert previous["customdata"][3] == "Tue 25 Feb 2025"


def test_chart_by_iso_week_without_comparison(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/sales?{WEEK}&grain=week&compare=none").text
    [current] = figure_in(page)["data"]
    # Mon 24 Feb – Sun 2 Mar holds 1–2 March (45 − 60); the week of 3 March 100 − 10.
    assert current["x"] == ["2025-02-24", "2025-03-03"]  # at their Mondays: even bars
    assert current["y"] == [-15.0, 90.0]
    assert current["customdata"] == ["2025-W09: 1 Mar – 2 Mar 2025", "2025-W10: 3 Mar – 7 Mar 2025"]
    assert "Net sales per week" in page


def test_breakdown_by_channel_sorted_on_the_server(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    rows = rows_of(client.get(f"/sales?{WEEK}").text)
    assert rows == [
        ["app", "1", "€100.00", "€0.00", "€0.00", "€100.00", "1", "€100.00"],
        ["web", "1", "€50.00", "€5.00", "€70.00", "−€25.00", "3", "€45.00"],
    ]
    by_returns = rows_of(client.get(f"/sales?{WEEK}&sort=returns&dir=desc").text)
    assert [row[0] for row in by_returns] == ["web", "app"]
    by_key = rows_of(client.get(f"/sales?{WEEK}&sort=key&dir=desc").text)
    assert [row[0] for row in by_key] == ["web", "app"]


def test_breakdown_pages(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    first = client.get(f"/sales?{WEEK}&by=product&per_page=2").text
    assert [row[0] for row in rows_of(first)] == ["C", "B"]
    assert "1–2 of 3" in first and "Page 1 of 2" in first
    second = client.get(f"/sales?{WEEK}&by=product&per_page=2&page=2").text
    assert rows_of(second) == [["A", "Product A", "1", "€20.00", "€5.00", "€0.00", "€15.00", "2"]]
    assert "3–3 of 3" in second
    # Past the last page: the last page.
    assert [r[0] for r in rows_of(client.get(f"/sales?{WEEK}&by=product&per_page=2&page=9").text)] == ["A"]  # fmt: skip


def test_product_breakdown_says_what_stays_at_order_level(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/sales?{WEEK}&by=product").text
    assert "discounts €0.00, returns €70.00 (refunds without refund lines)" in page


def test_htmx_sort_swaps_the_table_alone(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get(
        f"/sales?{WEEK}&sort=orders&dir=asc",
        headers={"HX-Request": "true", "HX-Target": "breakdown"},
    )
    assert answer.status_code == 200
    assert '<section class="card" id="breakdown">' in answer.text
    assert "<html" not in answer.text and "data-plotly" not in answer.text
    assert [row[0] for row in rows_of(answer.text)] == ["app", "web"]  # ties keep net order


def card(page: str, label: str) -> str:
    return page.split(f"<h2>{label}</h2>", 1)[1].split("</article>", 1)[0]


def test_channel_filter_narrows_totals_chart_comparison_and_tables(client_for) -> None:  # type: ignore[no-untyped-def]
    web = client_for("viewer").client.get(f"/sales?{WEEK}&channel=web").text
    # web: O1 (50 − 5) and both refunds (R1, R2: web orders) against O4 (60 − 10) the week before
    net = card(web, "Net sales")
    assert "−€25.00" in net and "vs €50.00" in net and "-150.0%" in net
    assert "€100.00" not in card(web, "Gross sales")  # O2 (app) is out
    current, previous = figure_in(web)["data"]
    assert current["y"] == [45.0, -60.0, 0.0, -10.0, 0.0, 0.0, 0.0]
    assert previous["y"] == [0.0, 0.0, 0.0, 50.0, 0.0, 0.0, 0.0]
    assert [row[0] for row in rows_of(web)] == ["web"]
    options = web.split('name="channel"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', options) == ["", "app", "web"]
    assert '<option value="web" selected>' in options


def test_category_filter_gives_the_category_figures(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    shirts = client.get(f"/sales?{WEEK}&by=product&category=shirts").text
    # shirts = B: O1's 1 × 30 this week, O4's 2 × 30 the week before
    net = card(shirts, "Net sales")
    assert "€30.00" in net and "vs €60.00" in net and "-50.0%" in net
    assert "—" in card(shirts, "Average order value")  # not defined for a category
    assert figure_in(shirts)["data"][0]["y"] == [30.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert [row[0] for row in rows_of(shirts)] == ["B"]
    top = shirts.split("Top products in shirts", 1)[1]
    assert "Product B" in top and "Product C" not in top
    assert "cannot be split by category" in shirts
    by_channel = client.get(f"/sales?{WEEK}&category=socks").text
    assert rows_of(by_channel) == [["web", "1", "€20.00", "€5.00", "€0.00", "€15.00", "2"]]
    nothing = client.get(f"/sales?{WEEK}&channel=app&category=socks").text
    assert "Nothing matches the filters in this period." in nothing


def test_htmx_sort_keeps_the_filters(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get(
        f"/sales?{WEEK}&by=product&channel=app&sort=key",
        headers={"HX-Request": "true", "HX-Target": "breakdown"},
    )
    assert [row[0] for row in rows_of(answer.text)] == ["C"]


def test_top_products(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/sales?{WEEK}").text
    top = page.split("<h2>Top products", 1)[1].split("</table>", 1)[0]
    names = re.findall(r"Product ([ABC])", top)
    assert names == ["C", "B", "A"]


def _csv(client, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.text)))


def test_csv_downloads(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    metrics = ["orders", "gross_sales", "discounts", "returns", "net_sales", "units_sold",
               "average_order_value"]  # fmt: skip
    assert _csv(client, f"/sales.csv?{WEEK}&sort=key&dir=desc&page=2&per_page=1") == [
        ["channel", *metrics],
        ["web", "1", "50.00", "5.00", "70.00", "-25.00", "3", "45.00"],
        ["app", "1", "100.00", "0.00", "0.00", "100.00", "1", "100.00"],
    ]  # every row, in the page's order
    answer = client.get(f"/sales.csv?{WEEK}&by=discount-code")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="sales_discount-code_2025-03-01_2025-03-07.csv"'
    )
    # O1 has SPRING5; O2 none, and R2 (for O4, no code) is a return without a code.
    assert list(csv.reader(io.StringIO(answer.text)))[1:] == [
        ["", "1", "100.00", "0.00", "60.00", "40.00", "1", "100.00"],
        ["SPRING5", "1", "50.00", "5.00", "10.00", "35.00", "3", "45.00"],
    ]
    series = _csv(client, f"/sales.csv?{WEEK}&table=series")
    assert series[0][-3:] == ["previous_start", "previous_end", "previous_net_sales"]
    assert series[4] == ["2025-03-04", "2025-03-04", "2025-03-04", "0", "0.00", "0.00", "10.00",
                         "-10.00", "0", "", "2025-02-25", "2025-02-25", "50.00"]  # fmt: skip
    top = _csv(client, f"/sales.csv?{WEEK}&table=top&category=socks")
    assert top == [["sku", "name", *metrics[:-1]],  # no average order value per product
                   ["A", "Product A", "1", "20.00", "5.00", "0.00", "15.00", "2"]]  # fmt: skip


@pytest.mark.parametrize(
    "query, args",
    [
        (WEEK, ["--from", "2025-03-01", "--to", "2025-03-07"]),
        (f"{WEEK}&by=product&top=2&grain=week",
         ["--from", "2025-03-01", "--to", "2025-03-07", "--by", "product", "--top", "2",
          "--grain", "week"]),
        ("by=discount-code&grain=month", ["--by", "discount-code", "--grain", "month"]),
        ("from=2025-02-01&by=category", ["--from", "2025-02-01", "--by", "category"]),
    ],
)  # fmt: skip
def test_api_equals_the_cli_json(client_for, tokens, shop_workspace, cli, query, args) -> None:  # type: ignore[no-untyped-def]
    answer = client_for(None).client.get(
        f"/api/v1/sales?{query}", headers={"Authorization": f"Bearer {tokens['commerce']}"}
    )
    assert answer.status_code == 200, answer.text
    result = cli("sales", "-w", shop_workspace.workspace, "--json", *args)
    assert result.code == 0, result.err
    assert answer.json() == result.json()


def test_api_filters_and_comparison(client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    answer = client_for(None).client.get(
        f"/api/v1/sales?{WEEK}&channel=web&compare=previous&by=channel",
        headers={"Authorization": f"Bearer {tokens['commerce']}"},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["filters"] == {"channel": "web", "category": None}
    assert data["totals"]["net_sales"] == "-25.00"
    assert [row["key"] for row in data["breakdown"]["rows"]] == ["web"]
    previous = data["previous"]
    assert (previous["from"], previous["to"]) == ("2025-02-22", "2025-02-28")
    assert previous["totals"]["net_sales"] == "50.00" and len(previous["series"]) == 7
    assert data["change"]["net_sales"] == {"absolute": "-75.00", "relative": -1.5}
    socks = (
        client_for(None)
        .client.get(
            f"/api/v1/sales?{WEEK}&category=socks",
            headers={"Authorization": f"Bearer {tokens['commerce']}"},
        )
        .json()
    )
    assert (
        socks["totals"]["net_sales"] == "15.00" and socks["totals"]["average_order_value"] is None
    )
    assert "previous" not in socks  # compare=none by default, as the CLI


def test_filtered_csvs(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    series = _csv(client, f"/sales.csv?{WEEK}&table=series&channel=app")
    assert [row[7] for row in series[1:]] == ["0.00", "0.00", "100.00", "0.00", "0.00", "0.00", "0.00"]  # fmt: skip
    top = _csv(client, f"/sales.csv?{WEEK}&table=top&channel=app")
    assert [row[0] for row in top[1:]] == ["C"]


@pytest.mark.parametrize(
    "url",
    [
        f"/sales?{WEEK}&grain=year",
        f"/sales?{WEEK}&by=colour",
        f"/sales?{WEEK}&sort=price",
        f"/sales?{WEEK}&dir=up",
        f"/sales?{WEEK}&page=0",
        f"/sales?{WEEK}&per_page=10000",
        "/sales?from=2025-03-07&to=2025-03-01",
        "/sales?from=yesterday",
        f"/sales.csv?{WEEK}&table=everything",
        "/api/v1/sales?grain=year",
        "/api/v1/sales?by=colour",
        "/api/v1/sales?top=0",
        "/api/v1/sales?from=2025-03-07&to=2025-03-01",
        "/api/v1/sales?compare=lastweek",
        f"/api/v1/sales?channel={'x' * 201}",
        f"/sales?{WEEK}&category={'x' * 201}",
        f"/sales?{WEEK}&compare=lastweek",
    ],
)
def test_bad_parameters_are_422(client_for, tokens, url) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {tokens['viewer']}"} if url.startswith("/api/") else {}
    answer = client_for("viewer").client.get(url, headers=headers)
    assert answer.status_code == 422, answer.text
