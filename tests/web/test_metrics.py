"""/metrics: the reliability state in Prometheus' text format, parsed with prometheus_client's
own parser, over the seeded state (tests/web/reliability_data.py) at NOW; who may scrape it.

By hand: each monitor ran 6 checks of 40, 60, 90, 120, 180 and 400 ms: count 6, sum 0.89 s,
1 check under 50 ms, 3 under 100 ms, 6 under 500 ms. search-api's last check failed. The open
search incident has put 90 min × 2.00 = 180.00 at risk.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.web import reliability_data
from tests.web.reliability_data import CERT_DAYS, Seeded

seeded = reliability_data.seeded  # fixtures
signed_in = reliability_data.signed_in

FAMILIES = {
    "storeops_monitor_up": "gauge",
    "storeops_monitor_response_time_seconds": "histogram",
    "storeops_certificate_days_left": "gauge",
    "storeops_slo_error_budget_remaining": "gauge",
    "storeops_slo_burn_rate": "gauge",
    "storeops_incidents_open": "gauge",
    "storeops_revenue_at_risk": "gauge",
}


def scrape(client: TestClient, headers: dict[str, str]) -> dict[str, dict[tuple, float]]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(answer.text):
        assert FAMILIES.get(family.name) == family.type, family.name
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[key] = sample.value
    return found


def value(found: dict[str, dict[tuple, float]], name: str, **labels: str) -> float:
    matches = [v for key, v in found[name].items() if set(labels.items()) <= set(key)]
    assert len(matches) == 1, (name, labels, found.get(name))
    return matches[0]


def test_metrics_parse_and_hold_the_state(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        found = scrape(client, seeded.bearer("it"))
    assert value(found, "storeops_monitor_up", monitor="search-api") == 0
    assert value(found, "storeops_monitor_up", monitor="checkout-api", kind="json") == 1
    histogram = "storeops_monitor_response_time_seconds"
    assert value(found, f"{histogram}_count", monitor="checkout-api") == 6
    assert value(found, f"{histogram}_sum", monitor="checkout-api") == pytest.approx(0.89)
    assert value(found, f"{histogram}_bucket", monitor="checkout-api", le="0.05") == 1
    assert value(found, f"{histogram}_bucket", monitor="checkout-api", le="0.1") == 3
    assert value(found, f"{histogram}_bucket", monitor="checkout-api", le="0.5") == 6
    assert value(found, f"{histogram}_bucket", monitor="checkout-api", le="+Inf") == 6
    assert value(found, "storeops_certificate_days_left", monitor="shop-cert") == CERT_DAYS
    assert len(found["storeops_certificate_days_left"]) == 1  # tls monitors only
    slo = {"slo": "checkout-availability", "service": "checkout"}
    assert value(found, "storeops_slo_error_budget_remaining", **slo) == 1.0
    assert value(found, "storeops_slo_burn_rate", window="1h", **slo) == 0.0
    assert value(found, "storeops_incidents_open", service="search", severity="sev3") == 1
    assert len(found["storeops_incidents_open"]) == 1  # the resolved one is not counted
    assert value(found, "storeops_revenue_at_risk", service="search", currency="EUR") == 180.0


def test_who_may_scrape(seeded: Seeded, signed_in) -> None:  # type: ignore[no-untyped-def]
    with TestClient(seeded.app, follow_redirects=False) as client:
        for role in ("admin", "it", "viewer"):
            assert client.get("/metrics", headers=seeded.bearer(role)).status_code == 200
        commerce = client.get("/metrics", headers=seeded.bearer("commerce"))
        assert commerce.status_code == 403
        anonymous = client.get("/metrics")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        wrong = client.get("/metrics", headers={"Authorization": "Bearer sto_not-a-token"})
        assert wrong.status_code == 401
    assert signed_in("viewer").client.get("/metrics").status_code == 200  # a browser session
