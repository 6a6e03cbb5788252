"""storeops monitor list/check/run against a real HTTP server on 127.0.0.1, on SQLite and
PostgreSQL: `run` in a subprocess, killed with SIGKILL mid-failure and restarted (the counts
continue, one incident), then stopped with SIGTERM (exit 0, checks in flight stored)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storeops.core.settings import load_settings
from storeops.db.engine import engine_for, session_factory
from storeops.db.migrate import upgrade
from storeops.itsm.models import Incident
from storeops.monitoring.models import CheckResult, Monitor, MonitorState
from tests.monitoring.servers import HttpServer


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server


def declare(workspace, server: HttpServer) -> None:  # type: ignore[no-untyped-def]
    text = f"""
[[services]]
name = "shop"
impact = 1.0

[[monitors]]
name = "home"
kind = "http"
service = "shop"
url = "{server.url("/status/500")}"
interval_seconds = 1
failure_threshold = 3
conditions = ["[STATUS] == 200", "[RESPONSE_TIME] < 5000"]

[[monitors]]
name = "slow"
kind = "keyword"
service = "shop"
url = "{server.url("/slow?ms=1200")}"
keyword = "slow"
interval_seconds = 2
timeout_seconds = 5
"""
    file = workspace.settings_file
    file.write_text(file.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_list_and_check(cli, workspace, server, database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STOREOPS_DATABASE_URL", database_url)
    declare(workspace, server)
    ws = ("-w", workspace.workspace)

    listed = cli("monitor", "list", "--json", *ws)
    assert listed.code == 0, listed.err
    assert [(m["name"], m["kind"], m["service"], m["status"], m["uptime_24h"], m["origin"])
            for m in listed.json()] == [
        ("home", "http", "shop", "pending", None, "config"),
        ("slow", "keyword", "shop", "pending", None, "config"),
    ]  # fmt: skip
    table = cli("monitor", "list", *ws)
    assert table.code == 0 and "home" in table.out and "never" in table.out

    good = cli("monitor", "check", "slow", "--json", *ws)
    assert good.code == 0, good.err
    shown = good.json()
    assert (shown["name"], shown["ok"], shown["status_code"], shown["error"]) == (
        "slow",
        True,
        200,
        None,
    )
    assert shown["duration_ms"] >= 1200
    assert all(c["ok"] for c in shown["conditions"])

    bad = cli("monitor", "check", "home", *ws)
    assert bad.code == 1
    assert "home (http): down" in bad.out and "HTTP 500" in bad.out
    assert "✗ [STATUS] == 200  (actual: 500)" in bad.out
    assert "✓ [RESPONSE_TIME] < 5000" in bad.out
    bad_json = cli("monitor", "check", "home", "--json", *ws)
    assert bad_json.code == 1
    assert [(c["condition"], c["ok"], c["actual"]) for c in bad_json.json()["conditions"]][0] == (
        "[STATUS] == 200", False, "500",
    )  # fmt: skip

    # A manual check is not stored and alerts nobody.
    assert [m["status"] for m in cli("monitor", "list", "--json", *ws).json()] == [
        "pending",
        "pending",
    ]
    unknown = cli("monitor", "check", "nope", *ws)
    assert unknown.code == 2 and "no monitor named 'nope'" in unknown.err


def test_a_bad_declared_monitor_is_one_line_and_status_2(cli, workspace, server) -> None:  # type: ignore[no-untyped-def]
    declare(workspace, server)
    file = workspace.settings_file
    file.write_text(file.read_text().replace("interval_seconds = 2", "interval_seconds = 0"))
    result = cli("monitor", "list", "-w", workspace.workspace)
    assert result.code == 2
    line = file.read_text().splitlines().index("interval_seconds = 0") + 1
    assert result.err.strip().startswith(
        f"error: {file}:{line}: field 'monitors[1].interval_seconds': monitor 'slow':"
    )
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def wait_for(check: Callable[[], bool], process: subprocess.Popen, timeout: float = 20) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            raise AssertionError(f"monitor run exited: {process.communicate()}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_run_resumes_after_sigkill_and_stops_cleanly_on_sigterm(
    cli, workspace, server, database_url, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STOREOPS_DATABASE_URL", database_url)
    declare(workspace, server)
    settings = load_settings(workspace.workspace)
    env = {k: v for k, v in os.environ.items() if k not in ("STOREOPS_HOME", "CI")}
    command = [sys.executable, "-m", "storeops", "monitor", "run", "-w", str(workspace.workspace)]
    engine = engine_for(settings)
    upgrade(engine)  # so the test can watch the tables from the start
    sessions = session_factory(engine)

    def home() -> MonitorState | None:
        with sessions() as session:
            monitor_id = session.scalar(select(Monitor.id).where(Monitor.name == "home"))
            return None if monitor_id is None else session.get(MonitorState, monitor_id)

    def incidents() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(Incident)) or 0

    try:
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: (s := home()) is not None and s.consecutive_failures >= 1, first)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = home().consecutive_failures
        assert 1 <= killed_at < 3 and incidents() == 0

        restarted_at = datetime.now(UTC)
        slow_requests_before = sum(1 for r in server.requests if r.path == "/slow")
        second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: home().consecutive_failures >= 4, second)
        # Stop while a slow check is in flight: it finishes and is stored.
        wait_for(
            lambda: sum(1 for r in server.requests if r.path == "/slow") > slow_requests_before,
            second,
        )
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=15)
        assert second.returncode == 0, err
        assert out == b""  # quiet when piped

        with sessions() as session:
            state = home()
            home_results = session.scalar(
                select(func.count())
                .select_from(CheckResult)
                .where(CheckResult.monitor_id == state.monitor_id)
            )
            # Every stored check failed and the count never restarted from zero.
            assert state.consecutive_failures == home_results >= 4
            [incident] = session.scalars(select(Incident)).all()
            assert state.incident_id == incident.id and incident.source == "monitor"
            slow_id = session.scalar(select(Monitor.id).where(Monitor.name == "slow"))
            slow_stored = session.scalar(
                select(func.count()).select_from(CheckResult)
                .where(CheckResult.monitor_id == slow_id, CheckResult.at >= restarted_at)
            )  # fmt: skip
        slow_asked = sum(1 for r in server.requests if r.path == "/slow") - slow_requests_before
        assert slow_stored == slow_asked >= 1
    finally:
        engine.dispose()

    listed = {
        m["name"]: m for m in cli("monitor", "list", "--json", "-w", workspace.workspace).json()
    }
    assert (listed["home"]["status"], listed["home"]["uptime_24h"]) == ("down", 0.0)
    assert (listed["slow"]["status"], listed["slow"]["uptime_24h"]) == ("up", 1.0)
