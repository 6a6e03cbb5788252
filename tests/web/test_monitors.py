"""The Monitors pages and /api/v1/monitors (with services, SLOs, maintenance windows and channels)
over the seeded reliability state of tests/web/reliability_data.py, on SQLite and PostgreSQL.

Worked out by hand: every monitor ran CHECKS = 6 checks of 40, 60, 90, 120, 180 and 400 ms.
Their 24-hour p95 lies in the 300-500 ms bucket, which holds the one 400 ms check: rank
0.95 × 6 = 5.7, 5 checks below the bucket, so 300 + (400 − 300) × 0.7 = 370 ms (the slowest
check caps the bucket). search-api failed its last 4 checks: 2 of 6 passed, 33.3 % uptime.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from storeops.db.engine import engine_for, session_factory
from storeops.monitoring.models import Monitor, MonitorState, NotificationChannel
from storeops.monitoring.spec import ChannelSpec, MonitorSpec
from storeops.web.app import create_app
from tests.web import reliability_data
from tests.web.conftest import add_users, email_of, sign_in
from tests.web.reliability_data import NOW, Seeded, seed_workspace

seeded = reliability_data.seeded  # fixtures
signed_in = reliability_data.signed_in

NAMES = ["admin-page", "checkout-api", "checkout-page", "search-api", "shop-cert"]


def table_names(page: str) -> list[str]:
    body = page.split('id="monitors-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/monitors/\d+">([^<]+)</a>', body)


def row_of(page: str, name: str) -> str:
    return page.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]


def alert_in(page: str) -> str:
    found = re.search(r'class="alert alert-error" role="alert">([^<]*)<', page)
    assert found, "no error shown"
    return html.unescape(found.group(1))


def test_list_shows_state_uptime_and_latency(signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in("viewer").client.get("/monitors").text
    assert "5 monitors" in page
    assert table_names(page) == NAMES
    search = row_of(page, "search-api")
    assert "Down" in search and "33.3%" in search and "370 ms" in search
    assert "[STATUS] (503) == 200" in search
    checkout = row_of(page, "checkout-api")
    assert "Up" in checkout and checkout.count("100.0%") == 2 and "370 ms" in checkout
    assert "storeops.toml" in row_of(page, "checkout-page")  # declared in the file
    assert "Add a monitor" not in page  # viewers read only


def test_search_filters_and_pages_in_the_database(signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in("it").client
    assert table_names(client.get("/monitors?q=CHECKOUT").text) == ["checkout-api", "checkout-page"]
    assert table_names(client.get("/monitors?status=down").text) == ["search-api"]
    assert table_names(client.get("/monitors?service=checkout&q=shop").text) == ["shop-cert"]
    assert "No monitor matches." in client.get("/monitors?q=nothing%25like").text
    second = client.get("/monitors?per_page=2&page=2").text
    assert table_names(second) == ["checkout-page", "search-api"]
    assert "3–4 of 5" in second and "Page 2 of 3" in second
    swapped = client.get("/monitors?page=3&per_page=2", headers={"HX-Request": "true",
                                                                 "HX-Target": "monitors-table"})  # fmt: skip
    assert "<html" not in swapped.text and table_names(swapped.text) == ["shop-cert"]
    assert client.get("/monitors?status=sleeping").status_code == 422


def test_monitor_page_shows_results_conditions_and_chart(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    client = signed_in("viewer").client
    page = client.get(f"/monitors/{seeded.ids.monitors['search-api']}").text
    assert "<h1>" in page and "search-api" in page
    assert "33.3%" in page and "370 ms" in page
    assert 'class="fail"><code>[STATUS] == 200</code> <span class="muted">(503)</span>' in page
    [raw] = re.findall(r'data-plotly="([^"]*)"', page)
    figure = json.loads(html.unescape(raw))
    passed, failed = figure["data"]
    assert len(passed["y"]) == 2 and len(failed["y"]) == 4  # the failures drawn apart
    assert failed["text"][0] == "[STATUS] (503) == 200"
    cert = client.get(f"/monitors/{seeded.ids.monitors['shop-cert']}").text
    assert "42 days" in cert.split("<h2>Certificate</h2>", 1)[1].split("</article>", 1)[0]
    api = client.get(f"/monitors/{seeded.ids.monitors['checkout-api']}").text
    assert "hunter2" not in api and "https://user:***@api.shop.example/cart" in api
    assert client.get("/monitors/999999").status_code == 404


def test_add_change_and_delete_a_monitor_through_the_forms(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    it = signed_in("it")
    form = {"csrf_token": it.csrf, "name": "home", "kind": "keyword", "service": "checkout",
            "url": "https://shop.example/", "keyword": "Add to cart", "interval_seconds": "30",
            "conditions": "[STATUS] == 200\n[RESPONSE_TIME] < 800", "enabled": "on"}  # fmt: skip
    assert it.client.post("/monitors", data=form | {"csrf_token": "forged"}).status_code == 403
    bad = it.client.post("/monitors", data=form | {"conditions": "[STATUS] = 200"})
    assert bad.status_code == 422 and "conditions[0]" in alert_in(bad.text)
    unobserved = it.client.post("/monitors", data=form | {"conditions": "[CONNECTED] == true"})
    assert unobserved.status_code == 422 and "[CONNECTED]" in alert_in(unobserved.text)
    missing = it.client.post("/monitors", data=form | {"keyword": ""})
    assert missing.status_code == 422 and "needs keyword" in alert_in(missing.text)
    made = it.client.post("/monitors", data=form)
    assert made.status_code == 303
    page = it.client.get(made.headers["location"]).text
    assert (
        "keyword monitor of" in page
        and "every 30 s" in page
        and "<code>[RESPONSE_TIME] &lt; 800</code>" in page
    )
    taken = it.client.post("/monitors", data=form)
    assert taken.status_code == 422 and "exists already" in alert_in(taken.text)

    changed = it.client.post(made.headers["location"], data=form | {"interval_seconds": "120"})
    assert changed.status_code == 303
    assert "every 120 s" in it.client.get(made.headers["location"]).text
    delete = made.headers["location"] + "/delete"
    refused = it.client.post(delete, data={"csrf_token": it.csrf, "confirm": "nope"})
    assert refused.status_code == 422 and "type the monitor's name" in alert_in(refused.text)
    gone = it.client.post(delete, data={"csrf_token": it.csrf, "confirm": "home"})
    assert gone.status_code == 303 and it.client.get(made.headers["location"]).status_code == 404

    declared = f"/monitors/{seeded.ids.monitors['checkout-page']}"
    assert "Change this monitor" not in it.client.get(declared).text
    answer = it.client.post(declared, data=form | {"name": "checkout-page"})
    assert answer.status_code == 409 and "storeops.toml" in alert_in(answer.text)


def test_editing_keeps_the_hidden_url_password(signed_in, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    url = f"/monitors/{seeded.ids.monitors['checkout-api']}"
    page = admin.client.get(url).text
    assert 'value="https://user:***@api.shop.example/cart"' in page  # the form shows it hidden
    form = {"csrf_token": admin.csrf, "name": "checkout-api", "kind": "json",
            "service": "checkout", "url": "https://user:***@api.shop.example/cart",
            "conditions": "[STATUS] == 200", "interval_seconds": "90", "enabled": "on"}  # fmt: skip
    assert admin.client.post(url, data=form).status_code == 303
    stored = admin.client.get(
        f"/api/v1/monitors/{seeded.ids.monitors['checkout-api']}", headers=seeded.bearer("admin")
    ).json()
    assert stored["interval_seconds"] == 90
    engine = engine_for(seeded.settings)
    try:
        with session_factory(engine)() as session:
            monitor = session.get(Monitor, seeded.ids.monitors["checkout-api"])
            assert monitor is not None
            assert monitor.spec["url"] == "https://user:hunter2@api.shop.example/cart"
    finally:
        engine.dispose()
    moved = admin.client.post(url, data=form | {"url": "https://user:***@evil.example/cart"})
    assert moved.status_code == 422 and "host changed" in alert_in(moved.text)


def stored_row(seeded: Seeded, model: type, row_id: int) -> dict[str, object]:  # type: ignore[type-arg]
    engine = engine_for(seeded.settings)
    try:
        with session_factory(engine)() as session:
            row = session.get(model, row_id)
            return {"spec": row.spec} if model is Monitor else {"url": row.url}
    finally:
        engine.dispose()


SECRETS = ("k3y", "hunter2", "s355", "s3cret", "t0k", "cl13nt")
JOURNEY = {
    "name": "login-journey",
    "kind": "journey",
    "service": "checkout",
    "steps": [
        {
            "name": "login",
            "url": "https://shop.example/login",
            "method": "POST",
            "headers": {"X-Api-Key": "k3y"},
            "body": "email=a@b.c&password=hunter2",
        },
        {"name": "cart", "url": "https://shop.example/cart?session=s355"},
    ],
}
OAUTH = {"name": "oauth", "kind": "http", "service": "checkout", "method": "POST",
         "url": "https://ana:s3cret@shop.example/oauth", "headers": {"Authorization": "Bearer t0k"},
         "body": json.dumps({"client_id": "shop", "client_secret": "cl13nt"})}  # fmt: skip


@pytest.mark.parametrize("spec", [JOURNEY, OAUTH], ids=["journey", "http"])
def test_an_api_round_trip_keeps_the_stored_secrets(seeded: Seeded, spec: dict) -> None:  # type: ignore[type-arg]
    """What GET answers (every secret "***") PUT back with one change: the probes still get the
    real secrets. A "***" with nothing behind it, or for another host, is refused."""
    with TestClient(seeded.app) as client:
        admin = seeded.bearer("admin")
        made = client.post("/api/v1/monitors", json=spec, headers=admin)
        assert made.status_code == 201, made.text
        monitor_url = f"/api/v1/monitors/{made.json()['id']}"
        read = client.get(monitor_url, headers=admin)
        assert not any(secret in read.text for secret in SECRETS)
        sent = {k: v for k, v in read.json().items() if k in MonitorSpec.model_fields}
        changed = client.put(monitor_url, json=sent | {"interval_seconds": 15}, headers=admin)
        assert changed.status_code == 200, changed.text
        expected = MonitorSpec.model_validate(spec | {"interval_seconds": 15})
        assert stored_row(seeded, Monitor, made.json()["id"]) == {
            "spec": expected.model_dump(mode="json")
        }

        copied = client.post("/api/v1/monitors", json=sent | {"name": "copy"}, headers=admin)
        assert copied.status_code == 422 and "none is stored" in copied.json()["detail"]
        elsewhere = json.loads(json.dumps(sent).replace("shop.example", "evil.example"))
        moved = client.put(monitor_url, json=elsewhere, headers=admin)
        assert moved.status_code == 422 and "host changed" in moved.json()["detail"]
        audit = client.get("/api/v1/audit?limit=50", headers=admin).text
        assert not any(secret in audit for secret in SECRETS)


def test_a_channel_read_and_written_back_keeps_its_url(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        it = seeded.bearer("it")
        channel = {"name": "ops", "url": "slack://T000/B000/XXXXSECRET"}
        made = client.post("/api/v1/channels", json=channel, headers=it)
        assert made.status_code == 201
        channel_url = f"/api/v1/channels/{made.json()['id']}"
        read = client.get(channel_url, headers=it).json()
        sent = {k: v for k, v in read.items() if k in ChannelSpec.model_fields}
        changed = client.put(channel_url, json=sent | {"failure_threshold": 5}, headers=it)
        assert changed.status_code == 200 and changed.json()["failure_threshold"] == 5
        assert stored_row(seeded, NotificationChannel, made.json()["id"]) == {"url": channel["url"]}
        for url in ("mailto://***", "***"):
            refused = client.put(channel_url, json=sent | {"url": url}, headers=it)
            assert refused.status_code == 422 and "send the whole URL" in refused.json()["detail"]
        copied = client.post("/api/v1/channels", json=sent | {"name": "copy"}, headers=it)
        assert copied.status_code == 422


def test_monitors_api(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        admin = seeded.bearer("admin")
        listed = client.get("/api/v1/monitors?service=search", headers=admin).json()
        assert listed["total"] == 1
        [row] = listed["monitors"]
        assert row["status"] == "down" and row["uptime_24h"] == pytest.approx(2 / 6)
        assert client.get("/api/v1/monitors?service=nope", headers=admin).status_code == 422

        spec = {"name": "api-home", "kind": "http", "service": "search",
                "url": "https://ana:s3cret@shop.example/", "headers": {"X-Api-Key": "k3y"}}  # fmt: skip
        made = client.post("/api/v1/monitors", json=spec, headers=admin)
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["origin"] == "api" and body["service"] == "search"
        assert "s3cret" not in made.text and "k3y" not in made.text  # credentials never returned
        monitor_url = f"/api/v1/monitors/{body['id']}"
        changed = client.put(monitor_url, json=spec | {"interval_seconds": 15}, headers=admin)
        assert changed.status_code == 200 and changed.json()["interval_seconds"] == 15
        assert client.post("/api/v1/monitors", json=spec, headers=admin).status_code == 409

        results = client.get(
            f"/api/v1/monitors/{seeded.ids.monitors['search-api']}/results?limit=2", headers=admin
        ).json()
        assert [r["ok"] for r in results] == [False, False]
        assert results[0]["details"]["conditions"][0]["actual"] == "503"

        declared = f"/api/v1/monitors/{seeded.ids.monitors['checkout-page']}"
        for answer in (
            client.put(declared, json=spec | {"name": "checkout-page"}, headers=admin),
            client.delete(declared, headers=admin),
        ):
            assert answer.status_code == 409
            assert "declared in storeops.toml: change it there" in answer.json()["detail"]
        assert client.delete(monitor_url, headers=admin).status_code == 204
        assert client.get(monitor_url, headers=admin).status_code == 404


BAD_SPECS = [
    ({"service": "nope"}, "service: no service named 'nope'"),
    ({"conditions": ["[STATUS] = 200"]}, "conditions[0]"),
    ({"conditions": ["[CERTIFICATE_EXPIRATION] > 48h"], "url": "http://x.example"}, "conditions"),
    ({"kind": "tcp"}, "needs host"),
    ({"surprise": 1}, "surprise"),  # unknown fields are refused
    ({"name": "Not A Slug"}, "lower-case"),
    ({"url": "https://x.example/\u0000"}, "NUL"),
    ({"interval_seconds": 0}, "interval_seconds"),
]


def test_monitors_api_refuses_bad_input_with_422(seeded: Seeded) -> None:
    spec = {"name": "x", "kind": "http", "service": "search", "url": "https://x.example"}
    with TestClient(seeded.app) as client:
        for change, problem in BAD_SPECS:
            answer = client.post(
                "/api/v1/monitors", json=spec | change, headers=seeded.bearer("it")
            )
            assert answer.status_code == 422, (change, answer.text)
            assert problem in json.dumps(answer.json()["detail"]), (change, answer.text)
        id_too_large = client.get("/api/v1/monitors/99999999999", headers=seeded.bearer("it"))
        assert id_too_large.status_code == 422


def test_services_slos_maintenance_and_channels_api(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        it = seeded.bearer("it")
        names = [s["name"] for s in client.get("/api/v1/services", headers=it).json()]
        assert names == ["back-office", "checkout", "search"]
        made = client.post("/api/v1/services", json={"name": "payments", "impact": 0.8}, headers=it)
        assert made.status_code == 201 and made.json()["title"] == "Payments"
        service_url = f"/api/v1/services/{made.json()['id']}"
        again = client.post(
            "/api/v1/services", json={"name": "payments", "impact": 0.8}, headers=it
        )
        assert again.status_code == 409
        assert (
            client.put(service_url, json={"name": "other", "impact": 1}, headers=it).status_code
            == 422
        )
        assert (
            client.post("/api/v1/services", json={"name": "x", "impact": 2}, headers=it).status_code
            == 422
        )

        checkout = client.get(
            f"/api/v1/services/{seeded.ids.services['checkout']}", headers=it
        ).json()
        assert [m["name"] for m in checkout["monitors"]] == [
            "checkout-api",
            "checkout-page",
            "shop-cert",
        ]
        assert checkout["months"][0]["month"] == "2025-03"
        assert checkout["months"][0]["revenue_at_risk"] == "300.00"  # 30 min × 10.00
        with_incidents = client.delete(
            f"/api/v1/services/{seeded.ids.services['search']}", headers=it
        )
        assert with_incidents.status_code == 409

        slo = {"name": "search-up", "service": "search", "objective": 0.99}
        made_slo = client.post("/api/v1/slos", json=slo, headers=it)
        assert made_slo.status_code == 201, made_slo.text
        # 30 days of search-api: 6 checks, 2 passed; 4 bad where 1% of 6 were allowed.
        assert made_slo.json()["sli"] == pytest.approx(2 / 6)
        assert made_slo.json()["budget_remaining"] == pytest.approx(1 - 4 / (0.01 * 6))
        latency = slo | {"name": "search-fast", "kind": "latency"}  # without its threshold
        assert client.post("/api/v1/slos", json=latency, headers=it).status_code == 422
        listed = client.get("/api/v1/slos", headers=it).json()
        assert [s["name"] for s in listed] == ["checkout-availability", "search-up"]
        assert listed[0]["budget_remaining"] == 1.0 and listed[0]["burn"]["1h"] == 0.0

        window = {"name": "nightly", "service": "search", "cron": "0 3 * * *",
                  "duration_minutes": 30, "timezone": "Europe/Paris"}  # fmt: skip
        made_window = client.post("/api/v1/maintenance", json=window, headers=it)
        assert made_window.status_code == 201
        # 10 March 2025 12:00 UTC: the next 03:00 in Paris is 11 March 02:00 UTC.
        assert made_window.json()["next"][0]["starts_at"] == "2025-03-11T02:00:00+00:00"
        bad = client.post("/api/v1/maintenance", json=window | {"cron": "every night"}, headers=it)
        assert bad.status_code == 422

        channel = {"name": "ops", "url": "slack://T000/B000/XXXXSECRET"}
        made_channel = client.post("/api/v1/channels", json=channel, headers=it)
        assert made_channel.status_code == 201
        assert made_channel.json()["url"] == "slack://***"
        everything = json.dumps(client.get("/api/v1/channels", headers=it).json())
        assert "XXXXSECRET" not in everything and "XXXXSECRET" not in made_channel.text
        audit = client.get("/api/v1/audit?limit=50", headers=seeded.bearer("admin")).text
        assert "XXXXSECRET" not in audit and "s3cret" not in audit


def test_the_monitors_page_pages_10000_monitors(workspace) -> None:  # type: ignore[no-untyped-def]
    """10,000 monitors: every page, search and filter answers (how fast is bench/probes.py's)."""
    add_users(workspace)
    ids = seed_workspace(workspace)
    engine = engine_for(workspace)
    try:
        with session_factory(engine).begin() as session:
            service_id = ids.services["search"]
            session.execute(
                insert(Monitor),
                [
                    {
                        "name": f"bulk-{n:05d}",
                        "kind": "http",
                        "service_id": service_id,
                        "origin": "api",
                        "spec": {
                            "name": f"bulk-{n:05d}",
                            "kind": "http",
                            "service": "search",
                            "url": "https://x.example",
                        },
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for n in range(10_000)
                ],  # fmt: skip
            )
            first = max(ids.monitors.values()) + 1
            session.execute(
                insert(MonitorState),
                [
                    {
                        "monitor_id": first + n,
                        "consecutive_failures": n % 3,
                        "consecutive_successes": 0,
                        "last_ok": n % 3 == 0,
                        "last_checked_at": NOW,
                    }
                    for n in range(10_000)
                ],  # fmt: skip
            )
    finally:
        engine.dispose()
    app = create_app(workspace)
    app.state.clock = lambda: NOW
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client, email_of("viewer"))
        for url in ("/monitors", "/monitors?page=150", "/monitors?q=bulk-09&status=down"):
            assert client.get(url).status_code == 200
        assert "10,005 monitors" in client.get("/monitors").text
        assert "bulk-09997" in client.get("/monitors?q=bulk-0999").text
