"""The Promotions page and GET /api/v1/promotions on the promotions test shop
(tests/commerce/promotions_data.py, whose docstring works the figures out on paper):
spring (7-9 Feb 2025) with weeks=4 and after_days=2 sold 280, 355 and 100 against baselines of
120, 245 and 65 (incremental 305.00), then 100 and 90 against 150 and 100 (dip 60.00).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from storeops.core.settings import Settings
from tests.commerce.promotions_data import build_promotions_shop

SPRING = "from=2025-02-07&to=2025-02-09&after_days=2"


@pytest.fixture
def shop_workspace(workspace: Settings) -> Settings:
    """The promotions shop as the workspace's warehouse (replaces conftest's)."""
    path = workspace.duckdb_path()
    assert path is not None
    path.unlink()
    build_promotions_shop(path)
    return workspace


def figure_in(page: str) -> dict:
    [raw] = re.findall(r'data-plotly="([^"]*)"', page)
    return json.loads(html.unescape(raw))


def table_keys(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = body.split('<th scope="row" class="key"><span class="nowrap">')[1:]
    return [re.sub(r"<[^>]+>", "", cell.split("</span>", 1)[0]) for cell in cells]


def test_spring_against_its_baseline(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("commerce").client.get(f"/promotions?{SPRING}&campaign=spring").text
    actual, after, baseline = figure_in(page)["data"]
    assert actual["x"] == ["2025-02-07", "2025-02-08", "2025-02-09"]
    assert actual["y"] == [280.0, 355.0, 100.0]
    assert (after["x"], after["y"]) == (["2025-02-10", "2025-02-11"], [100.0, 90.0])
    assert baseline["y"] == [120.0, 245.0, 65.0, 150.0, 100.0]
    assert "incremental €305.00 (+70.9%)" in page and "dip after €60.00" in page
    assert table_keys(page, "campaigns-table") == ["welcome", "spring"]
    spring = page.split('class="selected"', 1)[1].split("</tr>", 1)[0]
    assert "spring" in spring and "€635.00" in spring and "€115.00" in spring  # codes' orders
    assert "€735.00" in spring and "€430.00" in spring and "€305.00" in spring
    welcome = page.split("welcome</a>", 1)[1].split("</tr>", 1)[0]
    assert "no baseline" in welcome  # it starts with the data


def test_the_page_opens_on_the_last_year_with_data(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/promotions").text
    # The data runs 6 Jan .. 28 Feb 2025: less than a year, so all of it.
    assert "between Mon 6 Jan 2025 and Fri 28 Feb 2025" in page
    # undated first, then by first day (the domain's order)
    assert table_keys(page, "campaigns-table") == [
        "influencer", "launch", "welcome", "flash", "spring", "flash",
    ]  # fmt: skip


def test_a_second_run_is_charted_when_asked(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/promotions?campaign=flash&run=2025-02-20").text
    actual = figure_in(page)["data"][0]
    assert actual["x"][0] == "2025-02-20"  # not the first run's 22 January
    assert "Thu 20 Feb 2025 – Thu 20 Feb 2025" in page


def test_an_unknown_campaign_falls_back_with_a_note(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/promotions?{SPRING}&campaign=nope").text
    assert "No campaign “nope” in this period; showing spring." in page


def test_codes_sorted_and_paged_on_the_server(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    page = client.get("/promotions?codes_sort=net_sales&codes_dir=desc&codes_per_page=2").text
    # SPRING10 535.00 (180 + 270 + 85, the voided order left out), FLASH 400.00
    assert table_keys(page, "codes-table") == ["SPRING10", "FLASH"]
    assert "1–2 of 8" in page.split('id="codes-table"', 1)[1]
    # the campaign table keeps its own order and paging
    assert table_keys(page, "campaigns-table")[0] == "influencer"


def test_csvs(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    chart = client.get(f"/promotions.csv?{SPRING}&campaign=spring&table=chart").text
    rows = list(csv.DictReader(io.StringIO(chart)))
    assert [(r["date"], r["part"], r["actual"], r["baseline"]) for r in rows] == [
        ("2025-02-07", "campaign", "280.00", "120.00"),
        ("2025-02-08", "campaign", "355.00", "245.00"),
        ("2025-02-09", "campaign", "100.00", "65.00"),
        ("2025-02-10", "after", "100.00", "150.00"),
        ("2025-02-11", "after", "90.00", "100.00"),
    ]
    campaigns = list(csv.DictReader(io.StringIO(client.get(f"/promotions.csv?{SPRING}").text)))
    spring = campaigns[1]
    assert (spring["campaign"], spring["incremental_revenue"], spring["dip"]) == (
        "spring", "305.00", "60.00",
    )  # fmt: skip
    assert (spring["codes"], spring["status"]) == ("SPRING10, SPRINGVIP", "ok")


SECOND_WEEK = "from=2025-02-08&to=2025-02-14&after_days=2"  # against 1–7 February


def card(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</article>", 1)[0]


def test_codes_against_the_week_before(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(f"/promotions?{SECOND_WEEK}").text
    assert "codes vs Sat 1 Feb 2025 – Fri 7 Feb 2025" in page
    # S2, S3, V1, W1, G1, I1 against S1 (200 − 20)
    assert 'kpi-change good">+500.0% <span class="muted">vs 1<' in card(page, "Orders with codes")
    # 270 + 85 + 100 + 70 + 54 + 63 = 642.00 against 180.00
    revenue = card(page, "Revenue with codes")
    assert "€642.00" in revenue and "+256.7%" in revenue and "vs €180.00" in revenue
    # 30 + 15 + 50 + 10 + 6 + 7 = 118.00 against 20.00: more discount given is bad news
    assert 'kpi-change bad">+490.0% <span class="muted">vs €20.00' in card(page, "Discount cost")
    codes = page.split('id="codes-table"', 1)[1]
    spring = codes.split("SPRING10</span>", 1)[1].split("</tr>", 1)[0]
    assert 'title="1 in the compared period">+100.0%</div>' in spring
    assert 'title="€180.00 in the compared period">+97.2%</div>' in spring


def test_codes_comparison_in_the_api_and_csv(client_for, tokens) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer").client
    data = client.get(
        f"/api/v1/promotions?{SECOND_WEEK}&compare=previous",
        headers={"Authorization": f"Bearer {tokens['viewer']}"},
    ).json()
    assert data["coded"]["orders"] == 6 and data["previous"]["coded"]["net_sales"] == "180.00"
    spring = next(code for code in data["codes"] if code["code"] == "SPRING10")
    assert spring["previous"]["orders"] == 1
    assert spring["change"]["net_sales"] == {"absolute": "175.00", "relative": 175 / 180}
    rows = csv.DictReader(
        io.StringIO(client.get(f"/promotions.csv?{SECOND_WEEK}&table=codes").text)
    )
    spring_row = next(row for row in rows if row["code"] == "SPRING10")
    assert (spring_row["previous_orders"], spring_row["previous_net_sales"]) == ("1", "180.00")


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("", []),
        (
            "from=2025-02-01&to=2025-02-28&weeks=3&after_days=2&estimator=trimmed-mean",
            ["--from", "2025-02-01", "--to", "2025-02-28", "--weeks", "3", "--after-days", "2",
             "--estimator", "trimmed-mean"],
        ),
    ],
)  # fmt: skip
def test_api_is_the_json_of_storeops_promotions(
    client, tokens, shop_workspace, cli, query, flags
) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/promotions?{query}", headers={"Authorization": f"Bearer {tokens['viewer']}"}
    )
    assert answer.status_code == 200, answer.text
    command = cli("promotions", *flags, "-w", shop_workspace.workspace, "--json")
    assert command.code == 0, command.err
    assert answer.json() == command.json()


@pytest.mark.parametrize(
    "url",
    [
        "/promotions?weeks=0",
        "/promotions?after_days=0",
        "/promotions?estimator=mean",
        "/promotions?run=someday",
        "/promotions?sort=bogus",
        "/promotions?codes_dir=up",
        "/promotions?from=2025-02-09&to=2025-02-07",
        "/promotions.csv?table=everything",
        "/api/v1/promotions?weeks=0",
        "/api/v1/promotions?estimator=mean",
        "/promotions?compare=lastweek",
        "/api/v1/promotions?compare=lastweek",
    ],
)
def test_bad_parameters_are_422(client_for, url) -> None:  # type: ignore[no-untyped-def]
    signed_in = client_for("viewer")
    answer = signed_in.client.get(url, headers={"X-CSRF-Token": signed_in.csrf})
    assert answer.status_code == 422
