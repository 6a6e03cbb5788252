"""The app under a real uvicorn on 127.0.0.1: in a thread, and as `storeops serve` with workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.web.conftest import PASSWORD, csrf_in, email_of, free_port


def test_sign_in_and_read_over_real_http(live_server, tokens) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server, follow_redirects=False) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        token = csrf_in(http.get("/login").text)
        answer = http.post(
            "/login",
            data={"email": email_of("commerce"), "password": PASSWORD, "csrf_token": token},
        )
        assert answer.status_code == 303
        assert "€75.00" in http.get("/?from=2025-03-01&to=2025-03-07").text
        api = http.get(
            "/api/v1/kpis?from=2025-03-01&to=2025-03-07",
            headers={"Authorization": f"Bearer {tokens['it']}"},
        )
        assert api.json()["kpis"]["net_sales"] == "75.00"


def test_storeops_serve_with_two_workers(shop_workspace, tokens) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("STOREOPS_HOME", "STOREOPS_DATABASE_URL")
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "storeops", "serve", "--port", str(port), "--workers", "2",
         "-w", str(shop_workspace.workspace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "storeops serve did not answer in 30 s"
                time.sleep(0.2)
        assert answer.json() == {"status": "ok"}
        headers = {"Authorization": f"Bearer {tokens['viewer']}"}
        for _ in range(4):  # whichever worker answers reads the same workspace
            me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers=headers, timeout=5)
            assert me.json()["email"] == email_of("viewer")
    finally:
        server.terminate()
        server.wait(timeout=20)
