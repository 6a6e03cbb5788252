"""`storeops demo-shop` in a child process, switched by `storeops demo-shop fault set/clear`."""

from __future__ import annotations

import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dns.resolver
import pytest

from tests.demoshop.conftest import run
from tests.demoshop.test_tls import _peer_not_after

TOKEN = "cli-admin-token"


@contextmanager
def demo_shop(*args: str) -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """Starts `storeops demo-shop ARGS` and yields it with what it printed before serving."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "storeops", "demo-shop", "--port", "0", "--token", TOKEN, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "1", "COLUMNS": "200"},
    )
    # Lines are read on a thread: a read with a deadline cannot see what Python already buffered.
    lines: queue.Queue[str] = queue.Queue()
    printed: dict[str, str] = {}
    try:
        while "Stop with Ctrl-C." not in printed:
            # one line per thread, so that nothing is read past the banner
            threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                line = ""
            if not line:
                proc.kill()
                pytest.fail(f"demo-shop did not start: {proc.stderr.read()}")
            key, _, value = line.strip().partition(": ")
            printed[key] = value
        yield proc, printed
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _status(url: str, ssl_context=True) -> int:
    async def body(session):
        async with session.get(url) as r:
            return r.status

    return run(body, ssl=ssl_context)


def test_serves_until_sigterm_and_faults_switch_from_the_cli(cli):
    with demo_shop() as (proc, printed):
        url = printed["Demo shop"]
        assert url.startswith("http://127.0.0.1:")
        assert printed["Admin token"] == TOKEN and printed["Faults"] == "none"
        assert _status(url) == 200

        result = cli("demo-shop", "fault", "set", "--url", url, "--token", TOKEN,
                     "--errors", "1", "--path", "/checkout", "--json")  # fmt: skip
        assert result.code == 0, result.err
        assert result.json()["error_rate"] == 1.0 and result.json()["paths"] == ["/checkout"]
        assert _status(url + "checkout") == 500 and _status(url) == 200

        result = cli("demo-shop", "fault", "set", "--url", url, "--token", TOKEN, "--latency", "1")
        assert result.code == 0 and "Faults: 1 ms latency" in result.out
        assert _status(url + "checkout") == 200  # a new set replaces the errors set before

        result = cli("demo-shop", "fault", "set", "--url", url, "--token", "wrong", "--down")
        assert result.code == 2 and "refused the admin token" in result.err
        assert _status(url) == 200

        result = cli("demo-shop", "fault", "clear", "--url", url, "--token", TOKEN)
        assert result.code == 0 and "Faults: none" in result.out

        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "Demo shop stopped." in out


def test_faults_given_at_start_tls_near_expiry_and_dns():
    args = ("--tls", "--cert-days", "3", "--errors", "1", "--path", "/search", "--dns-port", "0")
    with demo_shop(*args) as (
        _proc,
        printed,
    ):
        url = printed["Demo shop"]
        assert url.startswith("https://127.0.0.1:")
        assert printed["Faults"] == "100% errors on /search"
        trusted = ssl.create_default_context(cafile=printed["CA file"])
        days_left = (_peer_not_after(url, trusted) - time.time()) / 86400
        assert days_left == pytest.approx(3, abs=0.01)
        assert _status(url + "search?q=shirt", trusted) == 500
        assert _status(url, trusted) == 200
        name, _, nameserver = printed["DNS"].partition(" at ")
        host, port = nameserver.split(":")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = [host], int(port)
        assert [r.address for r in resolver.resolve(name, "A", lifetime=5)] == ["127.0.0.1"]


def test_a_port_in_use_is_one_line_and_status_2(cli):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = cli("demo-shop", "--port", str(port))
    assert result.code == 2
    assert result.err.strip().startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--path", "checkout"], "--path: a path starts with '/'"),
        ([], "--token: give the admin token"),
    ],
)
def test_fault_set_mistakes_are_one_line(cli, monkeypatch, args, message):
    monkeypatch.delenv("STOREOPS_DEMO_SHOP_TOKEN", raising=False)
    token = ["--token", "t"] if args else []
    result = cli("demo-shop", "fault", "set", "--url", "http://127.0.0.1:9/", *token, *args)
    assert result.code == 2 and message in result.err


def test_fault_clear_against_nothing_says_so(cli):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    result = cli(
        "demo-shop", "fault", "clear", "--url", f"http://127.0.0.1:{port}/", "--token", "t"
    )
    assert result.code == 2 and "cannot reach the demo shop" in result.err
