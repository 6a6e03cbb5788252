"""A killed import leaves the warehouse as it was; concurrent processes wait or get 'busy'."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from storeops.core.errors import WorkspaceBusy
from storeops.core.settings import Settings, load_settings
from storeops.warehouse.connection import read_connection
from tests.connectors.shopify_files import order_rows, write_big_export, write_export
from tests.warehouse_helpers import fingerprint, query


def storeops(*args: str | Path) -> subprocess.Popen:
    env = {**os.environ, "CI": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "storeops", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def is_locked(path: Path) -> bool:
    try:
        duckdb.connect(str(path), read_only=True).close()
        return False
    except duckdb.IOException as exc:
        return "lock" in str(exc).lower()


def hold_warehouse(settings: Settings, *, read_only: bool, seconds: float) -> subprocess.Popen:
    """Another process that keeps the warehouse open, printing 'ready' once it has it."""
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(settings.duckdb_path())!r}, read_only={read_only})\n"
        "print('ready', flush=True)\n"
        f"time.sleep({seconds})\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def set_busy_timeout(settings: Settings, seconds: float) -> Settings:
    text = settings.settings_file.read_text().replace(
        "busy_timeout_seconds = 30", f"busy_timeout_seconds = {seconds}"
    )
    settings.settings_file.write_text(text)
    return load_settings(settings.workspace)


@pytest.mark.slow
def test_import_killed_while_writing_leaves_the_warehouse_as_it_was(
    cli, workspace, tmp_path
) -> None:
    # Existing data, including order #1, which the big file would change.
    first = write_export(
        tmp_path / "first.csv", order_rows("#1", [("OLD", 1, "99.00")], order_id="1")
    )
    assert cli("import", "shopify-orders", first, "-w", workspace.workspace).code == 0
    before = fingerprint(workspace)
    big = write_big_export(tmp_path / "big.csv", 150_000)
    path = workspace.duckdb_path()

    killed_while_writing = 0
    for delay in (0.0, 0.05, 0.2):
        process = storeops("import", "shopify-orders", big, "-w", workspace.workspace)
        # The importer stages in memory first and takes the warehouse only to write.
        while process.poll() is None and not is_locked(path):
            time.sleep(0.002)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_while_writing += 1
        process.wait()
        assert process.returncode == -signal.SIGKILL, process.stderr.read()
        assert fingerprint(workspace) == before
    assert killed_while_writing == 3

    # The warehouse is not corrupt: the same import then runs to the end.
    done = storeops("import", "shopify-orders", big, "-w", workspace.workspace, "--json")
    out, err = done.communicate()
    assert done.returncode == 0, err
    assert query(workspace, "SELECT count(*) FROM orders") == [(150_000,)]
    assert query(
        workspace, "SELECT sku FROM order_lines WHERE order_id = '1' ORDER BY line_no"
    ) == [
        ("SKU-1",),
        ("SKU-2",),
        ("SKU-3",),
    ]


def test_second_writer_gets_workspace_busy_and_loses_nothing(cli, workspace, tmp_path) -> None:
    settings = set_busy_timeout(workspace, 0.3)
    file = write_export(tmp_path / "o.csv", order_rows("#1", [("A", 1, "10.00")]))
    holder = hold_warehouse(settings, read_only=False, seconds=30)
    try:
        started = time.monotonic()
        result = cli("import", "shopify-orders", file, "-w", settings.workspace)
        assert result.code == 2
        assert "workspace busy" in result.err
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    assert query(settings, "SELECT count(*) FROM orders") == [(0,)]
    assert cli("import", "shopify-orders", file, "-w", settings.workspace).code == 0
    assert query(settings, "SELECT count(*) FROM orders") == [(1,)]


def test_import_waits_for_readers_then_writes(cli, workspace, tmp_path) -> None:
    file = write_export(tmp_path / "o.csv", order_rows("#1", [("A", 1, "10.00")]))
    reader = hold_warehouse(workspace, read_only=True, seconds=1.0)
    try:
        result = cli("import", "shopify-orders", file, "-w", workspace.workspace)
    finally:
        reader.wait()
    assert result.code == 0, result.err
    assert query(workspace, "SELECT count(*) FROM orders") == [(1,)]


def test_reader_retries_while_a_write_is_in_progress(workspace) -> None:
    writer = hold_warehouse(workspace, read_only=False, seconds=1.0)
    try:
        with read_connection(workspace) as con:
            assert con.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    finally:
        writer.wait()


def test_reader_gives_up_with_busy_when_the_writer_stays(workspace, monkeypatch) -> None:
    monkeypatch.setattr("storeops.warehouse.connection.READER_WAIT_SECONDS", 0.3)
    writer = hold_warehouse(workspace, read_only=False, seconds=30)
    try:
        with pytest.raises(WorkspaceBusy, match="workspace busy"), read_connection(workspace):
            pass
    finally:
        writer.kill()
        writer.wait()
