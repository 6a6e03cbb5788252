"""The Stock page and GET /api/v1/stock on the stock test shop (tests/commerce/stock_data.py).

Worked out by hand with the defaults (28-day demand window ending on the as-of day, lead time
14 days), as of 2025-03-28 with stock-outs counted since 2025-03-15:
- OUTS: counted from 10 March (5), out 18..24 March (7 stock-out days, one sale on the 23rd),
  3 on hand from the 25th. In-stock days of the window: 10..17 (8) + 23 + 25..28 (4) = 13;
  units 2+1+3+1+2 = 9: velocity 9/13, cover 3 ÷ 9/13 = 4.33 days, runs out 28 Mar + 4 = 1 Apr;
  lost sales 9/13 × 7 × 20.00 = 96.92.
- OUTALL: counted 0 since 1 March, sold 1 on 5 March (an in-stock day for demand): velocity 1,
  cover 0, at risk; 14 stock-out days since the 15th × 8.00 = 112.00 lost.
- STEADY (50 on hand, 1 a day: 50 days) and ARCH (archived) are not at risk.
- Stock value at cost: STEADY 50 × 4 + OUTS 3 × 8 + DEAD 12 × 5 + ARCH 1 × 10 = 294.00 (NEW has
  no cost, NOINV no count). DEAD: no sale since Nov 2024 → dead, 60.00; NEW: never sold → slow.
- Revenue since 15 March: STEADY 280, NOINV 200, OUTS 180, ARCH 60 (720): A while the revenue
  before < 576: STEADY, NOINV, OUTS (660, 91.7 %); ARCH is B; the rest C.
"""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from storeops.core.settings import Settings
from storeops.web.app import create_app
from tests.commerce.shop import write_rows
from tests.commerce.stock_data import stock_rows
from tests.web.conftest import add_users, email_of, sign_in

PERIOD = "from=2025-03-15&to=2025-03-28"


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """The test workspace with the stock shop as its warehouse (replaces conftest's)."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    write_rows(path, stock_rows())
    return workspace


def card(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</article>", 1)[0]


def table_skus(page: str) -> list[str]:
    body = page.split('id="stock-table"', 1)[1].split("</tbody>", 1)[0]
    cells = body.split('<th scope="row" class="key"><span class="nowrap">')[1:]
    return [cell.split("<", 1)[0] for cell in cells]


def test_risk_view_worked_out_on_paper(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("commerce").client.get(f"/stock?{PERIOD}").text
    assert "As of Fri 28 Mar 2025" in page and "since Sat 15 Mar 2025" in page
    assert ">2</p>" in card(page, "SKUs at risk")
    assert "€208.92" in card(page, "Lost sales")  # 96.92 + 112.00
    assert "€294.00" in card(page, "Stock value")
    assert "€60.00" in card(page, "Dead stock") and "€0.00" in card(page, "Slow stock")
    assert table_skus(page) == ["OUTALL", "OUTS"]  # fewest days of cover first
    outs = page.split("OUTS</span>", 1)[1].split("</tr>", 1)[0]
    assert ">4.3<" in outs and "Tue 1 Apr 2025" in outs and "€96.92" in outs


def test_the_page_opens_on_the_clis_default_period(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/stock").text
    # the last day with orders, and the 28-day demand window before it
    assert "As of Fri 28 Mar 2025" in page and "since Sat 1 Mar 2025" in page


def test_abc_matrix_counts_and_revenue(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/stock?{PERIOD}&view=abc").text
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    rows = {row.split("</th>")[0][-1]: row for row in matrix.split('<th scope="row">')[1:]}
    assert '<span class="n">91.7%</span><span class="v">3 SKUs</span>' in rows["A"]
    assert '<span class="n">8.3%</span><span class="v">1 SKUs</span>' in rows["B"]
    assert '<span class="n">0.0%</span><span class="v">3 SKUs</span>' in rows["C"]
    assert table_skus(page) == ["STEADY", "NOINV", "OUTS", "ARCH", "DEAD", "NEW", "OUTALL"]


def test_dead_and_slow_with_their_badges(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/stock?{PERIOD}&view=dead").text
    assert table_skus(page) == ["DEAD", "NEW"]  # dead first, then slow
    assert 'badge-dead">dead' in page and 'badge-slow">slow' in page


def test_sorted_and_paged_on_the_server(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get(f"/stock?{PERIOD}&view=all&sort=sku&dir=asc&per_page=2&page=2").text
    assert table_skus(page) == ["NEW", "NOINV"]  # ARCH DEAD | NEW NOINV | OUTALL OUTS | STEADY
    assert "3–4 of 7" in page and "Page 2 of 4" in page
    page = client.get(f"/stock?{PERIOD}&view=all&sort=revenue&dir=asc&per_page=4").text
    # DEAD, NEW and OUTALL sold nothing since the 15th (ties keep the revenue order), then ARCH
    assert table_skus(page) == ["DEAD", "NEW", "OUTALL", "ARCH"]


def test_htmx_sorting_swaps_the_table_alone(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get(
        f"/stock?{PERIOD}&view=all&sort=sku",
        headers={"HX-Request": "true", "HX-Target": "stock-table"},
    )
    assert answer.status_code == 200
    assert 'id="stock-table"' in answer.text and "kpi-cards" not in answer.text
    assert "<html" not in answer.text


def test_category_filter(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/stock?{PERIOD}&view=all&category=toys").text
    assert table_skus(page) == [] and "No SKUs." in page
    # the cards are the category's too: no toy is at risk or lost a sale
    assert 'class="kpi-value">0<' in card(page, "SKUs at risk")
    assert 'class="kpi-value">€0.00<' in card(page, "Lost sales")


def test_api_category(client, tokens) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    every = client.get(f"/api/v1/stock?{PERIOD}", headers=headers).json()
    gear = client.get(f"/api/v1/stock?{PERIOD}&category=gear", headers=headers).json()
    assert gear == every  # every SKU of the shop is gear
    toys = client.get(f"/api/v1/stock?{PERIOD}&category=toys", headers=headers).json()
    assert (toys["totals"]["skus"], toys["totals"]["lost_sales"], toys["skus"]) == (0, "0.00", [])


def test_csv_is_the_tables_rows(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get(f"/stock.csv?{PERIOD}&view=risk")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "stock_risk_2025-03-15_2025-03-28.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "sku", "title", "category", "on_hand", "velocity", "previous_velocity", "days_of_cover",
        "stockout_date", "reorder_point", "reorder_qty", "lost_sales", "previous_lost_sales",
    ]  # fmt: skip
    assert [(r["sku"], r["on_hand"], r["stockout_date"], r["lost_sales"]) for r in rows] == [
        ("OUTALL", "0", "2025-03-28", "112.00"),
        ("OUTS", "3", "2025-04-01", "96.92"),
    ]
    # The 14 days before (as of 14 March, demand since 15 February): OUTALL sold its one unit
    # on its one in-stock day (5 March) and was out all 14 days: 1 × 14 × 8.00; OUTS, counted
    # from 10 March, had not sold yet.
    assert [(r["previous_velocity"], r["previous_lost_sales"]) for r in rows] == [
        ("1.0", "112.00"),
        ("0.0", "0.00"),
    ]
    plain = client_for("viewer").client.get(f"/stock.csv?{PERIOD}&view=risk&compare=none")
    assert {r["previous_velocity"] for r in csv.DictReader(io.StringIO(plain.text))} == {""}


def test_cards_and_skus_against_the_days_before(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/stock?{PERIOD}").text
    assert "vs Sat 1 Mar 2025 – Fri 14 Mar 2025" in page
    # At risk: OUTALL and OUTS now, OUTALL alone then (OUTS did not sell yet: no velocity).
    assert 'kpi-change bad">+100.0% <span class="muted">vs 1<' in card(page, "SKUs at risk")
    # Lost sales 112.00 + 96.92 against OUTALL's 112.00 then.
    lost = card(page, "Lost sales")
    assert "€208.92" in lost and 'kpi-change bad">+86.5% <span class="muted">vs €112.00' in lost
    stock_value = card(page, "Stock value")
    assert 'class="kpi-change "' in stock_value  # neither good nor bad news
    # In the table: OUTS' velocity is new, OUTALL's did not move.
    table = page.split('id="stock-table"', 1)[1]
    outs = table.split("OUTS</span>", 1)[1].split("</tr>", 1)[0]
    assert 'title="0.00 in the compared period">new</div>' in outs
    outall = table.split("OUTALL</span>", 1)[1].split("</tr>", 1)[0]
    assert ">+0.0%</div>" in outall


def test_api_comparison(client, tokens) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    data = client.get(f"/api/v1/stock?{PERIOD}&view=risk&compare=previous", headers=headers).json()
    assert (data["previous"]["from"], data["previous"]["to"]) == ("2025-03-01", "2025-03-14")
    assert data["previous"]["totals"]["lost_sales"] == "112.00"
    assert data["change"]["totals"]["at_risk"] == {"absolute": 1, "relative": 1.0}
    outall = data["skus"][0]
    assert outall["sku"] == "OUTALL" and outall["previous"]["lost_sales"] == "112.00"
    assert outall["change"]["velocity"] == {"absolute": 0.0, "relative": 0.0}


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("", []),
        (f"{PERIOD}&view=risk", ["--from", "2025-03-15", "--to", "2025-03-28", "--risk"]),
        ("to=2025-03-28&view=dead&limit=1", ["--to", "2025-03-28", "--dead", "--limit", "1"]),
        ("from=2025-03-01&view=abc", ["--from", "2025-03-01", "--abc"]),
    ],
)
def test_api_is_the_json_of_storeops_stock(
    client, tokens, shop_workspace, cli, query, flags
) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/stock?{query}", headers={"Authorization": f"Bearer {tokens['viewer']}"}
    )
    assert answer.status_code == 200, answer.text
    command = cli("stock", *flags, "-w", shop_workspace.workspace, "--json")
    assert command.code == 0, command.err
    assert answer.json() == command.json()


@pytest.mark.parametrize(
    "query",
    [
        "view=bogus",
        "sort=bogus",
        "dir=sideways",
        "page=0",
        "per_page=0",
        "from=2025-03-28&to=2025-03-01",
        "from=2025-04-01",  # after the last day with orders
        "to=yesterday",
        "compare=lastweek",
    ],
)
def test_bad_parameters_are_422(client_for, tokens, query) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    assert client.get(f"/stock?{query}").status_code == 422
    if not query.startswith(("page", "per_page")):  # the CSV has every row
        assert client.get(f"/stock.csv?{query}").status_code == 422
    if not query.startswith(("sort", "dir", "page", "per_page")):
        api = client.get(
            f"/api/v1/stock?{query}", headers={"Authorization": f"Bearer {tokens['viewer']}"}
        )
        assert api.status_code == 422


def test_api_limit_is_validated(client, tokens) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        "/api/v1/stock?limit=0", headers={"Authorization": f"Bearer {tokens['it']}"}
    )
    assert answer.status_code == 403  # it may not see stock at all
    answer = client.get(
        "/api/v1/stock?limit=0", headers={"Authorization": f"Bearer {tokens['viewer']}"}
    )
    assert answer.status_code == 422


@pytest.mark.parametrize("area", ["stock", "aftersales", "promotions", "baskets"])
def test_pages_without_orders_say_how_to_get_some(workspace, area) -> None:  # type: ignore[no-untyped-def]
    add_users(workspace)
    with TestClient(create_app(workspace), follow_redirects=False) as client:
        sign_in(client, email_of("viewer"))
        page = client.get(f"/{area}")
        assert page.status_code == 200 and "No orders yet" in page.text
        download = client.get(f"/{area}.csv")
        assert download.status_code == 200 and len(download.text.splitlines()) == 1  # header
