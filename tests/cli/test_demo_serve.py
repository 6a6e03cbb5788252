"""`storeops demo --serve`: builds the demo shop, prints a demo admin's login and serves the app."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import httpx

from tests.web.conftest import csrf_in, free_port


def _lines(stream, out: queue.Queue) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        out.put(line.rstrip("\n"))


def _wait_for(lines: queue.Queue, prefix: str, seen: list[str], deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip()
    raise AssertionError(f"no {prefix!r} line in:\n" + "\n".join(seen))


def start(workspace, port: int) -> tuple[subprocess.Popen, queue.Queue]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREOPS_")} | {"CI": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "storeops", "demo", "--no-monitors", "--days", "20", "--end", "2025-03-31",
         "--serve", "--port", str(port), "-w", str(workspace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(server.stdout, lines), daemon=True).start()
    return server, lines


def stop(server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    server.terminate()
    server.wait(timeout=30)


def test_demo_serve_builds_prints_a_login_and_serves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port, seen = free_port(), []
    server, lines = start(tmp_path / "ws", port)
    try:
        deadline = time.monotonic() + 240
        url = _wait_for(lines, "Web app:", seen, deadline)
        assert url == f"http://127.0.0.1:{port}/"
        email = _wait_for(lines, "Sign in as:", seen, deadline)
        password = _wait_for(lines, "One-time password (shown once):", seen, deadline)
        with httpx.Client(base_url=url, follow_redirects=False, timeout=10) as http:
            while True:
                assert server.poll() is None, "\n".join(seen)
                try:
                    assert http.get("/healthz").json() == {"status": "ok"}
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the app did not answer"
                    time.sleep(0.2)
            token = csrf_in(http.get("/login").text)
            answer = http.post(
                "/login", data={"email": email, "password": password, "csrf_token": token}
            )
            assert answer.status_code == 303, answer.text
            overview = http.get("/")
            assert overview.status_code == 200 and "Net sales" in overview.text
            assert "Wed 12 Mar 2025 – Mon 31 Mar 2025 · 20 days" in overview.text  # the demo
    finally:
        stop(server)

    # Again on the same workspace: the demo admin is kept, its password not shown again.
    server, lines = start(tmp_path / "ws", port)
    try:
        seen = []
        deadline = time.monotonic() + 240
        assert _wait_for(lines, "Sign in as:", seen, deadline) == email
        assert _wait_for(lines, "Password:", seen, deadline).startswith("the one printed")
    finally:
        stop(server)
