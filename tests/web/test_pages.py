"""The pages: Overview (KPI cards, chart, CSV), audit, users, errors, assets and formatting."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import plotly
import pytest
from fastapi.testclient import TestClient

from storeops.web import formatting
from storeops.web.app import create_app
from tests.web.conftest import add_users, email_of, sign_in

WEEK = "/?from=2025-03-01&to=2025-03-07"


def figure_in(page: str) -> dict:
    [raw] = re.findall(r'data-plotly="([^"]*)"', page)
    return json.loads(html.unescape(raw))


def test_overview_shows_the_week_against_the_week_before(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get(WEEK).text
    assert "Sat 1 Mar 2025 – Fri 7 Mar 2025" in page
    assert "vs Sat 22 Feb 2025 – Fri 28 Feb 2025" in page
    net = page.split("<h2>Net sales</h2>", 1)[1].split("</article>", 1)[0]
    assert "€75.00" in net and "+50.0%" in net and "vs €50.00" in net
    # Returns went from 0 to 70: "new", and a rise of returns is bad news.
    returns = page.split("<h2>Returns</h2>", 1)[1].split("</article>", 1)[0]
    assert "€70.00" in returns and 'class="kpi-change bad"' in returns and "new" in returns


def test_net_sales_chart_by_day_worked_out_on_paper(client_for) -> None:  # type: ignore[no-untyped-def]
    figure = figure_in(client_for("commerce").client.get(WEEK).text)
    current, previous = figure["data"]
    assert current["x"] == [f"2025-03-0{d}" for d in range(1, 8)]
    # 1 Mar: O1 50 − 5; 2 Mar: refund R2 −60; 3 Mar: O2 100; 4 Mar: refund R1 −10; O3 is voided.
    assert current["y"] == [45.0, -60.0, 100.0, -10.0, 0.0, 0.0, 0.0]
    # The week before, drawn under the same days: O4 on 25 Feb, 60 − 10.
    assert previous["y"] == [0.0, 0.0, 0.0, 50.0, 0.0, 0.0, 0.0]
    assert previous["customdata"][0] == "2025-02-22"


def test_overview_opens_on_the_last_30_days_with_data(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/?compare=none").text
    assert "Fri 7 Feb 2025 – Sat 8 Mar 2025 · 30 days" in page  # the shop's last order: 8 March
    assert len(figure_in(page)["data"]) == 1


def test_overview_without_orders_says_how_to_get_some(workspace) -> None:  # type: ignore[no-untyped-def]
    add_users(workspace)
    with TestClient(create_app(workspace), follow_redirects=False) as client:
        sign_in(client, email_of("viewer"))
        page = client.get("/")
        csv = client.get("/kpis.csv")
    assert page.status_code == 200 and "No orders yet" in page.text and "storeops demo" in page.text
    assert csv.text.splitlines() == ["kpi,label,from,to,value,previous,change,change_relative"]


def test_kpi_csv(client_for) -> None:  # type: ignore[no-untyped-def]
    answer = client_for("viewer").client.get("/kpis.csv?from=2025-03-01&to=2025-03-07")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        answer.headers["content-disposition"]
        == 'attachment; filename="kpis_2025-03-01_2025-03-07.csv"'
    )
    rows = answer.text.splitlines()
    assert rows[0] == "kpi,label,from,to,value,previous,change,change_relative"
    assert "net_sales,Net sales,2025-03-01,2025-03-07,75.00,50.00,25.00,0.5" in rows
    assert "returns,Returns,2025-03-01,2025-03-07,70.00,0.00,70.00," in rows  # no relative change
    assert len(rows) == 1 + 17


def test_bad_page_parameters_get_a_friendly_422_page(client_for) -> None:  # type: ignore[no-untyped-def]
    viewer = client_for("viewer").client
    answer = viewer.get("/?from=someday")
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    assert "Some values are not valid" in answer.text and "from:" in answer.text
    backwards = viewer.get("/?from=2025-03-07&to=2025-03-01")
    assert (
        backwards.status_code == 422 and "from 2025-03-07 is after to 2025-03-01" in backwards.text
    )
    forbidden = viewer.get("/audit")
    assert forbidden.status_code == 403 and "Not for your role" in forbidden.text


def test_admins_add_users_and_see_the_password_once(client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    answer = admin.client.post(
        "/users", data={"email": "New@Shop.example", "role": "it", "csrf_token": admin.csrf}
    )
    assert answer.status_code == 201
    [password] = re.findall(r'<code class="secret">([^<]+)</code>', answer.text)
    assert len(password) >= 16
    assert password not in admin.client.get("/users").text
    again = admin.client.post(
        "/users", data={"email": "new@shop.example", "role": "viewer", "csrf_token": admin.csrf}
    )
    assert again.status_code == 422 and "a user new@shop.example exists already" in again.text
    audit = admin.client.get("/audit?action=user.create").text
    assert "new@shop.example" in audit and password not in audit


def test_every_asset_is_served_locally(client_for, client) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin").client
    pages = [admin.get(url).text for url in (WEEK, "/audit", "/users", "/api/docs")]
    pages.append(client.get("/login").text)
    for page in pages:
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            if asset.startswith("/static/"):
                assert client.get(asset).status_code == 200, asset
    plotly_js = client.get("/static/vendor/plotly.min.js")
    assert (
        plotly_js.content
        == (Path(plotly.__file__).parent / "package_data/plotly.min.js").read_bytes()
    )
    assert client.get("/static/vendor/htmx.min.js").text.startswith("/*! htmx.org 2.")


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/login")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/static/app.css").headers


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (Decimal("1234567.5"), "EUR", "€1,234,567.50"),
        (Decimal("-60"), "USD", "−$60.00"),
        (Decimal("12"), "CHF", "12.00 CHF"),
        (None, "EUR", "—"),
    ],
)
def test_money_format(value, currency, shown) -> None:  # type: ignore[no-untyped-def]
    assert formatting.money(value, currency) == shown


def test_number_and_date_formats() -> None:
    assert formatting.count(1234567) == "1,234,567"
    assert formatting.rate(0.1234) == "12.3%"
    assert formatting.change({"absolute": Decimal("25"), "relative": 0.5}) == "+50.0%"
    assert formatting.change({"absolute": 2, "relative": None}) == "new"
    assert formatting.change({"absolute": -0.012, "relative": -0.1}, points=True) == "-1.2 pts"
    assert formatting.change({"absolute": None, "relative": None}) == ""
    assert formatting.localdate(date(2025, 3, 1)) == "Sat 1 Mar 2025"
    # 23:30 UTC on 7 March is 00:30 on 8 March in Paris; naive stored times are UTC.
    assert (
        formatting.localtime(datetime(2025, 3, 7, 23, 30, tzinfo=UTC), "Europe/Paris")
        == "8 Mar 2025 00:30"
    )
    assert formatting.localtime(datetime(2025, 7, 1, 12, 0), "Europe/Paris") == "1 Jul 2025 14:00"
