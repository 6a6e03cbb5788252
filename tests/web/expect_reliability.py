"""Expected access to the reliability area (monitors, services, SLOs, maintenance windows,
alert channels: pages and /api/v1), /metrics, and the public status page.

The matrix runs on a workspace without reliability data. Writers create a service and a monitor
through the API (201); a row that does not exist (NONE) answers 404 to whoever may reach it, so
the permission check is what tells 403 from 404. Form posts with an unknown service are refused
after the permission check (422).
"""

from __future__ import annotations

from tests.web.expectations import PUBLIC, Expect

NONE = 999_999
SERVICE = {"name": "matrix", "impact": 0.5}
MONITOR = {"name": "matrix-home", "kind": "http", "service": "matrix", "url": "https://x.example"}
BAD_FORM = {"name": "matrix-form", "kind": "http", "service": "nope", "url": "https://x.example"}
SLO = {"name": "matrix-slo", "service": "matrix", "objective": 0.99}
WINDOW = {"name": "matrix-nightly", "cron": "0 3 * * *", "duration_minutes": 30}
CHANNEL = {"name": "matrix-hook", "url": "json://127.0.0.1:9/hook"}


ROUTES = {
    # Public: customers see the status page without signing in.
    ("GET", "/status"): Expect(PUBLIC),
    ("GET", "/api/v1/status"): Expect(PUBLIC),
    # Prometheus scrapes with a token; without one: 401, not a login page.
    ("GET", "/metrics"): Expect("reliability", anonymous_status=401),
    # Pages
    ("GET", "/monitors"): Expect("reliability", url="/monitors?q=home&status=up&page=2"),
    ("POST", "/monitors"): Expect("reliability", write=True, form=BAD_FORM, ok=422),
    ("GET", "/monitors/{monitor_id}"): Expect("reliability", url=f"/monitors/{NONE}", ok=404),
    ("POST", "/monitors/{monitor_id}"): Expect(
        "reliability", write=True, url=f"/monitors/{NONE}", ok=404
    ),
    ("POST", "/monitors/{monitor_id}/delete"): Expect(
        "reliability", write=True, url=f"/monitors/{NONE}/delete", ok=404
    ),
    ("GET", "/services"): Expect("reliability"),
    ("POST", "/services"): Expect("reliability", write=True, form={"name": "Bad"}, ok=422),
    ("GET", "/services/{service_id}"): Expect("reliability", url=f"/services/{NONE}", ok=404),
    ("POST", "/services/{service_id}"): Expect(
        "reliability", write=True, url=f"/services/{NONE}", ok=404
    ),
    ("POST", "/services/{service_id}/delete"): Expect(
        "reliability", write=True, url=f"/services/{NONE}/delete", ok=404
    ),
    ("GET", "/slos"): Expect("reliability"),
    ("POST", "/slos"): Expect("reliability", write=True, form={"service": "nope"}, ok=422),
    ("POST", "/slos/{slo_id}/delete"): Expect(
        "reliability", write=True, url=f"/slos/{NONE}/delete", ok=404
    ),
    ("GET", "/maintenance"): Expect("reliability"),
    ("POST", "/maintenance"): Expect("reliability", write=True, form={"name": "x"}, ok=422),
    ("POST", "/maintenance/{window_id}/delete"): Expect(
        "reliability", write=True, url=f"/maintenance/{NONE}/delete", ok=404
    ),
    ("GET", "/channels"): Expect("reliability"),
    ("POST", "/channels"): Expect("reliability", write=True, form={"name": "x"}, ok=422),
    ("POST", "/channels/{channel_id}/delete"): Expect(
        "reliability", write=True, url=f"/channels/{NONE}/delete", ok=404
    ),
    # API: services first (the monitor and SLO below belong to the one created here)
    ("GET", "/api/v1/services"): Expect("reliability"),
    ("POST", "/api/v1/services"): Expect("reliability", write=True, json=SERVICE, ok=201),
    ("GET", "/api/v1/services/{service_id}"): Expect(
        "reliability", url=f"/api/v1/services/{NONE}", ok=404
    ),
    ("PUT", "/api/v1/services/{service_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/services/{NONE}", json=SERVICE, ok=404
    ),
    ("DELETE", "/api/v1/services/{service_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/services/{NONE}", ok=404
    ),
    ("GET", "/api/v1/monitors"): Expect("reliability", url="/api/v1/monitors?status=down"),
    ("POST", "/api/v1/monitors"): Expect("reliability", write=True, json=MONITOR, ok=201),
    ("GET", "/api/v1/monitors/{monitor_id}"): Expect(
        "reliability", url=f"/api/v1/monitors/{NONE}", ok=404
    ),
    ("PUT", "/api/v1/monitors/{monitor_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/monitors/{NONE}", json=MONITOR, ok=404
    ),
    ("DELETE", "/api/v1/monitors/{monitor_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/monitors/{NONE}", ok=404
    ),
    ("GET", "/api/v1/monitors/{monitor_id}/results"): Expect(
        "reliability", url=f"/api/v1/monitors/{NONE}/results", ok=404
    ),
    ("GET", "/api/v1/slos"): Expect("reliability"),
    ("POST", "/api/v1/slos"): Expect("reliability", write=True, json=SLO, ok=201),
    ("GET", "/api/v1/slos/{slo_id}"): Expect("reliability", url=f"/api/v1/slos/{NONE}", ok=404),
    ("PUT", "/api/v1/slos/{slo_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/slos/{NONE}", json=SLO, ok=404
    ),
    ("DELETE", "/api/v1/slos/{slo_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/slos/{NONE}", ok=404
    ),
    ("GET", "/api/v1/maintenance"): Expect("reliability"),
    ("POST", "/api/v1/maintenance"): Expect("reliability", write=True, json=WINDOW, ok=201),
    ("PUT", "/api/v1/maintenance/{window_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/maintenance/{NONE}", json=WINDOW, ok=404
    ),
    ("DELETE", "/api/v1/maintenance/{window_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/maintenance/{NONE}", ok=404
    ),
    ("GET", "/api/v1/channels"): Expect("reliability"),
    ("POST", "/api/v1/channels"): Expect("reliability", write=True, json=CHANNEL, ok=201),
    ("GET", "/api/v1/channels/{channel_id}"): Expect(
        "reliability", url=f"/api/v1/channels/{NONE}", ok=404
    ),
    ("PUT", "/api/v1/channels/{channel_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/channels/{NONE}", json=CHANNEL, ok=404
    ),
    ("DELETE", "/api/v1/channels/{channel_id}"): Expect(
        "reliability", write=True, url=f"/api/v1/channels/{NONE}", ok=404
    ),
}
