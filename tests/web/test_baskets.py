"""The Baskets page and GET /api/v1/baskets on the sales test shop's June baskets
(tests/commerce/sales_data.py; figures of tests/commerce/test_baskets.py): with min_support=2 and
max_basket=10 on 2 June 2025, N = 9 orders; pairs PQ 4 (lift 4×9/(6×4) = 1.5), PT 2 (1.5),
RS 3 (1.35), PR 3 (0.9), QR 2 (0.9). With max_basket=4, K9 (5 SKUs) is left out.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from storeops.core.settings import Settings
from tests.commerce.sales_data import build_sales_shop

JUNE = "from=2025-06-01&to=2025-06-30&min_support=2&max_basket=10"


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """The sales shop (with its baskets) as the workspace's warehouse (replaces conftest's)."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    build_sales_shop(path)
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
        "sku_a", "name_a", "sku_b", "name_b", "orders", "support", "confidence_a_b",
        "confidence_b_a", "lift", "orders_a", "orders_b",
    ]  # fmt: skip
    first = rows[0]
    assert (first["sku_a"], first["sku_b"], first["orders"], first["orders_a"]) == (
        "P", "Q", "4", "6",
    )  # fmt: skip
    assert float(first["lift"]) == pytest.approx(1.5)


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
    ["min_support=0", "max_basket=1", "top=0", "from=2025-06-30&to=2025-06-01", "to=June"],
)
def test_bad_parameters_are_422(client_for, query) -> None:  # type: ignore[no-untyped-def]
    signed_in = client_for("viewer")
    for path in ("/baskets", "/baskets.csv", "/api/v1/baskets"):
        answer = signed_in.client.get(f"{path}?{query}", headers={"X-CSRF-Token": signed_in.csrf})
        assert answer.status_code == 422, path
    answer = signed_in.client.get("/baskets?sort=lift&dir=sideways")
    assert answer.status_code == 422
