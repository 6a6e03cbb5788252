"""The Monitors page with 10,000 monitors (part of `python -m bench probes`).

A fresh workspace gets 10,000 HTTP monitors, each with its state and 24 hourly rollups (what a
day of checks leaves), and a viewer. The app answers in-process (FastAPI's TestClient: the app's
own time, no network): the first page, a page deep in the list, and a search with a status
filter, each asked REPEAT times after one warm-up. The baseline is /healthz in the same process
(the app's fixed cost per request). Target (issue): the page loads in under 300 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from storeops.cli.workspace import prepare_stores
from storeops.core.settings import write_default_settings
from storeops.db import users
from storeops.db.engine import engine_for, session_factory
from storeops.itsm.models import Service
from storeops.monitoring import latency
from storeops.monitoring.models import Monitor, MonitorState, ResultRollup
from storeops.web.app import create_app

MONITORS = 10_000
REPEAT = 20
TARGET_MS = 300.0
EMAIL = "viewer@bench.example"
PASSWORD = "bench password 123"
URLS = ("/monitors", "/monitors?page=150", "/monitors?q=m-09&status=down")


def _seed(folder: Path) -> TestClient:
    settings = write_default_settings(folder, name="Bench", currency="EUR", timezone="UTC")
    prepare_stores(settings)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    engine = engine_for(settings)
    with session_factory(engine).begin() as session:
        session.add(Service(name="storefront", title="Storefront", impact=0.8))
        session.flush()
        service_id = session.scalars(select(Service.id)).one()
        session.execute(
            insert(Monitor),
            [{"name": f"m-{n:05d}", "kind": "http", "service_id": service_id, "origin": "api",
              "spec": {"name": f"m-{n:05d}", "kind": "http", "service": "storefront",
                       "url": f"http://127.0.0.1:9/{n}"},
              "created_at": now, "updated_at": now} for n in range(MONITORS)],
        )  # fmt: skip
        ids = session.scalars(select(Monitor.id)).all()
        session.execute(
            insert(MonitorState),
            [{"monitor_id": i, "consecutive_failures": i % 3, "consecutive_successes": 0,
              "last_ok": i % 3 == 0, "last_checked_at": now} for i in ids],
        )  # fmt: skip
        histogram = latency.histogram_of([40.0] * 60)
        for hour in range(24):
            start = now - timedelta(hours=hour + 1)
            session.execute(
                insert(ResultRollup),
                [{"monitor_id": i, "resolution": "hour", "start": start, "checks": 60,
                  "failures": i % 3, "maintenance": 0, "duration_sum_ms": 2400.0,
                  "duration_max_ms": 40.0, "histogram": histogram} for i in ids],
            )  # fmt: skip
        users.create_user(session, email=EMAIL, role="viewer", actor="bench", password=PASSWORD)
    engine.dispose()
    client = TestClient(create_app(settings), follow_redirects=False)
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code in (302, 303), answer.text[:500]
    return client


def _times_ms(client: TestClient, url: str) -> list[float]:
    assert client.get(url).status_code == 200, url  # warm-up
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, url
    return times


def run() -> list[str]:
    """Measures and returns the report's lines."""
    with tempfile.TemporaryDirectory(prefix="storeops-bench-monitors-") as folder:
        client = _seed(Path(folder) / "ws")
        with client:
            base = statistics.median(_times_ms(client, "/healthz"))
            lines = [f"monitors page with {MONITORS:,} monitors (in-process, {REPEAT} requests):"]
            worst = 0.0
            for url in URLS:
                times = sorted(_times_ms(client, url))
                p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
                worst = max(worst, p95)
                lines.append(
                    f"  {url:<34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({p50 / base:.0f}x /healthz)"
                )
            verdict = "met" if worst < TARGET_MS else "MISSED"
            lines.append(
                f"  /healthz baseline p50 {base:.1f} ms; worst p95 {worst:.0f} ms "
                f"(target < {TARGET_MS:.0f} ms: {verdict})"
            )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
