"""The Baskets page and GET /api/v1/baskets on the sales test shop's June baskets
(tests/commerce/sales_data.py; figures of tests/commerce/test_baskets.py): with min_support=2 and
max_basket=10 on 2 June 2025, N = 9 orders; pairs PQ 4 (lift 4×9/(6×4) = 1.5), PT 2 (1.5),
RS 3 (1.35), PR 3 (0.9), QR 2 (0.9). With max_basket=4, K9 (5 SKUs) is left out.

Added here for the comparison with the 30 days before June (2–31 May): on 30 May, M1 and M2
hold P and Q, M3 P alone: N = 3, P 3, Q 2, PQ 2, lift 2×3/(3×2) = 1.0; R, S, T did not sell.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from storeops.core.settings import Settings
from tests.commerce.sales_data import build_sales_shop
from tests.commerce.shop import _line, _order, write_rows

JUNE = "from=2025-06-01&to=2025-06-30&min_support=2&max_basket=10"


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """The sales shop (with its baskets) as the workspace's warehouse (replaces conftest's)."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    build_sales_shop(path)
    may = date(2025, 5, 30)
    write_rows(
        path,
        {
            "orders": [_order(order, may, 10, f"m{order}") for order in ("M1", "M2", "M3")],
            "order_lines": [
                _line("M1", 1, "P", 1, "5"),
                _line("M1", 2, "Q", 1, "5"),
                _line("M2", 1, "P", 1, "5"),
                _line("M2", 2, "Q", 1, "5"),
                _line("M3", 1, "P", 1, "5"),
            ],
        },
    )
    return workspace


def pairs(page: str) -> list[tuple[str, str]]:
    body = page.split('id="pairs-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<(?:th|td)[^>]*>(.*?)</(?:th|td)>", row, re.S)
        text = [re.sub(r"<[^>]+>", " ", c).split() for c in cells]
        found.append((text[0][0], text[1][0]))
    return found


def test_pairs_by_lift_worked_out_on_paper(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("commerce").client.get(f"/baskets?{JUNE}").text
    assert pairs(page) == [("P", "Q"), ("P", "T"), ("R", "S"), ("P", "R"), ("Q", "R")]
    first = page.split('id="pairs-table"', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    # 4 orders together, support 4/9, P→Q 4/6, Q→P 4/4, lift 1.50; the name as sold
    for text in ("Product P", ">4<", "44.44%", "66.7%", "100.0%", "1.50"):
        assert text in first, text
    assert ">9</p>" in page and "0 left out (over 10 SKUs)" in page


def test_max_basket_and_min_support_controls(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get("/baskets?from=2025-06-01&to=2025-06-30&min_support=2&max_basket=4").text
    assert ">8</p>" in page and "1 left out (over 4 SKUs)" in page
    page = client.get("/baskets?from=2025-06-01&to=2025-06-30&min_support=5").text
    assert "<tbody>" not in page and "lower the minimum" in page  # P is in 5, but no pair


def test_sorted_and_paged_on_the_server(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get(f"/baskets?{JUNE}&sort=orders&dir=desc&per_page=2&page=1").text
    assert pairs(page) == [("P", "Q"), ("R", "S")]  # 4, then 3 (RS before PR: lift order)
    assert "Page 1 of 3" in page
    page = client.get(f"/baskets?{JUNE}&sort=sku_b&dir=asc&per_page=2&page=3").text
    assert pairs(page) == [("P", "T")]


def test_csv(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get(f"/baskets.csv?{JUNE}")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "sku_a", "name_a", "sku_b", "name_b", "orders", "previous_orders", "support",
        "confidence_a_b", "confidence_b_a", "lift", "previous_lift", "orders_a", "orders_b",
    ]  # fmt: skip
    first = rows[0]
    assert (first["sku_a"], first["sku_b"], first["orders"], first["orders_a"]) == (
        "P", "Q", "4", "6",
    )  # fmt: skip
    assert float(first["lift"]) == pytest.approx(1.5)
    assert (first["previous_orders"], float(first["previous_lift"])) == ("2", 1.0)
    assert rows[1]["previous_lift"] == ""  # P and T: T did not sell in May


def test_pairs_against_the_days_before(client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get(f"/baskets?{JUNE}").text
    assert "vs Fri 2 May 2025 – Sat 31 May 2025" in page
    first = page.split('id="pairs-table"', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert 'title="2 in the compared period">+100.0%</div>' in first  # orders together
    assert 'title="1.00 in the compared period">+50.0%</div>' in first  # lift
    lift_up = page.split("<h2>Lift up</h2>", 1)[1].split("</article>", 1)[0]
    assert ">1</p>" in lift_up and "of 1 with both products sold then" in lift_up
    assert "<h2>Lift up</h2>" not in client.get(f"/baskets?{JUNE}&compare=none").text
    data = client.get(
        f"/api/v1/baskets?{JUNE}&compare=previous",
        headers={"Authorization": f"Bearer {tokens['viewer']}"},
    ).json()
    assert data["previous"] == {"from": "2025-05-02", "to": "2025-05-31", "orders": 3}
    pq = data["pairs"][0]
    assert pq["previous"]["lift"] == 1.0 and pq["change"]["lift"]["absolute"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("", []),
        (f"{JUNE}&top=3", ["--from", "2025-06-01", "--to", "2025-06-30", "--min-support", "2",
                           "--max-basket", "10", "--top", "3"]),
    ],
)  # fmt: skip
def test_api_is_the_json_of_storeops_baskets(
    client, tokens, shop_workspace, cli, query, flags
) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/baskets?{query}", headers={"Authorization": f"Bearer {tokens['viewer']}"}
    )
    assert answer.status_code == 200, answer.text
    command = cli("baskets", *flags, "-w", shop_workspace.workspace, "--json")
    assert command.code == 0, command.err
    assert answer.json() == command.json()


@pytest.mark.parametrize(
    "query",
    [
        "min_support=0",
        "max_basket=1",
        "top=0",
        "from=2025-06-30&to=2025-06-01",
        "to=June",
        "compare=lastmonth",
    ],
)
def test_bad_parameters_are_422(client_for, query) -> None:  # type: ignore[no-untyped-def]
    signed_in = client_for("viewer")
    for path in ("/baskets", "/baskets.csv", "/api/v1/baskets"):
        answer = signed_in.client.get(f"{path}?{query}", headers={"X-CSRF-Token": signed_in.csrf})
        assert answer.status_code == 422, path
    answer = signed_in.client.get("/baskets?sort=lift&dir=sideways")
    assert answer.status_code == 422
